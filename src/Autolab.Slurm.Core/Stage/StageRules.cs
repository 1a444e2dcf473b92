using System.Globalization;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Stage;

/// <summary>The outcome of a pass: where autolab goes next.</summary>
public sealed record StageDecision(string NextStage, bool CanAdvance, string Message);

/// <summary>What a run_group's base run becomes from its replicates.</summary>
public sealed record GroupRollup(string Status, string? SyncStatus, bool AllTerminal);

/// <summary>
/// The branches of the slurm_monitor stage (autolab-contract.md, "When the stage may advance"), kept
/// here so each is a unit test; Invoke-SlurmMonitorStage only composes the cmdlets around them.
/// </summary>
public static class StageRules
{
    public const string ExtractResults = "extract_results";
    public const string SlurmMonitor = "slurm_monitor";

    /// <summary>A run is a SLURM run by the one detection rule shared with the ledger.</summary>
    public static bool IsSlurmRun(RunManifestDocument manifest) => manifest.IsSlurmRun;

    /// <summary>An interactive allocation run: status completed with a success-like sync; it becomes synced without polling.</summary>
    public static bool IsCompletedInteractive(RunManifestDocument manifest) =>
        manifest.RawStatus == RunStatus.Completed && SyncStatus.IsSuccessLike(manifest.RawSyncStatus);

    /// <summary>
    /// Terminal runs are not polled (a requeue is only noticed while the job is still pollable and the run not
    /// finished), except a run failed as LOST: it follows the scheduler again if the job reappears.
    /// </summary>
    public static bool NeedsPolling(RunManifestDocument manifest)
    {
        var status = RunStatus.Canonicalize(manifest.RawStatus);
        return !RunStatus.IsTerminal(status) || (status == RunStatus.Failed && ManifestTransitions.IsLost(manifest.Root));
    }

    /// <summary>
    /// Whether the pass should run a sync for this run: its job COMPLETED and the artifacts are not home
    /// (rows 4, 13, 14), or it failed and its logs have not been pulled yet (row 6).
    /// </summary>
    public static bool NeedsSync(RunManifestDocument manifest)
    {
        var status = RunStatus.Canonicalize(manifest.RawStatus);
        var sync = SyncStatus.Canonicalize(manifest.RawSyncStatus);
        var slurmState = manifest.Root.GetObject("slurm")?.GetString("state");
        return status switch
        {
            RunStatus.Running or RunStatus.Pending or RunStatus.Submitted => string.Equals(slurmState, "COMPLETED", StringComparison.OrdinalIgnoreCase),
            RunStatus.Completed => sync != SyncStatus.Ok,
            RunStatus.Failed => sync is null or SyncStatus.Pending or SyncStatus.Syncing,
            _ => false,
        };
    }

    /// <summary>synced, failed or partial advance to extract_results; anything else waits in slurm_monitor (a normal outcome).</summary>
    public static StageDecision Decide(string? status) => Decide(status, schedulerUnasked: false);

    /// <summary>
    /// As <see cref="Decide(string?)"/>; when the scheduler (or login node) could not be asked this pass, a run
    /// that waits says so instead of repeating what its manifest last recorded.
    /// </summary>
    public static StageDecision Decide(string? status, bool schedulerUnasked)
    {
        if (schedulerUnasked && !RunStatus.IsTerminal(RunStatus.Canonicalize(status)))
        {
            return new StageDecision(SlurmMonitor, false, $"the scheduler could not be asked this time; the run stays {RunStatus.Canonicalize(status)} and the stage will ask again");
        }

        var canonical = RunStatus.Canonicalize(status);
        return canonical switch
        {
            RunStatus.Synced => new StageDecision(ExtractResults, true, "the run is synced: its artifacts are home; extract_results can start"),
            RunStatus.Failed => new StageDecision(ExtractResults, true, "the run failed; extract_results records the failure"),
            RunStatus.Partial => new StageDecision(ExtractResults, true, "the run is partial: some artifacts are home; extract_results can start"),
            RunStatus.Completed => new StageDecision(SlurmMonitor, false, "the run completed; waiting for a successful artifact sync"),
            RunStatus.Running => new StageDecision(SlurmMonitor, false, "the job is running (or done and its artifacts are on their way); waiting"),
            _ => new StageDecision(SlurmMonitor, false, "the job is pending in the scheduler; waiting"),
        };
    }

    /// <summary>
    /// A run_group's roll-up: once every replicate is terminal, all successes (synced, completed) give
    /// synced with sync ok, no success gives failed with sync failed, a mix gives partial (sync ok only if
    /// every replicate's sync is ok). Before that: running if any replicate runs, else pending.
    /// </summary>
    public static GroupRollup Rollup(IReadOnlyList<(string? Status, string? SyncStatus)> replicates)
    {
        var statuses = replicates.Select(r => RunStatus.Canonicalize(r.Status)).ToArray();
        if (statuses.Length > 0 && statuses.All(RunStatus.IsTerminal))
        {
            var successes = statuses.Count(s => s is RunStatus.Synced or RunStatus.Completed);
            if (successes == statuses.Length)
            {
                return new GroupRollup(RunStatus.Synced, SyncStatus.Ok, true);
            }

            if (successes == 0)
            {
                return new GroupRollup(RunStatus.Failed, SyncStatus.Failed, true);
            }

            var allSynced = replicates.All(r => SyncStatus.IsSuccessLike(r.SyncStatus));
            return new GroupRollup(RunStatus.Partial, allSynced ? SyncStatus.Ok : SyncStatus.Failed, true);
        }

        return new GroupRollup(statuses.Contains(RunStatus.Running) ? RunStatus.Running : RunStatus.Pending, null, false);
    }

    /// <summary>state.json's sync_status after a pass: completed when success-like (autolab's convention), else the canonical word.</summary>
    public static string? StateSyncStatus(string? manifestSyncStatus)
    {
        var canonical = SyncStatus.Canonicalize(manifestSyncStatus);
        return canonical switch
        {
            null => null,
            SyncStatus.Ok => "completed",
            _ => canonical,
        };
    }

    /// <summary>"COMPLETED=2, RUNNING=1": a group's replicates counted by scheduler state.</summary>
    public static string CountStates(IEnumerable<string?> states) =>
        string.Join(", ", states.Select(s => s ?? "UNKNOWN").GroupBy(s => s, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}={g.Count()}")));

    /// <summary>The sentence recorded when the scheduler could not be asked.</summary>
    public static string ProbeLimitation(IEnumerable<string> jobIds, string reason) =>
        $"the scheduler could not be asked about job {string.Join(", ", jobIds)} ({ErrorText.OneLine(reason)}); the status was kept and the stage will ask again";

    /// <summary>One line for runs/&lt;run_id&gt;/logs/slurm_monitor.log.</summary>
    public static string LogLine(DateTimeOffset now, string runId, string? jobId, string? schedulerState, string status, string? syncStatus, StageDecision decision, string? probeLimitation) =>
        $"{Timestamps.Format(now)} run_id={runId} job_id={jobId ?? "-"} scheduler={schedulerState ?? "-"} status={status} sync={syncStatus ?? "-"} next={decision.NextStage}"
        + ProbeSuffix(probeLimitation);

    /// <summary>A log line's closing <c> probe_limitation="..."</c> (one line, double quotes made single), or nothing.</summary>
    public static string ProbeSuffix(string? probeLimitation) =>
        string.IsNullOrWhiteSpace(probeLimitation) ? string.Empty : " probe_limitation=\"" + ErrorText.OneLine(probeLimitation).Replace("\"", "'", StringComparison.Ordinal) + "\"";

    /// <summary>The slurm block's recorded scheduler state of a manifest.</summary>
    public static string? RecordedState(RunManifestDocument manifest) => manifest.Root.GetObject("slurm")?.GetString("state");
}

/// <summary>The -Wait schedule: start at the poll interval, grow 1.5 times per unchanged poll up to 300 s, reset on a change, about 20 % jitter.</summary>
public sealed class PollBackoff
{
    public const double Growth = 1.5;
    public static readonly TimeSpan Maximum = TimeSpan.FromSeconds(300);
    private readonly TimeSpan _initial;
    private readonly Random _random;

    public PollBackoff(TimeSpan initial, Random? random = null)
        : this(initial, null, random)
    {
    }

    /// <summary>A schedule that continues from <paramref name="current"/> (the previous pass's interval), when given.</summary>
    public PollBackoff(TimeSpan initial, TimeSpan? current, Random? random)
    {
        _initial = initial <= TimeSpan.Zero ? TimeSpan.FromSeconds(1) : initial;
        _random = random ?? Random.Shared;
        Interval = current is { } c && c > TimeSpan.Zero ? c : _initial;
    }

    /// <summary>The interval before jitter.</summary>
    public TimeSpan Interval { get; private set; }

    /// <summary>The next wait: reset after a change, else 1.5 times the last (at most 300 s), then +-20 % jitter.</summary>
    public TimeSpan Next(bool changed)
    {
        Interval = changed ? _initial : TimeSpan.FromTicks(Math.Min((long)(Interval.Ticks * Growth), Math.Max(Maximum.Ticks, _initial.Ticks)));
        var jitter = 0.8 + (_random.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)(Interval.Ticks * jitter));
    }
}

/// <summary>Raw text of a manifest value, for the stage's result.</summary>
public static class ManifestText
{
    public static string? Get(RunManifestDocument manifest, params string[] path) => manifest.Root.GetPathText(path) is { Length: > 0 } v ? v : null;

    public static string? HostMode(RunManifestDocument manifest) => Get(manifest, "host_mode") ?? Get(manifest, "launch_mode");

    public static bool HasRemoteExecution(RunManifestDocument manifest) => manifest.Root.Get("remote_execution") is RawObject;
}
