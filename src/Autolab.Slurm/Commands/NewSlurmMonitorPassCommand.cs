using System.Management.Automation;
using Autolab.Slurm.Completers;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Opens one pass of the slurm_monitor stage: reads the state, the run (and its replicates), their
/// manifests and login hosts. The pass is what the other cmdlets' -MonitorPass parameter takes; errors
/// here stop the stage before anything is written.
/// </summary>
[Cmdlet(VerbsCommon.New, "SlurmMonitorPass", DefaultParameterSetName = StageSet)]
[OutputType(typeof(MonitorPass))]
public sealed class NewSlurmMonitorPassCommand : AutolabCmdlet
{
    private const string StageSet = "Stage";
    private const string HookSet = "Hook";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string? RepositoryRoot { get; set; }

    [Parameter(ParameterSetName = StageSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RunIdCompleter))]
    public string? RunId { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = HookSet)]
    [ValidateSet("Poll", "Sync")]
    public string Hook { get; set; } = "Poll";

    [Parameter(Mandatory = true, ParameterSetName = HookSet)]
    [ValidateNotNullOrEmpty]
    public string RunDirectory { get; set; } = string.Empty;

    [Parameter(ParameterSetName = StageSet)]
    [ValidateRange(1, 1000)]
    public int MaxSyncAttempts { get; set; } = 3;

    [Parameter(ParameterSetName = StageSet)]
    [ValidateRange(1, 525600)]
    public int LostAfterMinutes { get; set; } = 60;

    [Parameter(ParameterSetName = StageSet)]
    [ValidateRange(1, 3600)]
    public int SchedulerTimeoutSec { get; set; } = 60;

    [Parameter(ParameterSetName = StageSet)]
    [ValidateRange(1, 3600)]
    public int PollIntervalSec { get; set; } = 30;

    [Parameter(ParameterSetName = StageSet)]
    public MonitorStageResult? Previous { get; set; }

    /// <summary>The pass will write state.json (Complete-SlurmMonitorPass then writes it): checked before the first write with every other target.</summary>
    [Parameter(ParameterSetName = StageSet)]
    public SwitchParameter UpdateState { get; set; }

    /// <summary>When this process started (a hook's time budget runs from there: autolab's timeout started with it).</summary>
    private static readonly Lazy<DateTimeOffset> ProcessStart = new(() => new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero));

    protected override void ProcessRecord()
    {
        var root = RepositoryRoot is null ? SessionState.Path.CurrentFileSystemLocation.ProviderPath : ResolvePath(RepositoryRoot);
        var options = new MonitorPassOptions
        {
            RepositoryRoot = root,
            RunId = RunId,
            RunDirectory = ParameterSetName == HookSet ? ResolvePath(RunDirectory) : null,
            Mode = ParameterSetName == HookSet ? (Hook == "Sync" ? MonitorPassMode.SyncHook : MonitorPassMode.PollHook) : MonitorPassMode.Stage,
            SchemasDirectory = ModuleContext.SchemasDirectory,
            MaxSyncAttempts = MaxSyncAttempts,
            LostAfter = TimeSpan.FromMinutes(LostAfterMinutes),
            SchedulerTimeout = TimeSpan.FromSeconds(SchedulerTimeoutSec),
            PollInterval = TimeSpan.FromSeconds(PollIntervalSec),
            Previous = Previous,
            UpdateState = UpdateState,
            ProcessStartedAt = ProcessStart.Value,
        };

        try
        {
            WriteObject(MonitorPass.Open(options, ModuleContext.States, ModuleContext.Clock));
        }
        catch (AutolabException ex)
        {
            ThrowAutolabError(ex);
        }
    }
}
