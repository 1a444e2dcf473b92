using System.Globalization;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm.Manifest;

/// <summary>What to apply to a manifest: a job state, a sync outcome, or an explicit status.</summary>
public abstract record ManifestInput;

/// <summary>A scheduler observation (rows 1, 3, 5, 7-12 of the transition table).</summary>
public sealed record JobStateInput(SlurmJobState JobState) : ManifestInput;

/// <summary>A sync outcome: a full result, or just a status word from -SyncStatus (rows 4-6, 13-15).</summary>
public sealed record SyncInput(string Status, ArtifactSyncResult? Result) : ManifestInput;

/// <summary>-Status (forced, may move a terminal status) with an optional -SyncStatus.</summary>
public sealed record ForcedStatusInput(string Status, string? SyncStatus) : ManifestInput;

public sealed record ManifestUpdateOptions
{
    public static readonly ManifestUpdateOptions Default = new();

    /// <summary>How long a job may be unknown to sacct and squeue before it is declared LOST (row 11).</summary>
    public TimeSpan LostAfter { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Consecutive failed syncs of a completed job before the run ends partial or failed (row 14).</summary>
    public int MaxSyncAttempts { get; init; } = 3;
}

/// <summary>The computed change: new text, whether anything changed, and the summary object.</summary>
public sealed record ManifestPlan(RunManifestDocument Document, string NewText, bool Changed, RunManifestUpdate Update, RawObject NewRoot);

/// <summary>
/// The transition table of autolab-contract.md ("What the monitor writes"), applied to a text-preserving
/// manifest tree. Pure: reads the document and the input, returns the plan; nothing touches the disk here.
/// Only the keys the monitor owns are ever set or removed.
/// </summary>
public sealed class ManifestTransitions
{
    private const string LostState = "LOST";

    /// <summary>How far in the future a run's start may lie before it is reported as clock skew.</summary>
    private static readonly TimeSpan ClockSkewTolerance = TimeSpan.FromMinutes(5);

    /// <summary>A run failed only because its job vanished (failure.state LOST).</summary>
    public static bool IsLost(RawObject root) =>
        string.Equals(root.GetObject("failure")?.GetString("state"), LostState, StringComparison.Ordinal);

    /// <summary>
    /// The top-level objects the rules below change in place (everything else they change is a top-level
    /// member, set or removed on the copied root). A rule that changes another object in place must add it here.
    /// </summary>
    private static readonly IReadOnlySet<string> ChangedInPlace = new HashSet<string>(StringComparer.Ordinal) { "slurm", "timestamps", "artifact_sync_to_local", "failure" };
    private readonly SlurmStateTable _states;
    private readonly ManifestUpdateOptions _options;

    public ManifestTransitions(SlurmStateTable states, ManifestUpdateOptions? options = null)
    {
        _states = states;
        _options = options ?? ManifestUpdateOptions.Default;
    }

    public ManifestPlan Plan(RunManifestDocument document, ManifestInput input, DateTimeOffset now)
    {
        // Work on a copy so the document stays what was read (and is what the copy is compared with). Only the
        // objects a transition changes in place are copied: a large manifest's other blocks are shared.
        var before = document.Root;
        var root = RawJson.CopyMembers(before, ChangedInPlace);
        var previousRaw = document.RawStatus;
        var previous = RunStatus.Canonicalize(previousRaw);
        var context = new Context(root, previous, now) { Path = document.Path };

        switch (input)
        {
            case JobStateInput job:
                ApplyJobState(context, job.JobState);
                break;
            case SyncInput sync:
                ApplySync(context, sync);
                break;
            case ForcedStatusInput forced:
                ApplyForced(context, forced);
                break;
            default:
                throw new ArgumentException("Unknown input " + input.GetType().Name, nameof(input));
        }

        if (context.Touch)
        {
            root.SetString("status", context.Status);
        }

        var changed = context.Touch && !RawJson.WritesSame(root, before);
        var update = new RunManifestUpdate
        {
            ManifestPath = document.Path,
            RunId = document.RunId,
            IterationId = document.IterationId,
            JobId = document.PollJobId,
            PreviousStatus = previousRaw,
            Status = changed ? context.Status : RunStatus.IsCanonical(previousRaw) ? previousRaw! : context.Status,
            SyncStatus = root.GetObject("artifact_sync_to_local")?.GetString("status"),
            Changed = changed,
            Rule = context.Rule,
            Description = context.Description,
            Note = changed ? context.Note : context.ProbeLimitation,
            ProbeLimitation = context.ProbeLimitation,
        };
        return new ManifestPlan(document, changed ? RawJson.Write(root) : document.OriginalText, changed, update, root);
    }

    private void ApplyJobState(Context c, SlurmJobState job)
    {
        var manifestJobId = JobIdOf(c.Root, c.Path);
        if (!string.Equals(job.JobId, manifestJobId, StringComparison.Ordinal))
        {
            throw new AutolabException(
                ErrorIds.JobIdMismatch,
                AutolabErrorCategory.InvalidArgument,
                $"The job state for job {job.JobId} does not belong to '{c.Path}', whose job id is {manifestJobId}. The file was not changed; pipe each manifest's own state (Get-SlurmJobState -ManifestPath) or pass the matching -Path.",
                c.Path);
        }

        var slurm = c.Root.GetObject("slurm");
        var status = c.Status;

        // Row 3: a requeued job is a new attempt, even after a terminal status.
        if (RunStatus.IsTerminal(status)
            && job.Restarts is { } restarts
            && ReadInt(slurm, "restarts") is { } recorded
            && restarts > recorded)
        {
            ArchiveAttempt(c, recorded);
            c.Status = RunStatus.Pending;
            ApplyNonTerminalJobState(c, job, rule: 3, prefix: $"job {job.JobId} was requeued (restart {restarts}): a new attempt; ");
            return;
        }

        // Row 7's one exception: a run failed only because its job was LOST follows the scheduler again once the
        // job is known again (an accounting outage ended), with a ledger note.
        if (status == RunStatus.Failed && IsLost(c.Root) && job.Status is JobStatus.Pending or JobStatus.Running or JobStatus.Completed or JobStatus.Failed)
        {
            c.Root.Remove("failure");
            c.Root.GetObject("timestamps")?.Remove("completed_at");
            c.Root.Remove("completed_at");
            c.Status = RunStatus.Pending;
            var reappeared = $"job {job.JobId} reappeared in the scheduler ({job.RawState ?? job.State}) after the run had been marked failed as LOST; the run follows it again";
            ApplyNonTerminalJobState(c, job, rule: 7, prefix: reappeared + ": ");
            c.Note = c.Note is null ? reappeared : reappeared + "; " + c.Note;
            return;
        }

        if (status == RunStatus.Completed)
        {
            // Rows 4 and 5: an interactive run already completed moves to synced once its sync is success-like.
            if (SyncStatus.IsSuccessLike(c.Root.GetObject("artifact_sync_to_local")?.GetString("status")))
            {
                c.Set(RunStatus.Synced, 5, "completed run with a successful sync: synced (autolab rejects completed with a successful sync at this stage)");
            }
            else
            {
                c.Keep(4, "completed run waits for a successful artifact sync");
            }

            return;
        }

        if (RunStatus.IsTerminal(status))
        {
            c.Keep(7, $"status {status} is terminal and never moves back");
            return;
        }

        ApplyNonTerminalJobState(c, job, rule: 0, prefix: string.Empty);
    }

    private void ApplyNonTerminalJobState(Context c, SlurmJobState job, int rule, string prefix)
    {
        var slurm = c.Root.GetObject("slurm");
        var recordedState = slurm?.GetString("state");
        var recordedTerminal = recordedState is not null && _states.IsTerminal(recordedState);

        switch (job.Status)
        {
            case JobStatus.Pending:
            case JobStatus.Running:
                RecordSlurm(c, job);
                FillStartedAt(c, job);
                c.Set(job.Status, rule == 0 ? 8 : rule, prefix + $"job {job.JobId} is {job.RawState ?? job.State}: {job.Status}");
                return;
            case JobStatus.Completed:
                RecordSlurm(c, job);
                FillStartedAt(c, job);
                var sync = c.Root.GetOrAddObject("artifact_sync_to_local");
                if (string.IsNullOrWhiteSpace(sync.GetString("status")))
                {
                    sync.SetString("status", SyncStatus.Pending);
                }

                c.Set(RunStatus.Running, rule == 0 ? 9 : rule, prefix + $"job {job.JobId} COMPLETED; status stays running until its artifacts are synced");
                return;
            case JobStatus.Failed:
                {
                    RecordSlurm(c, job);
                    FillStartedAt(c, job);
                    var failure = new RawObject();
                    failure.SetString("state", job.State);
                    failure.Set("reason", job.Reason is { Length: > 0 } r ? RawScalar.FromString(r) : RawScalar.Null);
                    failure.Set("exit_code", RawScalar.FromNullableInt(job.ExitCode));
                    failure.Set("signal", RawScalar.FromNullableInt(job.Signal));
                    SetFailure(c.Root, failure);
                    SetCompletedAt(c.Root, job.EndTime ?? c.Now);
                    var detail = DescribeFailure(job);
                    c.Set(RunStatus.Failed, rule == 0 ? 10 : rule, prefix + $"job {job.JobId} {detail}");
                    c.Note = $"job {job.JobId} {detail}";
                    return;
                }

            default:
                if (!recordedTerminal)
                {
                    var since = Reference(c, slurm);
                    if (since is { } s && c.Now - s > _options.LostAfter)
                    {
                        var failure = new RawObject();
                        failure.SetString("state", LostState);
                        failure.SetString("reason", "the job vanished from sacct and squeue");
                        failure.Set("exit_code", RawScalar.Null);
                        failure.Set("signal", RawScalar.Null);
                        SetFailure(c.Root, failure);
                        SetCompletedAt(c.Root, c.Now);
                        var minutes = (int)(c.Now - s).TotalMinutes;
                        c.Set(RunStatus.Failed, 11, prefix + $"job {job.JobId} has been unknown to sacct and squeue for {minutes} minutes: LOST");
                        c.Note = $"job {job.JobId} vanished from sacct and squeue ({minutes} minutes without a known state): marked failed (LOST)";
                        return;
                    }
                }

                if (Reference(c, slurm) is { } reference && reference - c.Now > ClockSkewTolerance)
                {
                    // A started_at in the future (clock skew, or a typo): the LOST rule can never fire, so say so.
                    c.ProbeLimitation = $"job {job.JobId} is unknown to sacct and squeue, and the run's start time {Timestamps.Format(reference)} lies in the future (clock skew?): it cannot be judged LOST until then; check the clocks or the manifest's started_at";
                    c.Note = c.ProbeLimitation;
                }

                if (recordedState is null)
                {
                    var block = EnsureSlurm(c);
                    block.SetString("state", SlurmStateTable.UnknownState);
                    block.SetString("source", job.Source);
                    block.SetString("observed_at", Timestamps.Format(job.ObservedAt == default ? c.Now : job.ObservedAt));
                }

                c.Set(c.Status, 12, prefix + $"job {job.JobId} is not known to sacct or squeue yet; status unchanged");
                return;
        }
    }

    private static DateTimeOffset? Reference(Context c, RawObject? slurm)
    {
        var state = slurm?.GetString("state");
        var observed = Timestamps.ParseUtc(slurm?.GetString("observed_at"));
        var submitted = Timestamps.ParseUtc(c.Root.GetPathText("timestamps", "started_at")) ?? Timestamps.ParseUtc(c.Root.GetPathText("started_at"));
        if (state is not null && state != SlurmStateTable.UnknownState && observed is not null)
        {
            return observed;
        }

        return submitted ?? observed;
    }

    private void ApplySync(Context c, SyncInput input)
    {
        var canonical = SyncStatus.Canonicalize(input.Status)
            ?? throw new AutolabException(
                ErrorIds.InvalidStatus,
                AutolabErrorCategory.InvalidArgument,
                $"'{input.Status}' is not a sync status. Use one of: {string.Join(", ", SyncStatus.All)} (or a synonym). '{c.Path}' was not changed.",
                c.Path);
        var status = c.Status;
        var slurmState = c.Root.GetObject("slurm")?.GetString("state");

        if (status == RunStatus.Completed)
        {
            RecordSync(c, canonical, input.Result, countAttempt: false);
            if (canonical == SyncStatus.Ok)
            {
                c.Set(RunStatus.Synced, 4, "completed run synced successfully: synced");
            }
            else
            {
                c.Set(RunStatus.Completed, 4, $"completed run, sync {canonical}: waits for a successful sync");
            }

            return;
        }

        if (status == RunStatus.Failed)
        {
            RecordSync(c, canonical, input.Result, countAttempt: false);
            c.Set(RunStatus.Failed, 6, $"failed run, logs sync {canonical}");
            return;
        }

        if (RunStatus.IsTerminal(status))
        {
            c.Keep(7, $"status {status} is terminal; the sync result is not recorded");
            return;
        }

        if (string.Equals(slurmState, "COMPLETED", StringComparison.OrdinalIgnoreCase))
        {
            if (canonical == SyncStatus.Ok)
            {
                RecordSync(c, canonical, input.Result, countAttempt: false);
                var end = Timestamps.ParseUtc(c.Root.GetObject("slurm")?.GetString("end_time")) ?? c.Now;
                SetCompletedAt(c.Root, end);
                c.Set(RunStatus.Synced, 13, "job COMPLETED and its artifacts are home: synced");
                return;
            }

            if (canonical == SyncStatus.Failed)
            {
                var attempts = RecordSync(c, canonical, input.Result, countAttempt: true);
                if (attempts >= _options.MaxSyncAttempts)
                {
                    var verified = input.Result?.VerifiedPaths.Count
                        ?? (c.Root.GetPath("artifact_sync_to_local", "pulled_paths") as RawArray)?.Items.Count
                        ?? 0;
                    var final = verified > 0 ? RunStatus.Partial : RunStatus.Failed;
                    var reason = input.Result?.Failures.FirstOrDefault()?.Reason ?? "artifact sync failed";
                    if (final == RunStatus.Failed)
                    {
                        var failure = new RawObject();
                        failure.SetString("state", "SYNC_FAILED");
                        failure.SetString("reason", reason);
                        failure.Set("exit_code", RawScalar.Null);
                        failure.Set("signal", RawScalar.Null);
                        SetFailure(c.Root, failure);
                    }

                    var end = Timestamps.ParseUtc(c.Root.GetObject("slurm")?.GetString("end_time")) ?? c.Now;
                    SetCompletedAt(c.Root, end);
                    c.Set(final, 14, string.Create(CultureInfo.InvariantCulture, $"artifact sync failed {attempts} times in a row: {final}"));
                    c.Note = string.Create(CultureInfo.InvariantCulture, $"artifact sync failed {attempts} times in a row ({reason}): run marked {final}");
                    return;
                }

                c.Set(RunStatus.Running, 14, string.Create(CultureInfo.InvariantCulture, $"artifact sync failed (attempt {attempts} of {_options.MaxSyncAttempts}); will retry"));
                return;
            }

            RecordSync(c, canonical, input.Result, countAttempt: false);
            c.Set(status, 15, $"sync {canonical} recorded");
            return;
        }

        RecordSync(c, canonical, input.Result, countAttempt: false);
        c.Set(status, 15, $"sync {canonical} recorded; the job has not completed yet, status unchanged");
    }

    private static void ApplyForced(Context c, ForcedStatusInput input)
    {
        if (!RunStatus.IsCanonical(input.Status))
        {
            throw new AutolabException(
                ErrorIds.InvalidStatus,
                AutolabErrorCategory.InvalidArgument,
                $"'{input.Status}' is not a run status. Use one of: {string.Join(", ", RunStatus.All)}. '{c.Path}' was not changed.",
                c.Path);
        }

        if (input.SyncStatus is not null)
        {
            var canonical = SyncStatus.Canonicalize(input.SyncStatus)
                ?? throw new AutolabException(
                    ErrorIds.InvalidStatus,
                    AutolabErrorCategory.InvalidArgument,
                    $"'{input.SyncStatus}' is not a sync status. Use one of: {string.Join(", ", SyncStatus.All)} (or a synonym). '{c.Path}' was not changed.",
                    c.Path);
            c.Root.GetOrAddObject("artifact_sync_to_local").SetString("status", canonical);
        }

        if (RunStatus.NeedsCompletedAt(input.Status) && c.Root.GetPath("timestamps", "completed_at") is null)
        {
            var end = Timestamps.ParseUtc(c.Root.GetObject("slurm")?.GetString("end_time")) ?? c.Now;
            SetCompletedAt(c.Root, end);
        }

        c.Set(input.Status, 0, $"status set to {input.Status} explicitly");
    }

    private static int RecordSync(Context c, string canonical, ArtifactSyncResult? result, bool countAttempt)
    {
        var sync = c.Root.GetOrAddObject("artifact_sync_to_local");
        sync.SetString("status", canonical);
        if (result is not null)
        {
            sync.Set("pulled_paths", RawArray.OfStrings(result.VerifiedPaths));
            if (result.Failures.Count > 0)
            {
                var failures = new RawArray();
                foreach (var failure in result.Failures)
                {
                    var item = new RawObject();
                    item.SetString("path", failure.Path);
                    item.SetString("reason", failure.Reason);
                    failures.Items.Add(item);
                }

                sync.Set("failures", failures);
            }
            else
            {
                sync.Remove("failures");
            }
        }

        var attempts = ReadInt(sync, "attempts") ?? 0;
        if (canonical == SyncStatus.Ok)
        {
            sync.Remove("failures");
            if (sync.Contains("attempts"))
            {
                sync.SetScalar("attempts", RawScalar.FromInt(0));
            }

            return 0;
        }

        if (countAttempt)
        {
            attempts++;
            sync.SetScalar("attempts", RawScalar.FromInt(attempts));
        }

        return attempts;
    }

    private static RawObject EnsureSlurm(Context c)
    {
        var slurm = c.Root.GetOrAddObject("slurm");
        if (string.IsNullOrEmpty(slurm.GetPathText("job_id")))
        {
            slurm.SetString("job_id", JobIdOf(c.Root, c.Path));
        }

        return slurm;
    }

    private static void RecordSlurm(Context c, SlurmJobState job)
    {
        var slurm = EnsureSlurm(c);
        var previousState = slurm.GetString("state");
        var previousRaw = slurm.GetString("raw_state");
        var raw = job.RawState ?? job.State;
        slurm.SetString("state", job.State);
        slurm.SetString("raw_state", raw);
        if (job.ExitCode is not null || slurm.Contains("exit_code"))
        {
            slurm.SetScalar("exit_code", RawScalar.FromNullableInt(job.ExitCode));
        }

        if (job.Signal is not null || slurm.Contains("signal"))
        {
            slurm.SetScalar("signal", RawScalar.FromNullableInt(job.Signal));
        }

        if (job.Restarts is { } restarts)
        {
            slurm.SetScalar("restarts", RawScalar.FromInt(restarts));
        }

        if (job.EndTime is { } end)
        {
            slurm.SetString("end_time", Timestamps.Format(end));
        }

        slurm.SetString("source", job.Source);

        // observed_at is when the current state was first seen: it moves only when the state does,
        // so a pass that learns nothing new leaves the file alone.
        if (previousState != job.State || previousRaw != raw || !slurm.Contains("observed_at"))
        {
            slurm.SetString("observed_at", Timestamps.Format(job.ObservedAt == default ? c.Now : job.ObservedAt));
        }
    }

    private static void FillStartedAt(Context c, SlurmJobState job)
    {
        var when = job.SubmitTime ?? job.StartTime;
        if (when is null)
        {
            return;
        }

        var timestamps = c.Root.GetOrAddObject("timestamps");
        if (string.IsNullOrEmpty(timestamps.GetPathText("started_at")))
        {
            timestamps.SetString("started_at", Timestamps.Format(when.Value));
        }

        if (string.IsNullOrEmpty(c.Root.GetPathText("started_at")))
        {
            c.Root.SetString("started_at", Timestamps.Format(when.Value));
        }
    }

    private static void SetCompletedAt(RawObject root, DateTimeOffset when)
    {
        var text = Timestamps.Format(when);
        root.GetOrAddObject("timestamps").SetString("completed_at", text);
        root.SetString("completed_at", text);
    }

    private static void SetFailure(RawObject root, RawObject failure)
    {
        // Keep an existing failure object's key order by setting its members in place.
        if (root.Get("failure") is RawObject existing)
        {
            foreach (var property in failure.Properties)
            {
                if (property.Value is RawScalar scalar)
                {
                    existing.SetScalar(property.Name, scalar);
                }
                else
                {
                    existing.Set(property.Name, property.Value);
                }
            }

            return;
        }

        root.Set("failure", failure);
    }

    /// <summary>Row 3: the finished attempt's failure, completion time, end time and pulled paths move into slurm.attempts[].</summary>
    private static void ArchiveAttempt(Context c, int recordedRestarts)
    {
        var slurm = EnsureSlurm(c);
        var attempt = new RawObject();
        attempt.SetScalar("restarts", RawScalar.FromInt(recordedRestarts));
        if (slurm.Get("state") is { } state)
        {
            attempt.Set("state", state);
        }

        if (slurm.Get("end_time") is { } end)
        {
            attempt.Set("end_time", end);
            slurm.Remove("end_time");
        }

        var timestamps = c.Root.GetObject("timestamps");
        if (timestamps?.Get("completed_at") is { } completed)
        {
            attempt.Set("completed_at", completed);
            timestamps.Remove("completed_at");
        }

        c.Root.Remove("completed_at");
        if (c.Root.Get("failure") is { } failure)
        {
            attempt.Set("failure", failure);
            c.Root.Remove("failure");
        }

        var sync = c.Root.GetOrAddObject("artifact_sync_to_local");
        if (sync.Get("pulled_paths") is { } pulled)
        {
            attempt.Set("pulled_paths", pulled);
            sync.Remove("pulled_paths");
        }

        sync.Remove("failures");
        sync.Remove("attempts");
        sync.SetString("status", SyncStatus.Pending);
        var attempts = slurm.Get("attempts") as RawArray ?? new RawArray();
        attempts.Items.Add(attempt);
        slurm.Set("attempts", attempts);
    }

    /// <summary>"ended FAILED, exit code 3, signal 9, reason ..." for a failed job (ledger notes say this).</summary>
    public static string DescribeFailure(SlurmJobState job)
    {
        var parts = new List<string> { $"ended {job.RawState ?? job.State}" };
        if (job.ExitCode is { } code)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"exit code {code}"));
        }

        if (job.Signal is { } signal)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"signal {signal}"));
        }

        if (job.Reason is { Length: > 0 } reason && !reason.Equals("None", StringComparison.OrdinalIgnoreCase))
        {
            parts.Add("reason " + reason);
        }

        return string.Join(", ", parts);
    }

    private static int? ReadInt(RawObject? obj, string key) =>
        obj?.Get(key) is RawScalar scalar && scalar.TryGetInt64(out var value) ? (int)value : null;

    /// <summary>The manifest's job id for polling, without a <c>;cluster</c> suffix.</summary>
    public static string JobIdOf(RawObject root, string path)
    {
        var id = ManifestRules.PollJobId(root);
        if (string.IsNullOrEmpty(id))
        {
            throw new AutolabException(
                ErrorIds.JobIdMissing,
                AutolabErrorCategory.InvalidData,
                $"The SLURM run manifest '{path}' has no job id (looked in job_id, slurm.job_id, resource_request.job_id, resource_request.slurm.job_id). Record the id sbatch printed in 'job_id', or re-run the launch stage.",
                path);
        }

        var semicolon = id.IndexOf(';', StringComparison.Ordinal);
        if (semicolon < 0)
        {
            return id;
        }

        // "<id>;<cluster>" as sbatch --parsable prints it: the cluster must be a plain word.
        SlurmJobId.ValidateCluster(id[(semicolon + 1)..].Trim(), $"the cluster part of the job id '{id}' in '{path}'");
        return id[..semicolon].Trim();
    }

    private sealed class Context
    {
        public Context(RawObject root, string status, DateTimeOffset now)
        {
            Root = root;
            Status = status;
            Now = now;
        }

        public RawObject Root { get; }

        public string Path { get; init; } = string.Empty;

        public string Status { get; set; }

        public DateTimeOffset Now { get; }

        /// <summary>False when the row leaves the file alone entirely (row 7 and friends).</summary>
        public bool Touch { get; private set; }

        public int Rule { get; private set; }

        public string? Description { get; private set; }

        public string? Note { get; set; }

        public string? ProbeLimitation { get; set; }

        public void Set(string status, int rule, string description)
        {
            Status = status;
            Rule = rule;
            Description = description;
            Touch = true;
        }

        public void Keep(int rule, string description)
        {
            Rule = rule;
            Description = description;
            Touch = false;
        }
    }
}
