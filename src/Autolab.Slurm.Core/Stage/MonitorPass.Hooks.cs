using System.Globalization;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Stage;

/// <summary>
/// The pass as autolab's hooks (interface.md, "autolab's own hooks"): autolab owns manifest and state.json;
/// the pass keeps the ledger lines (equal to the lines autolab's manifests will produce), their notes and the
/// run's monitor log, answers on stdout's first line, and keeps every wait inside autolab's timeouts.
/// </summary>
public sealed partial class MonitorPass
{
    /// <summary>What a hook keeps, of autolab's timeout, for its last act (the ledger line) and its exit.</summary>
    private static readonly TimeSpan HookReserve = TimeSpan.FromSeconds(2);

    private AutolabPolicy? _policy;

    /// <summary>autolab's slurm.monitor settings (sync template set or not, timeouts).</summary>
    public AutolabPolicy Policy => _policy ??= AutolabPolicy.Load(RepositoryRoot);

    /// <summary>
    /// A hook's deadline: autolab kills it <c>poll_timeout_seconds</c> (or <c>sync_timeout_seconds</c>) after
    /// starting it, so every wait ends before that, counted from this process's start (a slow start-up
    /// leaves less), less a reserve for the ledger line and the exit. Null for a stage pass.
    /// </summary>
    public DateTimeOffset? HookDeadline => Mode switch
    {
        MonitorPassMode.PollHook => BudgetStart(Policy.PollTimeout) + Policy.PollTimeout - HookReserve,
        MonitorPassMode.SyncHook => BudgetStart(Policy.SyncTimeout) + Policy.SyncTimeout - HookReserve,
        _ => null,
    };

    /// <summary>The process start, unless that is longer ago than the timeout itself (not a process autolab just started: an interactive session): then when the pass opened.</summary>
    private DateTimeOffset BudgetStart(TimeSpan timeout) =>
        _openedAt - Options.ProcessStartedAt < timeout ? Options.ProcessStartedAt : _openedAt;

    /// <summary>The limit on each scheduler command: -SchedulerTimeoutSec, or for the poll hook half of what is left before its deadline.</summary>
    public TimeSpan SchedulerTimeout => Mode == MonitorPassMode.PollHook ? AtLeastOneSecond((HookDeadline!.Value - _clock.UtcNow) / 2) : Options.SchedulerTimeout;

    /// <summary>No scheduler command of the poll hook runs past this (the ledger still needs its turn); null otherwise.</summary>
    public DateTimeOffset? SchedulerDeadline => Mode == MonitorPassMode.PollHook ? HookDeadline - HookReserve : null;

    /// <summary>How long a writer waits for its file's lock: 30 s, or for a hook what is left before its deadline.</summary>
    public TimeSpan LockTimeout => HookDeadline is { } deadline ? Min(AtLeastOneSecond(deadline - _clock.UtcNow), FileLock.DefaultTimeout) : FileLock.DefaultTimeout;

    /// <summary>The sync hook's limit on the transfer: what is left before its deadline, less time for the ledger; null for a stage pass.</summary>
    public TimeSpan? SyncTimeout => Mode == MonitorPassMode.SyncHook ? AtLeastOneSecond(HookDeadline!.Value - HookReserve - _clock.UtcNow) : null;

    private static TimeSpan AtLeastOneSecond(TimeSpan value) => value < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : value;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private MonitorRun HookRun => _runs.Count > 0 ? _runs[0] : BaseRun!;

    /// <summary>
    /// The hook's answer on stdout. Poll: its first line, <c>&lt;status&gt;|&lt;slurm state&gt;|&lt;job id&gt;</c> with our
    /// job status (pending, running, completed, failed, which autolab maps one to one, or unknown: autolab
    /// keeps the status); a scheduler that could not be asked gives <c>unknown||&lt;job id&gt;</c>. Sync: when it
    /// succeeded, <c>ok|&lt;n&gt; files verified|&lt;run id&gt;</c>; a failed sync answers nothing on stdout.
    /// </summary>
    public string HookLine
    {
        get
        {
            var run = HookRun;
            if (Mode == MonitorPassMode.SyncHook)
            {
                return HookSucceeded
                    ? string.Create(CultureInfo.InvariantCulture, $"ok|{run.SyncResult!.VerifiedPaths.Count} files verified|{RunId}")
                    : string.Empty;
            }

            var jobId = run.Document.PollJobId ?? string.Empty;
            return run.JobState is { } state
                ? string.Create(CultureInfo.InvariantCulture, $"{state.Status}|{state.State}|{state.JobId}")
                : $"{JobStatus.Unknown}||{jobId}";
        }
    }

    /// <summary>The sync hook succeeded: the sync result is ok (exit 0); anything else exits 1.</summary>
    public bool HookSucceeded => Mode != MonitorPassMode.SyncHook || HookRun.SyncResult?.Status == SyncStatus.Ok;

    /// <summary>The lines the sync hook writes to stderr when it fails: what went wrong, one failure a line.</summary>
    public IReadOnlyList<string> HookFailures
    {
        get
        {
            if (HookSucceeded)
            {
                return Array.Empty<string>();
            }

            var run = HookRun;
            if (run.SyncResult is not { } result)
            {
                return new[] { $"the artifacts of run {run.RunId} were not synced: no sync ran" };
            }

            return result.Failures
                .Select(f => $"the artifacts of run {run.RunId} were not synced: {Describe(f)}")
                .ToArray();
        }
    }

    /// <summary>
    /// The ledger lines a hook keeps. Poll: when no sync follows, the line built from the manifest autolab is
    /// about to write (its mapping, its completed-with-good-sync rule, its status fallback and started_at
    /// rule); when a sync follows, the line as the manifest on disk gives it. Sync: the synced line on
    /// success, else the line on disk with a note. The hook of the last replicate in run_group order also
    /// keeps the base run's line at autolab's roll-up.
    /// </summary>
    private IReadOnlyList<MonitorLedgerTarget> PlanHookLedger()
    {
        var run = HookRun;
        var now = _clock.UtcNow;
        var disk = run.Document;
        var current = AutolabMonitorRules.Current(disk.Root);
        AutolabRunStatus? outcome;
        if (Mode == MonitorPassMode.PollHook)
        {
            var afterPoll = AutolabMonitorRules.FromScheduler(AutolabMonitorRules.SchedulerWord(run.JobState?.Status), current);
            outcome = AutolabMonitorRules.WillSync(afterPoll, Policy.SyncTemplateSet) ? null : AutolabMonitorRules.Settle(afterPoll);
            if (run.JobState is { Status: JobStatus.Failed } failed)
            {
                run.Note ??= $"job {failed.JobId} {ManifestTransitions.DescribeFailure(failed)}";
            }
        }
        else
        {
            var result = run.SyncResult;
            if (result is { Status: SyncStatus.Ok })
            {
                outcome = AutolabMonitorRules.Settle(AutolabMonitorRules.AfterSuccessfulSync(current));
            }
            else
            {
                outcome = null;
                var reason = result?.Failures.FirstOrDefault() is { } first ? Describe(first) : "no sync ran";
                run.Note ??= $"artifact sync failed ({reason}); autolab counts a failed stage attempt and will call the sync again";
            }
        }

        var targets = new List<MonitorLedgerTarget>();
        var projected = outcome is { } o ? Project(disk, AutolabMonitorRules.Apply(disk.Root, o, current.Status, now)) : disk;
        if (projected.IsSlurmRun)
        {
            targets.Add(new MonitorLedgerTarget(run, projected, run.Note));
        }

        if (outcome is not null && Context.GroupBase is { } groupBase && Context.Replicates.Count > 0
            && string.Equals(Context.Replicates[^1].RunId, run.RunId, StringComparison.Ordinal)
            && File.Exists(groupBase.ManifestPath))
        {
            var pairs = Context.Replicates.Select(r => string.Equals(r.RunId, run.RunId, StringComparison.Ordinal)
                ? AutolabMonitorRules.Recorded(projected.Root, slurmRun: true)
                : RecordedOnDisk(r.ManifestPath)).ToArray();
            var baseDocument = RunManifestDocument.Load(groupBase.ManifestPath);
            var fallback = AutolabMonitorRules.NormalizeStatus(baseDocument.Root.GetPathText("status"), RunStatus.Pending);
            var rolled = Project(baseDocument, AutolabMonitorRules.Apply(baseDocument.Root, AutolabMonitorRules.Aggregate(pairs), fallback, now));
            if (rolled.IsSlurmRun && rolled.LedgerJobId is not null)
            {
                var baseRun = new MonitorRun(groupBase.RunId, groupBase.ManifestPath, isReplicate: false, baseDocument);
                targets.Add(new MonitorLedgerTarget(baseRun, rolled, null));
            }
        }

        return targets;
    }

    private static AutolabRunStatus RecordedOnDisk(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            return new AutolabRunStatus(RunStatus.Pending, "pending");
        }

        var document = RunManifestDocument.Load(manifestPath);
        return AutolabMonitorRules.Recorded(document.Root, AutolabRunsAsSlurm(document.Root));
    }

    /// <summary>autolab's host mode test for a run group member: host_mode, else launch_mode (slurm or slurm_interactive); unset counts as slurm here (the hooks run where sbatch is).</summary>
    private static bool AutolabRunsAsSlurm(RawObject manifest)
    {
        var mode = manifest.GetPathText("host_mode") is { Length: > 0 } host ? host : manifest.GetPathText("launch_mode");
        return string.IsNullOrWhiteSpace(mode) || mode.Trim().ToLowerInvariant() is "slurm" or "slurm_interactive";
    }

    /// <summary>A sync failure on one line: "path: reason", or the reason alone when the whole sync could not run.</summary>
    private static string Describe(SyncFailure failure) =>
        (failure.Path.Length == 0 ? string.Empty : failure.Path + ": ") + ErrorText.OneLine(failure.Reason);

    private static RunManifestDocument Project(RunManifestDocument disk, RawObject root) =>
        RunManifestDocument.Parse(disk.Path, RawJson.Write(root));
}
