using System.Management.Automation;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Applies a job state, a sync outcome or an explicit status to run_manifest.json, following
/// autolab's transition table; validates before writing and writes atomically.
/// </summary>
[Cmdlet(VerbsData.Update, "RunManifest", DefaultParameterSetName = ByJobStateSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RunManifestUpdate))]
public sealed class UpdateRunManifestCommand : AutolabCmdlet
{
    private const string ByJobStateSet = "ByJobState";
    private const string BySyncResultSet = "BySyncResult";
    private const string ByStatusSet = "ByStatus";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ManifestPath", "FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByJobStateSet)]
    [ValidateNotNull]
    public SlurmJobState? JobState { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = BySyncResultSet)]
    [ValidateNotNull]
    public ArtifactSyncResult? SyncResult { get; set; }

    [Parameter(ParameterSetName = ByStatusSet)]
    [ValidateSet("pending", "submitted", "running", "synced", "completed", "failed", "partial")]
    public string? Status { get; set; }

    [Parameter(ParameterSetName = ByStatusSet)]
    [ValidateSet("pending", "syncing", "ok", "failed", "queued", "submitted", "not_started", "na", "running", "in_progress", "completed", "success", "passed", "error", "fail")]
    public string? SyncStatus { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SchemaPath { get; set; }

    [Parameter]
    [ValidateRange(1, 1000)]
    public int MaxSyncAttempts { get; set; } = ManifestUpdateOptions.Default.MaxSyncAttempts;

    [Parameter]
    [ValidateRange(1, 525600)]
    public int LostAfterMinutes { get; set; } = (int)ManifestUpdateOptions.Default.LostAfter.TotalMinutes;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        var input = BuildInput(path);
        if (input is null)
        {
            return;
        }

        var service = ModuleContext.ManifestService(new ManifestUpdateOptions
        {
            MaxSyncAttempts = MaxSyncAttempts,
            LostAfter = TimeSpan.FromMinutes(LostAfterMinutes),
        });
        var schema = SchemaPath is null ? null : ResolvePath(SchemaPath);

        ManifestPlan? plan = null;
        if (!TryRun(() => plan = service.Plan(path, input, schema)))
        {
            return;
        }

        var update = plan!.Update;
        if (!plan.Changed)
        {
            WriteVerbose($"{path}: unchanged ({update.Description}).");
            if (PassThru)
            {
                WriteObject(update);
            }

            return;
        }

        var action = update.PreviousStatus == update.Status
            ? $"Update run manifest (status stays {update.Status}): {update.Description}"
            : $"Update run manifest: status {update.PreviousStatus ?? "(none)"} -> {update.Status}: {update.Description}";
        if (!ShouldProcess(path, action))
        {
            return;
        }

        if (TryRun(() => plan = service.Apply(plan, path, input, schema, CancellationToken)) && PassThru)
        {
            WriteObject(plan!.Update);
        }
    }

    private ManifestInput? BuildInput(string path)
    {
        switch (ParameterSetName)
        {
            case ByJobStateSet:
                return new JobStateInput(JobState!);
            case BySyncResultSet:
                return new SyncInput(SyncResult!.Status, SyncResult);
            default:
                if (Status is not null)
                {
                    return new ForcedStatusInput(Status.ToLowerInvariant(), SyncStatus);
                }

                if (SyncStatus is not null)
                {
                    return new SyncInput(SyncStatus, null);
                }

                WriteAutolabError(new AutolabException(
                    ErrorIds.InvalidStatus,
                    AutolabErrorCategory.InvalidArgument,
                    $"Nothing to apply to '{path}': give -Status, -SyncStatus, or pipe a job state or sync result.",
                    path));
                return null;
        }
    }
}
