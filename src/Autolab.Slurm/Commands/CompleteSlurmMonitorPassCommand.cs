using System.Management.Automation;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Ends a pass: appends its line to the run's monitor log, writes state.json with -UpdateState, and emits
/// the stage result (what the pass found and decided; under -WhatIf, what it would do).
/// </summary>
[Cmdlet(VerbsLifecycle.Complete, "SlurmMonitorPass", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MonitorStageResult))]
public sealed class CompleteSlurmMonitorPassCommand : AutolabCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public MonitorPass? MonitorPass { get; set; }

    /// <summary>Writes state.json (also when the pass was opened with -UpdateState).</summary>
    [Parameter]
    public SwitchParameter UpdateState { get; set; }

    /// <summary>Extra lines for the monitor log under the pass's own line (warnings a hook must not print).</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[] LogDetail { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var pass = MonitorPass!;
        var result = pass.BuildResult();
        try
        {
            if (pass.LogPath is { } log && pass.LogLine(result) is not null)
            {
                if (ShouldProcess(log, "Append one line to the monitor log"))
                {
                    pass.AppendLog(result, LogDetail);
                }
                else
                {
                    pass.SkipLog(result);
                }
            }

            if ((UpdateState || pass.Options.UpdateState) && pass.Mode == MonitorPassMode.Stage)
            {
                if (!ShouldProcess(pass.Context.State.Path, "Update sync_status, stage_attempt and stage"))
                {
                    pass.SkipStateUpdate(result);
                }
                else if (!pass.UpdateState(result, CancellationToken) && pass.StateSkipped is { } skipped)
                {
                    WriteWarning(skipped);
                }
            }
        }
        catch (AutolabException ex)
        {
            ThrowAutolabError(ex);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        // Built again once the log and state steps are done: their changes (or, under -WhatIf, would-be changes) are in it.
        result = pass.BuildResult();
        var output = PSObject.AsPSObject(result);
        output.TypeNames.Insert(0, MonitorStageResult.TypeName);
        WriteObject(output);
    }
}
