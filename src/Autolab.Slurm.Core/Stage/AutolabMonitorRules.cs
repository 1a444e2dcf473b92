using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Stage;

/// <summary>A run's (status, sync status) pair as autolab's slurm_monitor runtime carries it.</summary>
public readonly record struct AutolabRunStatus(string Status, string SyncStatus);

/// <summary>
/// What autolab's own slurm_monitor runtime does with our hooks' output (interface.md, "autolab's own
/// hooks"): how it maps the poll's first token, when it calls the sync, what it writes back into the
/// manifest, and how it rolls a run group up. The hooks need this to keep the ledger line equal to the line
/// autolab's manifest will produce. Written from the contract and checked, row by row, against autolab's
/// own functions by the tests (AutolabMonitorRulesTests runs them through python3).
/// </summary>
public static class AutolabMonitorRules
{
    /// <summary>The sync words autolab counts as success (ok, completed, success, passed: our success-like words).</summary>
    public static bool IsSyncSuccess(string? word) => SyncStatus.IsSuccessLike(word);

    /// <summary>A status read from a manifest: lower-cased and trimmed if it is a manifest status, else <paramref name="fallback"/>.</summary>
    public static string NormalizeStatus(string? value, string fallback)
    {
        var status = (value ?? string.Empty).Trim().ToLowerInvariant();
        return RunStatus.IsCanonical(status) ? status : fallback;
    }

    /// <summary>
    /// The word autolab takes from our poll line's first token. Our hook prints only our job statuses, so
    /// pending, running, completed and failed map to themselves and unknown maps to nothing (status kept).
    /// </summary>
    public static string? SchedulerWord(string? jobStatus) => jobStatus switch
    {
        JobStatus.Pending or JobStatus.Running or JobStatus.Completed or JobStatus.Failed => jobStatus,
        _ => null,
    };

    /// <summary>The manifest's status and sync word as autolab reads them before polling.</summary>
    public static AutolabRunStatus Current(RawObject manifest)
    {
        var status = NormalizeStatus(manifest.GetPathText("status"), RunStatus.Pending);
        var sync = manifest.Get("artifact_sync_to_local") is RawObject block
            ? (block.GetPathText("status") ?? string.Empty).Trim().ToLowerInvariant()
            : string.Empty;
        return new AutolabRunStatus(status, sync.Length == 0 ? "pending" : sync);
    }

    /// <summary>What autolab makes of the scheduler's word (null: nothing, the pair is kept as read).</summary>
    public static AutolabRunStatus FromScheduler(string? word, AutolabRunStatus current)
    {
        if (word is null)
        {
            // No word: autolab keeps the pair exactly as read (its synced -> completed sync rule does not run either).
            return current;
        }

        var status = current.Status;
        var sync = current.SyncStatus;
        switch (word)
        {
            case JobStatus.Pending:
                status = RunStatus.Pending;
                break;
            case JobStatus.Running:
                status = RunStatus.Running;
                break;
            case JobStatus.Completed:
                if (status is not (RunStatus.Synced or RunStatus.Completed))
                {
                    status = RunStatus.Completed;
                }

                break;
            case JobStatus.Failed:
                status = RunStatus.Failed;
                sync = "failed";
                break;
        }

        if (status == RunStatus.Synced)
        {
            sync = "completed";
        }

        if (status == RunStatus.Failed)
        {
            sync = "failed";
        }

        return new AutolabRunStatus(status, sync);
    }

    /// <summary>autolab calls the sync template after the poll: a template is set, the run completed (or synced) and its sync is not success-like yet.</summary>
    public static bool WillSync(AutolabRunStatus afterPoll, bool syncTemplateSet) =>
        syncTemplateSet && afterPoll.Status is RunStatus.Completed or RunStatus.Synced && !IsSyncSuccess(afterPoll.SyncStatus);

    /// <summary>After a sync command that exited 0: sync completed, and synced unless the run failed.</summary>
    public static AutolabRunStatus AfterSuccessfulSync(AutolabRunStatus afterPoll) =>
        new(afterPoll.Status == RunStatus.Failed ? RunStatus.Failed : RunStatus.Synced, "completed");

    /// <summary>The last rule before autolab writes: completed with a success-like sync is synced.</summary>
    public static AutolabRunStatus Settle(AutolabRunStatus status) =>
        IsSyncSuccess(status.SyncStatus) && status.Status == RunStatus.Completed ? status with { Status = RunStatus.Synced } : status;

    /// <summary>
    /// The manifest autolab writes back: status (normalized, <paramref name="fallback"/> for a word it does
    /// not know), the sync word, timestamps.started_at filled with now when empty, completed_at filled with
    /// now when the status is synced, completed, failed or partial and none is recorded, and the top-level
    /// started_at/completed_at mirrors. Works on a copy; key order kept, new keys at the end.
    /// </summary>
    public static RawObject Apply(RawObject manifest, AutolabRunStatus status, string fallback, DateTimeOffset now)
    {
        var root = (RawObject)RawJson.Parse(RawJson.Write(manifest));
        var written = NormalizeStatus(status.Status, fallback);
        root.SetString("status", written);
        var sync = root.Get("artifact_sync_to_local") as RawObject ?? new RawObject();
        sync.SetString("status", status.SyncStatus);
        root.Set("artifact_sync_to_local", sync);

        var timestamps = root.Get("timestamps") as RawObject ?? new RawObject();
        var nowText = Timestamps.Format(now);
        if (string.IsNullOrWhiteSpace(timestamps.GetPathText("started_at")))
        {
            timestamps.SetString("started_at", nowText);
        }

        if (RunStatus.IsTerminal(written) && string.IsNullOrWhiteSpace(timestamps.GetPathText("completed_at")))
        {
            timestamps.SetString("completed_at", nowText);
        }

        root.Set("timestamps", timestamps);
        root.SetString("started_at", (timestamps.GetPathText("started_at") ?? string.Empty).Trim());
        var completed = (timestamps.GetPathText("completed_at") ?? string.Empty).Trim();
        if (completed.Length > 0)
        {
            root.SetString("completed_at", completed);
        }

        return root;
    }

    /// <summary>A run's pair as autolab records it after writing the run's manifest (for the run group's roll-up).</summary>
    public static AutolabRunStatus Recorded(RawObject manifest, bool slurmRun)
    {
        var status = (manifest.GetPathText("status") ?? string.Empty).Trim().ToLowerInvariant();
        var sync = manifest.Get("artifact_sync_to_local") is RawObject block
            ? (block.GetPathText("status") ?? string.Empty).Trim().ToLowerInvariant()
            : string.Empty;
        if (slurmRun)
        {
            return new AutolabRunStatus(status, sync.Length == 0 ? "pending" : sync);
        }

        // A local replicate: autolab reads its sync as a local run's (success-like words are completed).
        return new AutolabRunStatus(status, IsSyncSuccess(sync) ? "completed" : sync.Length == 0 ? "failed" : sync);
    }

    /// <summary>
    /// autolab's roll-up of a run group onto the base run: any failed or partial replicate fails the group;
    /// all synced is synced; all completed or synced is synced when every sync is success-like, else
    /// completed; else running if any runs, pending if any pends or was submitted, else the first replicate's.
    /// </summary>
    public static AutolabRunStatus Aggregate(IReadOnlyList<AutolabRunStatus> replicates)
    {
        if (replicates.Count == 0)
        {
            return new AutolabRunStatus(RunStatus.Pending, "pending");
        }

        var statuses = replicates.Select(r => NormalizeStatus(r.Status, RunStatus.Pending)).ToArray();
        var syncs = replicates.Select(r => r.SyncStatus.Trim().ToLowerInvariant()).ToArray();
        if (statuses.Any(s => s is RunStatus.Failed or RunStatus.Partial))
        {
            return new AutolabRunStatus(RunStatus.Failed, "failed");
        }

        if (statuses.All(s => s == RunStatus.Synced))
        {
            return new AutolabRunStatus(RunStatus.Synced, "completed");
        }

        if (statuses.All(s => s is RunStatus.Completed or RunStatus.Synced))
        {
            return syncs.All(IsSyncSuccess) ? new AutolabRunStatus(RunStatus.Synced, "completed") : new AutolabRunStatus(RunStatus.Completed, "pending");
        }

        if (statuses.Contains(RunStatus.Running))
        {
            return new AutolabRunStatus(RunStatus.Running, "pending");
        }

        if (statuses.Any(s => s is RunStatus.Submitted or RunStatus.Pending))
        {
            return new AutolabRunStatus(RunStatus.Pending, "pending");
        }

        return new AutolabRunStatus(statuses[0], syncs[0]);
    }
}
