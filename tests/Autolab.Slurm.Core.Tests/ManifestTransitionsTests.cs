using System.Text.Json;
using System.Text.Json.Nodes;
using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "What the monitor writes": every row of the transition table (1-15), through
/// ManifestTransitions.Plan, plus the rules around it (owned keys only, key order, canonical words,
/// observed_at, completed_at mirrors, failure object, LOST, requeue, sync attempts).
/// Rows apply in order, first match wins; S = manifest status, J = job state, Y = sync result.
/// </summary>
public class ManifestTransitionsTests
{
    private const string ManifestPath = "/repo/experiments/plan/iter1/runs/run_001/run_manifest.json";
    private const string EndText = "2026-01-01T00:20:00Z";
    private const string PriorCompletedText = "2026-01-01T00:15:00Z";
    private const string LogPath = "experiments/plan/iter1/runs/run_001/logs/train.log";
    private const string MetricsPath = "experiments/plan/iter1/runs/run_001/metrics.json";

    private static readonly DateTimeOffset Now = Submitted.AddMinutes(30);
    private static readonly DateTimeOffset End = Submitted.AddMinutes(20);

    private static readonly string[] CanonicalRunStatuses = { "pending", "submitted", "running", "synced", "completed", "failed", "partial" };

    // ---------------------------------------------------------------- helpers

    /// <summary>Plans, and checks on every plan that the document's tree is as read: transitions share its unchanged parts.</summary>
    private static ManifestPlan Plan(string text, ManifestInput input, ManifestUpdateOptions? options = null, DateTimeOffset? now = null)
    {
        var document = RunManifestDocument.Parse(ManifestPath, text);
        var plan = new ManifestTransitions(States, options).Plan(document, input, now ?? Now);
        Assert.Equal(RawJson.Write(RawJson.Parse(text)), RawJson.Write(document.Root));
        return plan;
    }

    private static ManifestPlan Plan(JsonObject manifest, ManifestInput input, ManifestUpdateOptions? options = null, DateTimeOffset? now = null) =>
        Plan(ToText(manifest), input, options, now);

    /// <summary>
    /// The launch manifest in status <paramref name="status"/> (null = absent). Terminal statuses get
    /// what a real manifest in that status holds: completed_at (both), a terminal slurm.state, and for
    /// failed a failure object.
    /// </summary>
    private static JsonObject Manifest(string? status, string? slurmState = null, string? syncStatus = "pending")
    {
        var manifest = Launch();
        if (status is null)
        {
            manifest.Remove("status");
        }
        else
        {
            manifest["status"] = status;
        }

        var slurm = (JsonObject)manifest["slurm"]!;
        var defaultState = status switch
        {
            "synced" or "completed" or "partial" => "COMPLETED",
            "failed" => "FAILED",
            _ => null,
        };
        if ((slurmState ?? defaultState) is { } state)
        {
            slurm["state"] = state;
            slurm["raw_state"] = state;
            slurm["source"] = "sacct";
            slurm["observed_at"] = "2026-01-01T00:10:00Z";
        }

        if (status is "synced" or "completed" or "partial" or "failed")
        {
            slurm["end_time"] = PriorCompletedText;
            manifest["timestamps"]!["completed_at"] = PriorCompletedText;
            manifest["completed_at"] = PriorCompletedText;
        }

        if (status == "failed")
        {
            manifest["failure"] = new JsonObject { ["state"] = "FAILED", ["reason"] = "NonZeroExitCode", ["exit_code"] = 1, ["signal"] = 0 };
        }

        var sync = (JsonObject)manifest["artifact_sync_to_local"]!;
        if (syncStatus is null)
        {
            sync.Remove("status");
        }
        else
        {
            sync["status"] = syncStatus;
        }

        return manifest;
    }

    private static JobStateInput J(string status, string state, int? restarts = null, DateTimeOffset? end = null, int? exitCode = null, int? signal = null, string? reason = null, string? rawState = null, DateTimeOffset? observedAt = null, string jobId = JobId, DateTimeOffset? submit = null, string source = JobSource.Sacct) =>
        new(Job(status, state, jobId, restarts, end, exitCode, signal, reason, rawState, observedAt, submit, source));

    private static JobStateInput Unknown(DateTimeOffset? observedAt = null) =>
        J(JobStatus.Unknown, "UNKNOWN", observedAt: observedAt, source: JobSource.None);

    private static SyncInput YOk(params string[] verified) => new(SyncStatus.Ok, Sync(ManifestPath, verified));

    private static SyncInput YFailed(params string[] verified) =>
        new(SyncStatus.Failed, Sync(ManifestPath, verified, (MetricsPath, "transfer cut off")));

    private static JsonObject Out(ManifestPlan plan) => Parse(plan.NewText);

    private static string? StatusOf(ManifestPlan plan) => Str(Out(plan)["status"]);

    private static JsonObject SyncOf(ManifestPlan plan) => (JsonObject)Out(plan)["artifact_sync_to_local"]!;

    private static JsonObject SlurmOf(ManifestPlan plan) => (JsonObject)Out(plan)["slurm"]!;

    private static string[] Strings(JsonNode? array) => ((JsonArray)array!).Select(n => n!.GetValue<string>()).ToArray();

    private static string[] Keys(JsonObject obj) => obj.Select(p => p.Key).ToArray();

    private static void AssertUnchanged(string before, ManifestPlan plan)
    {
        Assert.False(plan.Changed);
        Assert.False(plan.Update.Changed);
        Assert.Equal(before, plan.NewText);
    }

    private static void AssertCompletedAtBoth(ManifestPlan plan, string expected)
    {
        var output = Out(plan);
        Assert.Equal(expected, Str(output["timestamps"]!["completed_at"]));
        Assert.Equal(expected, Str(output["completed_at"]));
    }

    private static void AssertNoCompletedAt(ManifestPlan plan)
    {
        var output = Out(plan);
        Assert.False(((JsonObject)output["timestamps"]!).ContainsKey("completed_at"));
        Assert.False(output.ContainsKey("completed_at"));
    }

    // ---------------------------------------------------------------- row 1

    [Theory]
    [InlineData("submitted")]
    [InlineData("running")]
    [InlineData("synced")]
    [InlineData("completed")]
    [InlineData("failed")]
    [InlineData(null)]
    public void Plan_Row01_JobStateForAnotherJob_RefusedWithJobIdMismatch(string? status)
    {
        var text = ToText(Manifest(status));

        var ex = Assert.Throws<AutolabException>(() => Plan(text, J(JobStatus.Running, "RUNNING", jobId: "99999")));

        Assert.Equal(ErrorIds.JobIdMismatch, ex.ErrorId);
        Assert.Contains("99999", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_Row01_JobIdOfTheLedgerOrderOnly_IsStillAMismatch()
    {
        // The poll order reads job_id first; a state for slurm.job_id's id belongs to another job.
        var manifest = Manifest("running");
        manifest["job_id"] = "111";
        manifest["slurm"]!["job_id"] = "222";

        var ex = Assert.Throws<AutolabException>(() => Plan(manifest, J(JobStatus.Running, "RUNNING", jobId: "222")));

        Assert.Equal(ErrorIds.JobIdMismatch, ex.ErrorId);
        Assert.Equal("running", StatusOf(Plan(manifest, J(JobStatus.Running, "RUNNING", jobId: "111"))));
    }

    // ---------------------------------------------------------------- row 2

    /// <summary>
    /// Row 2 has no manifest input in the Core (no job state exists when the scheduler cannot be asked),
    /// so it is tested as what the stage does instead: a ledger note through the ledger service, with
    /// the manifest left byte-for-byte and its ledger line unchanged.
    /// </summary>
    [Fact]
    public void Row02_SchedulerUnreachable_LedgerNoteAddedManifestNotRewritten()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine(".autolab"));
        var manifestPath = dir.Write("experiments/plan/iter1/runs/run_001/run_manifest.json", LaunchJson);
        var ledger = new JobLedgerService(new FixedClock(Now));
        ledger.Apply(manifestPath, null, null, CancellationToken.None);
        var manifestBefore = File.ReadAllBytes(manifestPath);
        var manifestTime = File.GetLastWriteTimeUtc(manifestPath);

        var plan = ledger.Apply(manifestPath, null, "sacct and squeue could not be asked (sacct: command not found).", CancellationToken.None);

        Assert.Equal(LedgerAction.NoteAdded, plan.Entry.Action);
        Assert.True(plan.Entry.NoteAdded);
        Assert.Equal(manifestBefore, File.ReadAllBytes(manifestPath));
        Assert.Equal(manifestTime, File.GetLastWriteTimeUtc(manifestPath));
        Assert.Equal(
            "# SLURM Job Ledger\n\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n" +
            "  - note: 2026-01-01T00:30:00Z sacct and squeue could not be asked (sacct: command not found).\n",
            File.ReadAllText(dir.Combine("docs", "slurm_job_list.md")));
    }

    /// <summary>A failure object already in the manifest (say, written by hand) is updated member by member, in its key order.</summary>
    [Fact]
    public void Plan_Row10_ExistingFailureObject_UpdatedInPlaceKeyOrderKept()
    {
        var manifest = Manifest("running", "RUNNING");
        manifest["failure"] = new JsonObject { ["reason"] = "old", ["note"] = "by hand", ["state"] = "OLD" };

        var plan = Plan(manifest, J(JobStatus.Failed, "FAILED", exitCode: 3, signal: 0, reason: "NonZeroExitCode", end: End));

        var failure = (JsonObject)Out(plan)["failure"]!;
        Assert.Equal(new[] { "reason", "note", "state", "exit_code", "signal" }, failure.Select(p => p.Key));
        Assert.Equal("NonZeroExitCode", Str(failure["reason"]));
        Assert.Equal("by hand", Str(failure["note"]));
        Assert.Equal("FAILED", Str(failure["state"]));
    }

    // ---------------------------------------------------------------- row 3

    private static JsonObject FailedWithHistory(int? recordedRestarts)
    {
        var manifest = Manifest("failed", "NODE_FAIL", syncStatus: "failed");
        manifest["failure"] = new JsonObject { ["state"] = "NODE_FAIL", ["reason"] = "node died", ["exit_code"] = 0, ["signal"] = 0 };
        if (recordedRestarts is { } r)
        {
            manifest["slurm"]!["restarts"] = r;
        }

        var sync = (JsonObject)manifest["artifact_sync_to_local"]!;
        sync["pulled_paths"] = new JsonArray(LogPath);
        sync["failures"] = new JsonArray(new JsonObject { ["path"] = MetricsPath, ["reason"] = "missing" });
        sync["attempts"] = 1;
        return manifest;
    }

    [Fact]
    public void Plan_Row03_RequeuedAfterFailure_ArchivesAttemptAndResetsSync()
    {
        var manifest = FailedWithHistory(recordedRestarts: 0);

        var plan = Plan(manifest, J(JobStatus.Running, "RUNNING", restarts: 1));

        Assert.True(plan.Changed);
        var output = Out(plan);
        Assert.Equal("running", Str(output["status"]));
        Assert.False(output.ContainsKey("failure"));
        AssertNoCompletedAt(plan);
        var slurm = (JsonObject)output["slurm"]!;
        Assert.Equal("RUNNING", Str(slurm["state"]));
        Assert.Equal(1, slurm["restarts"]!.GetValue<int>());
        Assert.False(slurm.ContainsKey("end_time"));
        var attempt = Assert.Single((JsonArray)slurm["attempts"]!);
        var archived = attempt!.ToJsonString();
        Assert.Contains("NODE_FAIL", archived, StringComparison.Ordinal);
        Assert.Contains("node died", archived, StringComparison.Ordinal);
        Assert.Contains(PriorCompletedText, archived, StringComparison.Ordinal);
        Assert.Contains(LogPath, archived, StringComparison.Ordinal);
        var sync = (JsonObject)output["artifact_sync_to_local"]!;
        Assert.Equal("pending", Str(sync["status"]));
        Assert.True(!sync.ContainsKey("pulled_paths") || ((JsonArray)sync["pulled_paths"]!).Count == 0);
    }

    [Theory]
    [InlineData("failed", JobStatus.Running, "RUNNING", "running")]
    [InlineData("failed", JobStatus.Pending, "PENDING", "pending")]
    [InlineData("failed", JobStatus.Completed, "COMPLETED", "running")]
    [InlineData("failed", JobStatus.Failed, "TIMEOUT", "failed")]
    [InlineData("synced", JobStatus.Running, "RUNNING", "running")]
    [InlineData("synced", JobStatus.Pending, "REQUEUED", "pending")]
    [InlineData("synced", JobStatus.Failed, "OUT_OF_MEMORY", "failed")]
    [InlineData("partial", JobStatus.Running, "RUNNING", "running")]
    [InlineData("partial", JobStatus.Completed, "COMPLETED", "running")]
    [InlineData("completed", JobStatus.Running, "RUNNING", "running")]
    [InlineData("completed", JobStatus.Failed, "FAILED", "failed")]
    public void Plan_Row03_TerminalWithLargerRestarts_FollowsRows8To10(string status, string jobStatus, string state, string expected)
    {
        var manifest = Manifest(status);
        manifest["slurm"]!["restarts"] = 0;
        var newEnd = Now.AddMinutes(-1);

        var plan = Plan(manifest, J(jobStatus, state, restarts: 1, end: jobStatus is JobStatus.Completed or JobStatus.Failed ? newEnd : null, exitCode: 1, signal: 0));

        Assert.Equal(expected, StatusOf(plan));
        var slurm = SlurmOf(plan);
        Assert.Equal(state, Str(slurm["state"]));
        Assert.Single((JsonArray)slurm["attempts"]!);
        Assert.Equal("pending", Str(SyncOf(plan)["status"]));
        if (expected == "failed")
        {
            Assert.Equal(state, Str(Out(plan)["failure"]!["state"]));
            AssertCompletedAtBoth(plan, Timestamps.Format(newEnd));
        }
        else
        {
            Assert.False(Out(plan).ContainsKey("failure"));
            AssertNoCompletedAt(plan);
        }
    }

    [Fact]
    public void Plan_Row03_SecondRequeue_AppendsASecondAttempt()
    {
        var first = Plan(FailedWithHistory(0), J(JobStatus.Failed, "TIMEOUT", restarts: 1, end: End));
        Assert.Equal("failed", StatusOf(first));

        var second = Plan(first.NewText, J(JobStatus.Running, "RUNNING", restarts: 2));

        Assert.Equal("running", StatusOf(second));
        var attempts = (JsonArray)SlurmOf(second)["attempts"]!;
        Assert.Equal(2, attempts.Count);
        Assert.Contains("NODE_FAIL", attempts[0]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("TIMEOUT", attempts[1]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData(1, null)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    public void Plan_Row03_NoEvidenceOfRequeue_TerminalUnchanged(int? recorded, int? reported)
    {
        var text = ToText(FailedWithHistory(recorded));

        var plan = Plan(text, J(JobStatus.Running, "RUNNING", restarts: reported));

        AssertUnchanged(text, plan);
        Assert.Equal("failed", plan.Update.Status);
    }

    // ---------------------------------------------------------------- row 4

    [Theory]
    [InlineData("pending")]
    [InlineData("failed")]
    [InlineData(null)]
    public void Plan_Row04_CompletedWithoutSuccessfulSync_JobPassLeavesFileAlone(string? syncStatus)
    {
        var text = ToText(Manifest("completed", syncStatus: syncStatus));

        var plan = Plan(text, J(JobStatus.Completed, "COMPLETED", end: End));

        AssertUnchanged(text, plan);
        Assert.Equal("completed", plan.Update.Status);
    }

    [Fact]
    public void Plan_Row04_CompletedThenSyncOk_Synced()
    {
        var manifest = Manifest("completed", syncStatus: "failed");

        var plan = Plan(manifest, YOk(LogPath, MetricsPath));

        Assert.True(plan.Changed);
        Assert.Equal("synced", StatusOf(plan));
        Assert.Equal("ok", Str(SyncOf(plan)["status"]));
        Assert.Equal(new[] { LogPath, MetricsPath }, Strings(SyncOf(plan)["pulled_paths"]));
        AssertCompletedAtBoth(plan, PriorCompletedText);
        Assert.Equal("synced", plan.Update.Status);
        Assert.Equal("completed", plan.Update.PreviousStatus);
    }

    [Fact]
    public void Plan_Row04_CompletedThenSyncFailed_StaysCompleted()
    {
        var plan = Plan(Manifest("completed"), YFailed(LogPath));

        Assert.Equal("completed", StatusOf(plan));
        Assert.Equal("completed", plan.Update.Status);
    }

    // ---------------------------------------------------------------- row 5

    [Theory]
    [InlineData("ok")]
    [InlineData("success")]
    [InlineData("completed")]
    [InlineData("passed")]
    [InlineData("OK")]
    public void Plan_Row05_CompletedWithSuccessLikeSync_Synced(string syncWord)
    {
        var manifest = Manifest("completed", syncStatus: syncWord);

        var plan = Plan(manifest, J(JobStatus.Completed, "COMPLETED", end: Submitted.AddMinutes(15)));

        Assert.True(plan.Changed);
        Assert.Equal("synced", StatusOf(plan));
        Assert.Equal("synced", plan.Update.Status);
        AssertCompletedAtBoth(plan, PriorCompletedText);
    }

    // ---------------------------------------------------------------- row 6

    [Fact]
    public void Plan_Row06_FailedWithSyncOk_StaysFailedSyncOk()
    {
        var plan = Plan(Manifest("failed"), YOk(LogPath));

        Assert.Equal("failed", StatusOf(plan));
        Assert.Equal("ok", Str(SyncOf(plan)["status"]));
        Assert.Equal(new[] { LogPath }, Strings(SyncOf(plan)["pulled_paths"]));
        Assert.Equal("FAILED", Str(Out(plan)["failure"]!["state"]));
        AssertCompletedAtBoth(plan, PriorCompletedText);
    }

    [Fact]
    public void Plan_Row06_FailedWithSyncFailed_StaysFailedSyncFailed()
    {
        var plan = Plan(Manifest("failed"), YFailed());

        Assert.Equal("failed", StatusOf(plan));
        Assert.Equal("failed", Str(SyncOf(plan)["status"]));
        Assert.NotEmpty((JsonArray)SyncOf(plan)["failures"]!);
    }

    // ---------------------------------------------------------------- row 7

    public static TheoryData<string, string> Row07Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var status in new[] { "synced", "partial" })
        {
            foreach (var input in new[] { "J:pending", "J:running", "J:completed", "J:failed", "J:unknown", "Y:ok", "Y:failed" })
            {
                data.Add(status, input);
            }
        }

        foreach (var input in new[] { "J:pending", "J:running", "J:completed", "J:failed", "J:unknown" })
        {
            data.Add("failed", input);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Row07Cases))]
    public void Plan_Row07_TerminalWithAnythingElse_Unchanged(string status, string input)
    {
        var text = ToText(Manifest(status));
        ManifestInput manifestInput = input switch
        {
            "J:pending" => J(JobStatus.Pending, "PENDING"),
            "J:running" => J(JobStatus.Running, "RUNNING"),
            "J:completed" => J(JobStatus.Completed, "COMPLETED", end: End),
            "J:failed" => J(JobStatus.Failed, "FAILED", end: End, exitCode: 2),
            "J:unknown" => Unknown(),
            "Y:ok" => YOk(LogPath),
            _ => YFailed(),
        };

        // Far in the future, so a non-terminal run would be LOST: terminal ones never move.
        var plan = Plan(text, manifestInput, now: Now.AddDays(3));

        AssertUnchanged(text, plan);
        Assert.Equal(status, plan.Update.Status);
    }

    // ---------------------------------------------------------------- row 8

    public static TheoryData<string?, string, string, string> Row08Cases()
    {
        var data = new TheoryData<string?, string, string, string>();
        var jobs = new[]
        {
            (JobStatus.Pending, "PENDING"), (JobStatus.Running, "RUNNING"), (JobStatus.Running, "COMPLETING"),
            (JobStatus.Pending, "REQUEUED"), (JobStatus.Running, "SUSPENDED"), (JobStatus.Pending, "CONFIGURING"),
        };
        foreach (var status in new string?[] { null, "pending", "submitted", "running", "queued", "in_progress" })
        {
            foreach (var (jobStatus, state) in jobs)
            {
                data.Add(status, jobStatus, state, jobStatus);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Row08Cases))]
    public void Plan_Row08_NonTerminalWithPendingOrRunningJob_TakesJobStatusAndRecordsSlurm(string? status, string jobStatus, string state, string expected)
    {
        var observed = Now.AddMinutes(-2);

        var plan = Plan(Manifest(status), J(jobStatus, state, observedAt: observed, source: JobSource.Squeue));

        Assert.True(plan.Changed);
        Assert.Equal(expected, StatusOf(plan));
        Assert.Equal(expected, plan.Update.Status);
        var slurm = SlurmOf(plan);
        Assert.Equal(JobId, Str(slurm["job_id"]));
        Assert.Equal(state, Str(slurm["state"]));
        Assert.Equal(state, Str(slurm["raw_state"]));
        Assert.Equal("squeue", Str(slurm["source"]));
        Assert.Equal(Timestamps.Format(observed), Str(slurm["observed_at"]));
        Assert.False(Out(plan).ContainsKey("failure"));
        AssertNoCompletedAt(plan);
    }

    [Fact]
    public void Plan_Row08_JobDetails_RecordedUnderSlurm()
    {
        var plan = Plan(Manifest("submitted"), J(JobStatus.Running, "RUNNING", restarts: 0, rawState: "RUNNING", observedAt: Now));

        var slurm = SlurmOf(plan);
        Assert.Equal(0, slurm["restarts"]!.GetValue<int>());
        Assert.Equal("sacct", Str(slurm["source"]));
        Assert.Equal(Timestamps.Format(Now), Str(slurm["observed_at"]));
    }

    [Fact]
    public void Plan_Row08_NoSlurmBlock_SlurmJobIdAddedFromPollId()
    {
        var manifest = Manifest("submitted");
        manifest.Remove("slurm");

        var plan = Plan(manifest, J(JobStatus.Running, "RUNNING"));

        var output = Out(plan);
        Assert.Equal("slurm", Keys(output)[^1]);
        Assert.Equal(JobId, Str(output["slurm"]!["job_id"]));
    }

    [Fact]
    public void Plan_Row08_ExistingSlurmJobId_IsNotRewritten()
    {
        const string text = """
            {"schema_version": "1.0", "run_id": "run_001", "iteration_id": "iter1", "host_mode": "slurm",
             "command": "sbatch x", "resource_request": {}, "status": "submitted",
             "artifact_sync_to_local": {"status": "pending"}, "timestamps": {"started_at": "2026-01-01T00:00:00Z"},
             "slurm": {"job_id": 12345}}
            """;

        var plan = Plan(text, J(JobStatus.Running, "RUNNING"));

        Assert.Equal(JsonValueKind.Number, SlurmOf(plan)["job_id"]!.GetValueKind());
        Assert.Contains("\"job_id\": 12345,", plan.NewText, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_Row08_MissingStartedAt_FilledFromSubmitTime()
    {
        var manifest = Manifest("submitted");
        manifest["timestamps"] = new JsonObject();
        manifest.Remove("started_at");
        var submit = Submitted.AddMinutes(1);

        var plan = Plan(manifest, J(JobStatus.Running, "RUNNING", submit: submit));

        Assert.Equal(Timestamps.Format(submit), Str(Out(plan)["timestamps"]!["started_at"]));
    }

    [Fact]
    public void Plan_Row08_ExistingStartedAt_IsNeverReplaced()
    {
        var plan = Plan(Manifest("submitted"), J(JobStatus.Running, "RUNNING", submit: Submitted.AddHours(5)));

        Assert.Equal("2026-01-01T00:00:00Z", Str(Out(plan)["timestamps"]!["started_at"]));
        Assert.Equal("2026-01-01T00:00:00Z", Str(Out(plan)["started_at"]));
    }

    // ---------------------------------------------------------------- row 9

    [Theory]
    [InlineData("submitted", "pending", "pending")]
    [InlineData("running", "pending", "pending")]
    [InlineData("pending", null, "pending")]
    [InlineData("running", "failed", "failed")]
    [InlineData("running", "syncing", "syncing")]
    [InlineData(null, "pending", "pending")]
    public void Plan_Row09_JobCompleted_RunningWithSlurmCompletedAndSyncPendingUnlessSet(string? status, string? syncBefore, string syncAfter)
    {
        var plan = Plan(Manifest(status, syncStatus: syncBefore), J(JobStatus.Completed, "COMPLETED", end: End, exitCode: 0, signal: 0));

        Assert.True(plan.Changed);
        Assert.Equal("running", StatusOf(plan));
        var slurm = SlurmOf(plan);
        Assert.Equal("COMPLETED", Str(slurm["state"]));
        Assert.Equal(EndText, Str(slurm["end_time"]));
        Assert.Equal(0, slurm["exit_code"]!.GetValue<int>());
        Assert.Equal(syncAfter, Str(SyncOf(plan)["status"]));
        Assert.False(Out(plan).ContainsKey("failure"));
    }

    [Fact]
    public void Plan_Row09_NoSyncObjectAtAll_SyncPendingAdded()
    {
        var manifest = Manifest("running");
        manifest.Remove("artifact_sync_to_local");

        var plan = Plan(manifest, J(JobStatus.Completed, "COMPLETED", end: End));

        Assert.Equal("pending", Str(SyncOf(plan)["status"]));
    }

    // ---------------------------------------------------------------- row 10

    [Theory]
    [InlineData("FAILED", "FAILED", 1, 0, "NonZeroExitCode")]
    [InlineData("CANCELLED", "CANCELLED by 0", 0, 15, null)]
    [InlineData("TIMEOUT", "TIMEOUT", 0, 15, "TimeLimit")]
    [InlineData("OUT_OF_MEMORY", "OUT_OF_MEMORY", 0, 9, null)]
    [InlineData("NODE_FAIL", "NODE_FAIL", 1, 0, "NodeDown")]
    [InlineData("BOOT_FAIL", "BOOT_FAIL", 1, 0, null)]
    [InlineData("DEADLINE", "DEADLINE", 0, 0, null)]
    [InlineData("PREEMPTED", "PREEMPTED", 0, 0, null)]
    public void Plan_Row10_JobFailed_FailedWithFailureObjectAndCompletedAt(string state, string raw, int exitCode, int signal, string? reason)
    {
        var plan = Plan(Manifest("running", "RUNNING"), J(JobStatus.Failed, state, end: End, exitCode: exitCode, signal: signal, reason: reason, rawState: raw));

        Assert.True(plan.Changed);
        Assert.Equal("failed", StatusOf(plan));
        Assert.Equal("failed", plan.Update.Status);
        var failure = (JsonObject)Out(plan)["failure"]!;
        Assert.Equal(new[] { "exit_code", "reason", "signal", "state" }, Keys(failure).Order(StringComparer.Ordinal));
        Assert.Equal(state, Str(failure["state"]));
        Assert.Equal(exitCode, failure["exit_code"]!.GetValue<int>());
        Assert.Equal(signal, failure["signal"]!.GetValue<int>());
        if (reason is not null)
        {
            Assert.Equal(reason, Str(failure["reason"]));
        }

        Assert.Equal(state, Str(SlurmOf(plan)["state"]));
        Assert.Equal(raw, Str(SlurmOf(plan)["raw_state"]));
        AssertCompletedAtBoth(plan, EndText);
    }

    [Fact]
    public void Plan_Row10_NoEndTime_CompletedAtIsNow()
    {
        var plan = Plan(Manifest("submitted"), J(JobStatus.Failed, "FAILED", exitCode: 2));

        Assert.Equal("failed", StatusOf(plan));
        AssertCompletedAtBoth(plan, Timestamps.Format(Now));
    }

    [Fact]
    public void Plan_Row10_NowWithOffset_CompletedAtWrittenUtc()
    {
        var plan = Plan(Manifest("submitted"), J(JobStatus.Failed, "FAILED"), now: new DateTimeOffset(2026, 1, 1, 2, 30, 0, TimeSpan.FromHours(2)));

        AssertCompletedAtBoth(plan, "2026-01-01T00:30:00Z");
    }

    // ---------------------------------------------------------------- row 11

    [Theory]
    [InlineData(61, null, true)]
    [InlineData(600, null, true)]
    [InlineData(60, null, false)]
    [InlineData(59, null, false)]
    [InlineData(11, 10, true)]
    [InlineData(9, 10, false)]
    [InlineData(61, 120, false)]
    [InlineData(121, 120, true)]
    public void Plan_Row11_UnknownLongerThanLostAfterSinceSubmission_FailedLost(int minutes, int? lostAfterMinutes, bool lost)
    {
        var options = lostAfterMinutes is { } m ? new ManifestUpdateOptions { LostAfter = TimeSpan.FromMinutes(m) } : null;
        var now = Submitted.AddMinutes(minutes);

        var plan = Plan(Manifest("submitted"), Unknown(now), options, now);

        var output = Out(plan);
        if (lost)
        {
            Assert.Equal("failed", Str(output["status"]));
            Assert.Equal("LOST", Str(output["failure"]!["state"]));
            AssertCompletedAtBoth(plan, Timestamps.Format(now));
            Assert.NotNull(plan.Update.Note);
            Assert.Contains("vanished", plan.Update.Note, StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            Assert.Equal("submitted", Str(output["status"]));
            Assert.False(output.ContainsKey("failure"));
            AssertNoCompletedAt(plan);
        }
    }

    [Fact]
    public void Plan_Row11_LastKnownStateRecent_NotLostEvenIfSubmittedLongAgo()
    {
        // "since the last known state or submission": a state first seen 30 minutes ago means the job
        // was known at most 30 minutes ago, whatever the submission time.
        var manifest = Manifest("running", "RUNNING");
        var now = Submitted.AddHours(3);
        manifest["slurm"]!["observed_at"] = Timestamps.Format(now.AddMinutes(-30));

        var plan = Plan(manifest, Unknown(now), now: now);

        Assert.Equal("running", StatusOf(plan));
        Assert.Equal("RUNNING", Str(SlurmOf(plan)["state"]));
        Assert.False(Out(plan).ContainsKey("failure"));
    }

    [Theory]
    [InlineData("COMPLETED")]
    [InlineData("TIMEOUT")]
    [InlineData("FAILED")]
    public void Plan_Row11_TerminalSlurmStateRecorded_NeverLostAndStateKept(string recorded)
    {
        var text = ToText(Manifest("running", recorded));
        var now = Submitted.AddHours(5);

        var plan = Plan(text, Unknown(now), now: now);

        Assert.Equal("running", StatusOf(plan));
        Assert.Equal(recorded, Str(SlurmOf(plan)["state"]));
        Assert.False(Out(plan).ContainsKey("failure"));
        AssertUnchanged(text, plan);
    }

    // ---------------------------------------------------------------- row 12

    [Fact]
    public void Plan_Row12_UnknownAndNoStateYet_RecordsUnknownStatusUnchanged()
    {
        var now = Submitted.AddMinutes(5);

        var plan = Plan(Manifest("submitted"), Unknown(now), now: now);

        Assert.Equal("submitted", StatusOf(plan));
        Assert.Equal("submitted", plan.Update.Status);
        Assert.Equal("UNKNOWN", Str(SlurmOf(plan)["state"]));
        Assert.False(Out(plan).ContainsKey("failure"));
    }

    [Theory]
    [InlineData("RUNNING", "running")]
    [InlineData("PENDING", "pending")]
    [InlineData("COMPLETED", "running")]
    public void Plan_Row12_UnknownWithKnownState_NothingChanges(string recorded, string status)
    {
        var text = ToText(Manifest(status, recorded));

        var plan = Plan(text, Unknown(Now), now: Now);

        AssertUnchanged(text, plan);
    }

    [Fact]
    public void Plan_Row12_RecordedCompletedSurvivesUnknown_ThenRow13StillApplies()
    {
        var unknown = Plan(Manifest("running", "COMPLETED"), Unknown());
        Assert.Equal("COMPLETED", Str(SlurmOf(unknown)["state"]));

        var synced = Plan(unknown.NewText, YOk(LogPath));

        Assert.Equal("synced", StatusOf(synced));
    }

    [Theory]
    [InlineData("queued")]
    [InlineData("in_progress")]
    [InlineData("Running")]
    [InlineData(null)]
    public void Plan_Row12_NonCanonicalOrAbsentStatus_WrittenCanonicalPending(string? status)
    {
        var plan = Plan(Manifest(status), Unknown());

        Assert.True(plan.Changed);
        Assert.Equal("pending", StatusOf(plan));
        Assert.Equal(status, plan.Update.PreviousStatus);
        Assert.Equal("pending", plan.Update.Status);
    }

    // ---------------------------------------------------------------- row 13

    [Fact]
    public void Plan_Row13_CompletedJobSyncOk_SyncedWithVerifiedPathsAndEndTime()
    {
        var manifest = Manifest("running", "COMPLETED", syncStatus: "failed");
        manifest["slurm"]!["end_time"] = EndText;
        var sync = (JsonObject)manifest["artifact_sync_to_local"]!;
        sync["pulled_paths"] = new JsonArray("stale/path");
        sync["failures"] = new JsonArray(new JsonObject { ["path"] = MetricsPath, ["reason"] = "cut off" });
        sync["attempts"] = 2;

        var plan = Plan(manifest, YOk(LogPath, MetricsPath));

        Assert.True(plan.Changed);
        Assert.Equal("synced", StatusOf(plan));
        Assert.Equal("synced", plan.Update.Status);
        Assert.Equal("ok", plan.Update.SyncStatus);
        var after = SyncOf(plan);
        Assert.Equal("ok", Str(after["status"]));
        Assert.Equal(new[] { LogPath, MetricsPath }, Strings(after["pulled_paths"]));
        Assert.False(after.ContainsKey("failures"));
        Assert.True(!after.ContainsKey("attempts") || after["attempts"]!.GetValue<int>() == 0);
        AssertCompletedAtBoth(plan, EndText);
    }

    // ---------------------------------------------------------------- row 14

    [Theory]
    [InlineData(null, 3, 1, "running", 1)]
    [InlineData(0, 3, 1, "running", 1)]
    [InlineData(1, 3, 1, "running", 2)]
    [InlineData(2, 3, 2, "partial", 3)]
    [InlineData(2, 3, 0, "failed", 3)]
    [InlineData(2, 5, 0, "running", 3)]
    [InlineData(4, 5, 1, "partial", 5)]
    [InlineData(0, 1, 0, "failed", 1)]
    public void Plan_Row14_CompletedJobSyncFailed_CountsAttemptsUpToMax(int? attemptsBefore, int max, int verifiedCount, string expected, int attemptsAfter)
    {
        var manifest = Manifest("running", "COMPLETED");
        manifest["slurm"]!["end_time"] = EndText;
        if (attemptsBefore is { } a)
        {
            manifest["artifact_sync_to_local"]!["status"] = "failed";
            manifest["artifact_sync_to_local"]!["attempts"] = a;
        }

        var verified = new[] { LogPath, "experiments/plan/iter1/runs/run_001/out.csv" }.Take(verifiedCount).ToArray();
        var options = new ManifestUpdateOptions { MaxSyncAttempts = max };

        var plan = Plan(manifest, YFailed(verified), options);

        Assert.True(plan.Changed);
        Assert.Equal(expected, StatusOf(plan));
        Assert.Equal(expected, plan.Update.Status);
        var sync = SyncOf(plan);
        Assert.Equal("failed", Str(sync["status"]));
        Assert.Equal(attemptsAfter, sync["attempts"]!.GetValue<int>());
        Assert.NotEmpty((JsonArray)sync["failures"]!);
        Assert.Equal(verified, Strings(sync["pulled_paths"]));
        if (expected == "running")
        {
            AssertNoCompletedAt(plan);
        }
        else
        {
            var output = Out(plan);
            Assert.NotNull(Timestamps.ParseUtc(Str(output["timestamps"]!["completed_at"])));
            Assert.Equal(Str(output["timestamps"]!["completed_at"]), Str(output["completed_at"]));
        }
    }

    [Fact]
    public void Plan_Row14_DefaultMax_ThreeConsecutiveFailuresEndTheRun()
    {
        var text = ToText(Manifest("running", "COMPLETED"));
        var statuses = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            var plan = Plan(text, YFailed(LogPath));
            statuses.Add(StatusOf(plan));
            text = plan.NewText;
        }

        Assert.Equal(new[] { "running", "running", "partial" }, statuses);
    }

    [Fact]
    public void Plan_Row14_SuccessResetsTheCount_FailuresAreConsecutiveOnly()
    {
        var text = ToText(Manifest("running", "COMPLETED"));
        text = Plan(text, YFailed(LogPath)).NewText;
        text = Plan(text, YFailed(LogPath)).NewText;

        var synced = Plan(text, YOk(LogPath));

        Assert.Equal("synced", StatusOf(synced));
        var sync = SyncOf(synced);
        Assert.True(!sync.ContainsKey("attempts") || sync["attempts"]!.GetValue<int>() == 0);
    }

    // ---------------------------------------------------------------- row 15

    [Fact]
    public void Plan_Row15_RunningJobSyncOk_StatusUnchangedSyncRecorded()
    {
        var plan = Plan(Manifest("running", "RUNNING"), YOk(LogPath));

        Assert.Equal("running", StatusOf(plan));
        Assert.Equal("ok", Str(SyncOf(plan)["status"]));
        Assert.Equal(new[] { LogPath }, Strings(SyncOf(plan)["pulled_paths"]));
        AssertNoCompletedAt(plan);
    }

    [Theory]
    [InlineData("submitted", null)]
    [InlineData("pending", "PENDING")]
    [InlineData("running", "RUNNING")]
    [InlineData("running", "UNKNOWN")]
    public void Plan_Row15_NotCompletedJobSyncFailed_StatusUnchangedSyncRecorded(string status, string? slurmState)
    {
        var plan = Plan(Manifest(status, slurmState), YFailed(LogPath), new ManifestUpdateOptions { MaxSyncAttempts = 1 });

        Assert.Equal(status, StatusOf(plan));
        Assert.Equal("failed", Str(SyncOf(plan)["status"]));
        Assert.NotEmpty((JsonArray)SyncOf(plan)["failures"]!);
        Assert.False(Out(plan).ContainsKey("failure"));
        AssertNoCompletedAt(plan);
    }

    // ---------------------------------------------------------------- rules around the table

    public static TheoryData<string?, string> AllStatusesAndInputs()
    {
        var data = new TheoryData<string?, string>();
        var statuses = new string?[] { null, "queued", "in_progress", "Running", "pending", "submitted", "running", "synced", "completed", "failed", "partial" };
        var inputs = new[] { "J:pending", "J:running", "J:completed", "J:failed", "J:unknown", "J:lost", "Y:ok", "Y:failed", "Y:success" };
        foreach (var status in statuses)
        {
            foreach (var input in inputs)
            {
                data.Add(status, input);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllStatusesAndInputs))]
    public void Plan_AnyStatusAndInput_WritesOnlyCanonicalWordsAndCompletedAtWhenNeeded(string? status, string input)
    {
        var now = input == "J:lost" ? Submitted.AddHours(3) : Now;
        ManifestInput manifestInput = input switch
        {
            "J:pending" => J(JobStatus.Pending, "PENDING"),
            "J:running" => J(JobStatus.Running, "RUNNING"),
            "J:completed" => J(JobStatus.Completed, "COMPLETED", end: End),
            "J:failed" => J(JobStatus.Failed, "FAILED", end: End),
            "J:unknown" or "J:lost" => Unknown(now),
            "Y:ok" => YOk(LogPath),
            "Y:success" => new SyncInput("success", null),
            _ => YFailed(),
        };

        var plan = Plan(Manifest(status), manifestInput, now: now);

        var output = Out(plan);
        if (plan.Changed)
        {
            Assert.Contains(Str(output["status"]), CanonicalRunStatuses);
            Assert.Contains(Str(output["artifact_sync_to_local"]!["status"]), SyncStatus.AcceptedWords);
        }

        Assert.Contains(plan.Update.Status, CanonicalRunStatuses);
        if (Str(output["status"]) is "completed" or "failed")
        {
            Assert.NotNull(output["timestamps"]!["completed_at"]);
            Assert.NotNull(output["completed_at"]);
        }
    }

    [Fact]
    public void Plan_SyncSynonymInput_WrittenCanonical()
    {
        var plan = Plan(Manifest("running", "RUNNING"), new SyncInput("success", null));

        Assert.Equal("ok", Str(SyncOf(plan)["status"]));
    }

    [Fact]
    public void Plan_OwnedKeysOnly_UnownedTextOrderAndPlaceKeptNewKeysLast()
    {
        const string text = """
            {
              "schema_version": "1.0",
              "run_id": "run_001",
              "extra_first": {"lr": 1.0, "steps": 1e3, "label": "a+b<c>&'d' é \u00e9 \/"},
              "iteration_id": "iter1",
              "host_mode": "slurm",
              "command": "sbatch launch/run_slurm.sbatch --lr=1e-3",
              "resource_request": {"cpus": 1, "memory": "16GB", "job_id": "12345", "weird": -0.0},
              "status": "running",
              "zzz_between": [1.50, "x", {}],
              "artifact_sync_to_local": {"custom": true, "status": "pending"},
              "timestamps": {"queued_at": "2026-01-01T00:00:00+00:00", "started_at": "2026-01-01T00:00:00Z"},
              "job_id": "12345",
              "slurm": {"partition": "gpu", "job_id": "12345", "state": "RUNNING", "raw_state": "RUNNING", "source": "sacct", "observed_at": "2026-01-01T00:05:00Z"},
              "tail_key": null
            }
            """;
        var originalKeys = Keys(Parse(text));

        var plan = Plan(text, J(JobStatus.Failed, "TIMEOUT", end: End, exitCode: 0, signal: 15, reason: "TimeLimit"));

        Assert.True(plan.Changed);
        var output = Out(plan);
        var keys = Keys(output);
        Assert.Equal(originalKeys, keys.Take(originalKeys.Length));
        Assert.Equal(new[] { "completed_at", "failure" }, keys.Skip(originalKeys.Length).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "queued_at", "started_at", "completed_at" }, Keys((JsonObject)output["timestamps"]!));
        Assert.Equal(new[] { "custom", "status" }, Keys((JsonObject)output["artifact_sync_to_local"]!));
        Assert.Equal(
            new[] { "partition", "job_id", "state", "raw_state", "source", "observed_at" },
            Keys((JsonObject)output["slurm"]!).Take(6));
        Assert.Contains("\"lr\": 1.0,", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"steps\": 1e3,", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"label\": \"a+b<c>&'d' é \\u00e9 \\/\"", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"weird\": -0.0", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("    1.50,", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"queued_at\": \"2026-01-01T00:00:00+00:00\"", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"command\": \"sbatch launch/run_slurm.sbatch --lr=1e-3\"", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\"tail_key\": null", plan.NewText, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_Output_IsPythonIndent2WithOneTrailingNewline()
    {
        var plan = Plan(LaunchJson, J(JobStatus.Running, "RUNNING"));

        Assert.StartsWith("{\n  \"schema_version\": \"1.0\",\n  \"run_id\": \"run_001\",\n", plan.NewText, StringComparison.Ordinal);
        Assert.Contains("\n  \"resource_request\": {\n    \"cpus\": 1,\n", plan.NewText, StringComparison.Ordinal);
        Assert.EndsWith("\n}\n", plan.NewText, StringComparison.Ordinal);
        Assert.False(plan.NewText.EndsWith("\n\n", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', plan.NewText);
        Assert.NotEqual('\uFEFF', plan.NewText[0]);
    }

    [Fact]
    public void Plan_SameStateTwice_ObservedAtKeptAndSecondPassChangesNothing()
    {
        var t1 = Submitted.AddMinutes(10);
        var t2 = Submitted.AddMinutes(20);
        var t3 = Submitted.AddMinutes(40);

        var first = Plan(Manifest("submitted"), J(JobStatus.Running, "RUNNING", observedAt: t1), now: t1);
        var second = Plan(first.NewText, J(JobStatus.Running, "RUNNING", observedAt: t2), now: t2);
        var third = Plan(second.NewText, J(JobStatus.Completed, "COMPLETED", end: t3, observedAt: t3), now: t3);

        Assert.True(first.Changed);
        Assert.Equal(Timestamps.Format(t1), Str(SlurmOf(first)["observed_at"]));
        AssertUnchanged(first.NewText, second);
        Assert.True(third.Changed);
        Assert.Equal(Timestamps.Format(t3), Str(SlurmOf(third)["observed_at"]));
    }

    [Fact]
    public void Plan_UnchangedPass_NewTextIsTheOriginalTextEvenIfNotInPythonLayout()
    {
        var first = Plan(Manifest("submitted"), J(JobStatus.Running, "RUNNING", observedAt: Now));
        var compact = Parse(first.NewText).ToJsonString();

        var again = Plan(compact, J(JobStatus.Running, "RUNNING", observedAt: Now.AddMinutes(5)));

        AssertUnchanged(compact, again);
    }

    [Fact]
    public void Plan_Update_CarriesIdentityAndStatuses()
    {
        var manifest = Manifest("queued");

        var plan = Plan(manifest, J(JobStatus.Running, "RUNNING"));

        Assert.Equal(ManifestPath, plan.Update.ManifestPath);
        Assert.Equal("run_001", plan.Update.RunId);
        Assert.Equal("iter1", plan.Update.IterationId);
        Assert.Equal(JobId, plan.Update.JobId);
        Assert.Equal("queued", plan.Update.PreviousStatus);
        Assert.Equal("running", plan.Update.Status);
        Assert.Equal("pending", plan.Update.SyncStatus);
        Assert.True(plan.Update.Changed);
    }

    [Fact]
    public void Plan_DocumentObject_IsNotMutated()
    {
        var document = RunManifestDocument.Parse(ManifestPath, LaunchJson);

        new ManifestTransitions(States).Plan(document, J(JobStatus.Failed, "FAILED"), Now);

        Assert.Equal("submitted", document.RawStatus);
        Assert.Equal(LaunchJson, document.OriginalText);
        Assert.Equal(RawJson.Write(RawJson.Parse(LaunchJson)), RawJson.Write(document.Root));
    }

    // ---------------------------------------------------------------- errors and forced statuses

    [Fact]
    public void Plan_SlurmManifestWithoutJobId_JobIdMissingNamingTheFile()
    {
        var manifest = Manifest("submitted");
        manifest.Remove("job_id");
        manifest["slurm"] = new JsonObject { ["partition"] = "gpu" };
        manifest["resource_request"] = new JsonObject { ["cpus"] = 1 };

        var ex = Assert.Throws<AutolabException>(() => Plan(manifest, J(JobStatus.Running, "RUNNING")));

        Assert.Equal(ErrorIds.JobIdMissing, ex.ErrorId);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("")]
    [InlineData("synced")]
    public void Plan_SyncInputWithUnknownWord_InvalidStatus(string word)
    {
        var ex = Assert.Throws<AutolabException>(() => Plan(Manifest("running", "COMPLETED"), new SyncInput(word, null)));

        Assert.Equal(ErrorIds.InvalidStatus, ex.ErrorId);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("queued")]
    [InlineData("in_progress")]
    [InlineData("done")]
    [InlineData("Running")]
    public void Plan_ForcedNonCanonicalStatus_InvalidStatus(string status)
    {
        var ex = Assert.Throws<AutolabException>(() => Plan(Manifest("running"), new ForcedStatusInput(status, null)));

        Assert.Equal(ErrorIds.InvalidStatus, ex.ErrorId);
    }

    [Fact]
    public void Plan_ForcedWithBadSyncWord_InvalidStatus()
    {
        var ex = Assert.Throws<AutolabException>(() => Plan(Manifest("running"), new ForcedStatusInput("running", "whatever")));

        Assert.Equal(ErrorIds.InvalidStatus, ex.ErrorId);
    }

    [Fact]
    public void Plan_ForcedStatus_MayMoveATerminalStatus()
    {
        var plan = Plan(Manifest("failed"), new ForcedStatusInput("synced", "ok"));

        Assert.True(plan.Changed);
        Assert.Equal("synced", StatusOf(plan));
        Assert.Equal("ok", Str(SyncOf(plan)["status"]));
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("completed")]
    public void Plan_ForcedStatusNeedingCompletedAt_FillsBoth(string status)
    {
        var plan = Plan(Manifest("running", "RUNNING"), new ForcedStatusInput(status, null));

        Assert.Equal(status, StatusOf(plan));
        AssertCompletedAtBoth(plan, Timestamps.Format(Now));
    }

    [Theory]
    [InlineData("success", "ok")]
    [InlineData("in_progress", "syncing")]
    [InlineData("queued", "pending")]
    [InlineData("error", "failed")]
    public void Plan_ForcedSyncSynonym_WrittenCanonical(string word, string canonical)
    {
        var plan = Plan(Manifest("running", "RUNNING"), new ForcedStatusInput("running", word));

        Assert.Equal(canonical, Str(SyncOf(plan)["status"]));
    }
}
