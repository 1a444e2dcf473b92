using System.Management.Automation;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;

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
    private const string ByMonitorPassSet = "ByMonitorPass";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByJobStateSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = BySyncResultSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByStatusSet)]
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

    /// <summary>
    /// A pass of the stage (New-SlurmMonitorPass). With a piped job state or sync result, the pass decides the
    /// change on the run's manifest as it stands in the pass and keeps the outcome; with -Settle, the pass's
    /// own decisions are applied.
    /// </summary>
    [Parameter(ParameterSetName = ByJobStateSet)]
    [Parameter(ParameterSetName = BySyncResultSet)]
    [Parameter(Mandatory = true, ParameterSetName = ByMonitorPassSet)]
    [ValidateNotNull]
    public MonitorPass? MonitorPass { get; set; }

    /// <summary>
    /// With -MonitorPass: applies the pass's own decisions once polling and syncing are done (an interactive
    /// run that completed with a good sync becomes synced; a run group's base run gets its replicates' roll-up).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ByMonitorPassSet)]
    public SwitchParameter Settle { get; set; }

    [Parameter(ParameterSetName = ByJobStateSet)]
    [Parameter(ParameterSetName = BySyncResultSet)]
    [Parameter(ParameterSetName = ByStatusSet)]
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
        if (MonitorPass is { } pass)
        {
            ProcessPass(pass);
            return;
        }

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

        if (!ShouldProcess(path, Describe(update)))
        {
            return;
        }

        if (TryRun(() => plan = service.Apply(plan, path, input, schema, CancellationToken)) && PassThru)
        {
            WriteObject(plan!.Update);
        }
    }

    private void ProcessPass(MonitorPass pass)
    {
        switch (ParameterSetName)
        {
            case ByJobStateSet:
                if (TryPlan(() => pass.PlanJobState(JobState!), out var fromState))
                {
                    Handle(pass, fromState!);
                }

                return;
            case BySyncResultSet:
                if (TryPlan(() => pass.PlanSyncResult(SyncResult!), out var fromSync) && fromSync is not null)
                {
                    Handle(pass, fromSync);
                }

                return;
            default:
                if (TryPlan(() => pass.PlanOwnDecisions(), out var own))
                {
                    foreach (var change in own!)
                    {
                        Handle(pass, change);
                    }
                }

                if (TryPlan(() => pass.PlanRollup(), out var rollup) && rollup is not null)
                {
                    Handle(pass, rollup);
                }

                return;
        }
    }

    private bool TryPlan<T>(Func<T> plan, out T? result)
    {
        T? value = default;
        var ok = TryRun(() => value = plan());
        result = value;
        return ok;
    }

    /// <summary>One change of a pass: ShouldProcess, then written (or, under -WhatIf, kept by the pass as what would be).</summary>
    private void Handle(MonitorPass pass, MonitorManifestChange change)
    {
        var update = change.Plan.Update;
        if (!change.Plan.Changed)
        {
            pass.Record(change, written: false);
            WriteVerbose($"{change.Run.ManifestPath}: unchanged ({update.Description}).");
        }
        else if (ShouldProcess(change.Run.ManifestPath, Describe(update)))
        {
            if (!TryRun(() => change = pass.Apply(change, CancellationToken)))
            {
                return;
            }
        }
        else
        {
            pass.Record(change, written: false);
        }

        if (PassThru)
        {
            WriteObject(change.Plan.Update);
        }
    }

    private static string Describe(RunManifestUpdate update) =>
        update.PreviousStatus == update.Status
            ? $"Update run manifest (status stays {update.Status}): {update.Description}"
            : $"Update run manifest: status {update.PreviousStatus ?? "(none)"} -> {update.Status}: {update.Description}";

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
