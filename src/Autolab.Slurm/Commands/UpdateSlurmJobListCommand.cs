using System.Management.Automation;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Keeps a SLURM run's line in docs/slurm_job_list.md equal to the line autolab builds from its manifest,
/// rewriting it in place or appending it, and adds notes under it.
/// </summary>
[Cmdlet(VerbsData.Update, "SlurmJobList", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByManifestSet)]
[OutputType(typeof(JobListEntry))]
public sealed class UpdateSlurmJobListCommand : AutolabCmdlet
{
    private const string ByManifestSet = "ByManifest";
    private const string ByMonitorPassSet = "ByMonitorPass";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByManifestSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string ManifestPath { get; set; } = string.Empty;

    [Parameter(ParameterSetName = ByManifestSet)]
    [ValidateNotNullOrEmpty]
    public string? LedgerPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByManifestSet)]
    [AllowNull]
    [AllowEmptyString]
    public string? Note { get; set; }

    /// <summary>A pass of the stage (New-SlurmMonitorPass): every line it keeps (for a hook, the line autolab's manifest will give), with the pass's notes.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByMonitorPassSet)]
    [ValidateNotNull]
    public MonitorPass? MonitorPass { get; set; }

    protected override void ProcessRecord()
    {
        if (MonitorPass is { } pass)
        {
            ProcessPass(pass);
            return;
        }

        var manifest = ResolvePath(ManifestPath);
        var ledger = LedgerPath is null ? null : ResolvePath(LedgerPath);
        var note = string.IsNullOrWhiteSpace(Note) ? null : Note;
        var service = ModuleContext.LedgerService();

        LedgerPlan? plan = null;
        if (!TryRun(() => plan = service.Plan(manifest, ledger, note)))
        {
            return;
        }

        if (!plan!.IsSlurmRun)
        {
            WriteVerbose($"{manifest}: not a SLURM run; the ledger is not touched.");
            WriteObject(plan.Entry);
            return;
        }

        if (!plan.Changed)
        {
            WriteVerbose($"{plan.LedgerPath}: the line for run {plan.Entry.RunId} is already current.");
            WriteObject(plan.Entry);
            return;
        }

        if (!ShouldProcess(plan.LedgerPath!, Describe(plan, note)))
        {
            return;
        }

        if (TryRun(() => plan = service.Apply(plan, note, CancellationToken)))
        {
            foreach (var warning in plan!.Edit?.Warnings ?? Array.Empty<string>())
            {
                WriteWarning($"{plan.LedgerPath}: {warning}");
            }

            WriteObject(plan.Entry);
        }
    }

    private void ProcessPass(MonitorPass pass)
    {
        IReadOnlyList<MonitorLedgerTarget> targets = Array.Empty<MonitorLedgerTarget>();
        if (!TryRun(() => targets = pass.PlanLedger()))
        {
            return;
        }

        foreach (var target in targets)
        {
            LedgerPlan? plan = null;
            if (!TryRun(() => plan = pass.PlanLedgerLine(target)))
            {
                continue;
            }

            if (plan!.Changed && ShouldProcess(plan.LedgerPath!, Describe(plan, target.Note)))
            {
                if (!TryRun(() => plan = pass.ApplyLedgerLine(plan, target, CancellationToken)))
                {
                    continue;
                }

                foreach (var warning in plan!.Edit?.Warnings ?? Array.Empty<string>())
                {
                    WriteWarning($"{plan.LedgerPath}: {warning}");
                }
            }
            else
            {
                pass.RecordLedger(plan.Entry);
            }

            WriteObject(plan.Entry);
        }
    }

    private static string Describe(LedgerPlan plan, string? note)
    {
        var what = plan.Entry.Action switch
        {
            LedgerAction.Added => $"Add line: {plan.Entry.Line}",
            LedgerAction.Updated => $"Rewrite line in place: {plan.Entry.Line}",
            _ => $"Keep line: {plan.Entry.Line}",
        };
        return note is not null && plan.Entry.NoteAdded ? what + $"; add note: {note}" : what;
    }
}
