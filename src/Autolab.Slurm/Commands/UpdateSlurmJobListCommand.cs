using System.Management.Automation;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Keeps a SLURM run's line in docs/slurm_job_list.md equal to the line autolab builds from its manifest,
/// rewriting it in place or appending it, and adds notes under it.
/// </summary>
[Cmdlet(VerbsData.Update, "SlurmJobList", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JobListEntry))]
public sealed class UpdateSlurmJobListCommand : AutolabCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string ManifestPath { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LedgerPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Note { get; set; }

    protected override void ProcessRecord()
    {
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

        var what = plan.Entry.Action switch
        {
            LedgerAction.Added => $"Add line: {plan.Entry.Line}",
            LedgerAction.Updated => $"Rewrite line in place: {plan.Entry.Line}",
            _ => $"Keep line: {plan.Entry.Line}",
        };
        if (note is not null && plan.Entry.NoteAdded)
        {
            what += $"; add note: {note}";
        }

        if (!ShouldProcess(plan.LedgerPath!, what))
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
}
