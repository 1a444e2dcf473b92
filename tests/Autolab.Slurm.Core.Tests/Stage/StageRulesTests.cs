using System.Text.RegularExpressions;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.Stage.StageTestSupport;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// StageRules against autolab-contract.md ("When the stage may advance", the run_group roll-up, the
/// transition table rows 4-6 and 13-14 that decide when a sync runs) and interface.md
/// ("Invoke-SlurmMonitorStage").
/// </summary>
public class StageRulesTests
{
    // ---- Decide: synced, failed, partial advance; everything else waits (a normal outcome) ----

    [Theory]
    [InlineData("synced")]
    [InlineData("failed")]
    [InlineData("partial")]
    public void Decide_TerminalOutcome_AdvancesToExtractResults(string status)
    {
        var decision = StageRules.Decide(status);

        Assert.Equal("extract_results", decision.NextStage);
        Assert.True(decision.CanAdvance);
        Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    [Theory]
    [InlineData("completed")] // completed: waiting for a successful sync (row 4)
    [InlineData("running")]
    [InlineData("pending")]
    [InlineData("submitted")]
    [InlineData(null)] // absent status counts as pending
    [InlineData("")]
    [InlineData("queued")] // non-canonical words count as pending
    [InlineData("in_progress")]
    [InlineData("SYNCED")] // canonical words are lower case: SYNCED is not synced
    [InlineData("Failed")]
    [InlineData(" partial ")]
    [InlineData("done")]
    public void Decide_NotTerminalOrNonCanonical_StaysInSlurmMonitor(string? status)
    {
        var decision = StageRules.Decide(status);

        Assert.Equal("slurm_monitor", decision.NextStage);
        Assert.False(decision.CanAdvance);
        Assert.False(string.IsNullOrWhiteSpace(decision.Message));
    }

    // ---- NeedsSync: the pass pulls artifacts for a COMPLETED job, or a failed job's logs ----

    [Theory]
    // Non-terminal: only a recorded COMPLETED job needs its artifacts (rows 9, 13, 14).
    [InlineData("running", "pending", "COMPLETED", true)]
    [InlineData("pending", "pending", "COMPLETED", true)]
    [InlineData("submitted", "pending", "COMPLETED", true)]
    [InlineData("running", "failed", "COMPLETED", true)] // a failed sync is retried (row 14)
    [InlineData(null, "pending", "COMPLETED", true)] // absent status counts as pending
    [InlineData("running", "pending", "RUNNING", false)]
    [InlineData("pending", "pending", "PENDING", false)]
    [InlineData("submitted", "pending", null, false)]
    [InlineData("running", "pending", "UNKNOWN", false)]
    [InlineData("running", "pending", "FAILED", false)]
    // completed: sync until it is ok (row 4).
    [InlineData("completed", "pending", null, true)]
    [InlineData("completed", "failed", null, true)]
    [InlineData("completed", "syncing", null, true)]
    [InlineData("completed", null, null, true)]
    [InlineData("completed", "ok", null, false)]
    [InlineData("completed", "success", null, false)] // a synonym of ok
    // failed: pull the logs once (row 6).
    [InlineData("failed", "pending", null, true)]
    [InlineData("failed", "syncing", null, true)]
    [InlineData("failed", null, null, true)]
    [InlineData("failed", "queued", null, true)] // a synonym of pending
    [InlineData("failed", "ok", null, false)]
    [InlineData("failed", "failed", null, false)]
    // synced and partial are finished.
    [InlineData("synced", "ok", "COMPLETED", false)]
    [InlineData("synced", "pending", "COMPLETED", false)]
    [InlineData("partial", "failed", "COMPLETED", false)]
    [InlineData("partial", "pending", "COMPLETED", false)]
    public void NeedsSync_StatusSyncAndSlurmState_AsTheTransitionTable(string? status, string? sync, string? slurmState, bool expected)
    {
        Assert.Equal(expected, StageRules.NeedsSync(RunManifest(status, sync, slurmState)));
    }

    // ---- NeedsPolling: terminal runs are not polled ----

    [Theory]
    [InlineData("pending", true)]
    [InlineData("submitted", true)]
    [InlineData("running", true)]
    [InlineData(null, true)]
    [InlineData("queued", true)]
    [InlineData("COMPLETED", true)] // non-canonical: counts as pending
    [InlineData("synced", false)]
    [InlineData("completed", false)]
    [InlineData("failed", false)]
    [InlineData("partial", false)]
    public void NeedsPolling_Status_OnlyNonTerminalRunsArePolled(string? status, bool expected)
    {
        Assert.Equal(expected, StageRules.NeedsPolling(RunManifest(status, "pending")));
    }

    // ---- IsCompletedInteractive: completed + success-like sync (row 5) ----

    [Theory]
    [InlineData("ok")]
    [InlineData("OK")]
    [InlineData("completed")]
    [InlineData("Completed")]
    [InlineData("success")]
    [InlineData("SUCCESS")]
    [InlineData("passed")]
    [InlineData("PaSsEd")]
    public void IsCompletedInteractive_CompletedWithSuccessLikeSync_True(string sync)
    {
        Assert.True(StageRules.IsCompletedInteractive(RunManifest("completed", sync)));
    }

    [Theory]
    [InlineData("completed", "pending")]
    [InlineData("completed", "failed")]
    [InlineData("completed", "syncing")]
    [InlineData("completed", null)]
    [InlineData("completed", "done")] // not a sync word at all
    [InlineData("running", "ok")]
    [InlineData("synced", "ok")]
    [InlineData("failed", "ok")]
    [InlineData("partial", "ok")]
    [InlineData(null, "ok")]
    [InlineData("COMPLETED", "ok")] // non-canonical status counts as pending
    public void IsCompletedInteractive_OtherStatusOrSync_False(string? status, string? sync)
    {
        Assert.False(StageRules.IsCompletedInteractive(RunManifest(status, sync)));
    }

    // ---- Rollup: the base run of a run_group ----

    /// <summary>Parses "synced:ok, failed:failed" ("-" = absent) into the roll-up's input.</summary>
    private static (string? Status, string? SyncStatus)[] Replicates(string table) =>
        table.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split(':'))
            .Select(p => (Absent(p[0]), Absent(p[1])))
            .ToArray();

    [Theory]
    // All terminal, all success (synced and completed count as success): synced, sync ok.
    [InlineData("synced:ok", "synced", "ok")]
    [InlineData("synced:ok, synced:ok, synced:ok", "synced", "ok")]
    [InlineData("synced:ok, completed:ok", "synced", "ok")]
    [InlineData("completed:ok, completed:ok", "synced", "ok")]
    [InlineData("completed:pending, synced:ok", "synced", "ok")]
    // All terminal, no success (failed and partial count as failure): failed, sync failed.
    [InlineData("failed:failed", "failed", "failed")]
    [InlineData("failed:ok, failed:ok", "failed", "failed")]
    [InlineData("failed:ok, partial:ok", "failed", "failed")]
    [InlineData("partial:ok, partial:failed", "failed", "failed")]
    // All terminal, a mix: partial; sync ok only when every replicate's sync is success-like.
    [InlineData("synced:ok, failed:ok", "partial", "ok")]
    [InlineData("synced:ok, failed:failed", "partial", "failed")]
    [InlineData("synced:ok, failed:-", "partial", "failed")]
    [InlineData("synced:ok, partial:ok", "partial", "ok")]
    [InlineData("synced:ok, partial:failed", "partial", "failed")]
    [InlineData("completed:completed, failed:success", "partial", "ok")] // synonyms of ok are success-like
    [InlineData("completed:PASSED, failed:OK", "partial", "ok")]
    [InlineData("completed:pending, failed:ok", "partial", "failed")]
    [InlineData("synced:ok, synced:ok, failed:syncing", "partial", "failed")]
    public void Rollup_EveryReplicateTerminal_AsTheContractSays(string replicates, string status, string sync)
    {
        var rollup = StageRules.Rollup(Replicates(replicates));

        Assert.Equal(new GroupRollup(status, sync, true), rollup);
    }

    [Theory]
    // Not every replicate terminal: running if any runs, else pending; no sync word, not all terminal.
    [InlineData("synced:ok, running:pending", "running")]
    [InlineData("running:pending, pending:pending", "running")]
    [InlineData("failed:failed, running:-", "running")]
    [InlineData("synced:ok, pending:pending", "pending")]
    [InlineData("failed:ok, submitted:pending", "pending")] // submitted is not running
    [InlineData("synced:ok, -:-", "pending")] // an absent status counts as pending
    [InlineData("synced:ok, queued:ok", "pending")] // so does a non-canonical word
    [InlineData("synced:ok, SYNCED:ok", "pending")]
    [InlineData("pending:pending", "pending")]
    [InlineData("running:pending", "running")]
    public void Rollup_SomeReplicateNotTerminal_RunningIfAnyRunsElsePending(string replicates, string status)
    {
        var rollup = StageRules.Rollup(Replicates(replicates));

        Assert.Equal(new GroupRollup(status, null, false), rollup);
    }

    [Fact]
    public void Rollup_NoReplicates_NotTerminal()
    {
        // "All success" over nothing must not vacuously roll up to synced and advance the stage.
        var rollup = StageRules.Rollup(Array.Empty<(string?, string?)>());

        Assert.False(rollup.AllTerminal);
        Assert.Null(rollup.SyncStatus);
    }

    // ---- StateSyncStatus: state.json's sync_status ----

    [Theory]
    [InlineData("ok", "completed")] // success-like: autolab's convention in state.json
    [InlineData("OK", "completed")]
    [InlineData("completed", "completed")]
    [InlineData("success", "completed")]
    [InlineData("Passed", "completed")]
    [InlineData("pending", "pending")]
    [InlineData("queued", "pending")]
    [InlineData("submitted", "pending")]
    [InlineData("not_started", "pending")]
    [InlineData("na", "pending")]
    [InlineData("syncing", "syncing")]
    [InlineData("running", "syncing")]
    [InlineData("in_progress", "syncing")]
    [InlineData("failed", "failed")]
    [InlineData("error", "failed")]
    [InlineData("FAIL", "failed")]
    public void StateSyncStatus_SyncWord_CanonicalWithSuccessAsCompleted(string manifestSync, string expected)
    {
        Assert.Equal(expected, StageRules.StateSyncStatus(manifestSync));
    }

    [Fact]
    public void StateSyncStatus_Null_StaysNull()
    {
        Assert.Null(StageRules.StateSyncStatus(null));
    }

    // ---- CountStates: a group's SchedulerState ----

    [Theory]
    [InlineData("COMPLETED,RUNNING,COMPLETED", "COMPLETED=2, RUNNING=1")]
    [InlineData("RUNNING,PENDING,FAILED,RUNNING", "FAILED=1, PENDING=1, RUNNING=2")]
    [InlineData("PENDING", "PENDING=1")]
    [InlineData("-,COMPLETED,-", "COMPLETED=1, UNKNOWN=2")] // a replicate with no recorded state
    public void CountStates_States_CountedByState(string states, string expected)
    {
        var input = states.Split(',').Select(Absent);

        Assert.Equal(expected, StageRules.CountStates(input));
    }

    [Fact]
    public void CountStates_SameStatesInAnotherOrder_SameText()
    {
        Assert.Equal(
            StageRules.CountStates(new[] { "RUNNING", "COMPLETED", "PENDING", "COMPLETED" }),
            StageRules.CountStates(new[] { "COMPLETED", "PENDING", "COMPLETED", "RUNNING" }));
    }

    // ---- ProbeLimitation: the sentence for the ledger note and the result ----

    [Fact]
    public void ProbeLimitation_JobIds_NamesEveryJobId()
    {
        var sentence = StageRules.ProbeLimitation(new[] { "12345", "12346_7" }, "SchedulerUnavailable: sacct: command not found");

        Assert.Contains("12345", sentence, StringComparison.Ordinal);
        Assert.Contains("12346_7", sentence, StringComparison.Ordinal);
        Assert.Contains("sacct: command not found", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeLimitation_SameInput_SameSentence()
    {
        // The ledger does not repeat a note equal to the newest one: the sentence must be stable.
        var first = StageRules.ProbeLimitation(new[] { "12345" }, "SchedulerTimeout: sacct ran longer than 60 s");
        var second = StageRules.ProbeLimitation(new[] { "12345" }, "SchedulerTimeout: sacct ran longer than 60 s");

        Assert.Equal(first, second);
    }

    [Fact]
    public void ProbeLimitation_MultiLineReason_OneLine()
    {
        // A ledger note is one line: "  - note: <time> <one sentence>".
        var sentence = StageRules.ProbeLimitation(new[] { "12345" }, "SchedulerUnavailable: sacct failed\nslurm_load_jobs error:\r\n Socket timed out");

        Assert.DoesNotContain('\n', sentence);
        Assert.DoesNotContain('\r', sentence);
        Assert.Contains("12345", sentence, StringComparison.Ordinal);
        Assert.Contains("Socket timed out", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeLimitation_DifferentJobs_DifferentSentences()
    {
        Assert.NotEqual(
            StageRules.ProbeLimitation(new[] { "12345" }, "SchedulerUnavailable: down"),
            StageRules.ProbeLimitation(new[] { "12346" }, "SchedulerUnavailable: down"));
    }

    // ---- LogLine: one line of runs/<run_id>/logs/slurm_monitor.log ----

    private static readonly Regex LogToken = new("(?<key>[a-z_]+)=(?<value>\"[^\"]*\"|\\S+)", RegexOptions.CultureInvariant);

    private static Dictionary<string, string> Tokens(string line) =>
        LogToken.Matches(line).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);

    [Fact]
    public void LogLine_LocalTime_StartsWithUtcTimestampAndCarriesEveryKey()
    {
        var now = new DateTimeOffset(2026, 3, 4, 1, 2, 3, TimeSpan.FromHours(2)); // 2026-03-03T23:02:03Z
        var decision = StageRules.Decide("running");

        var line = StageRules.LogLine(now, "run_001", "12345", "RUNNING", "running", "pending", decision, null);

        Assert.StartsWith("2026-03-03T23:02:03Z ", line, StringComparison.Ordinal);
        var tokens = Tokens(line);
        Assert.Equal("run_001", tokens["run_id"]);
        Assert.Equal("12345", tokens["job_id"]);
        Assert.Equal("RUNNING", tokens["scheduler"]);
        Assert.Equal("running", tokens["status"]);
        Assert.Equal("pending", tokens["sync"]);
        Assert.Equal("slurm_monitor", tokens["next"]);
        Assert.Equal(new[] { "run_id", "job_id", "scheduler", "status", "sync", "next" }, LogToken.Matches(line).Select(m => m.Groups["key"].Value).ToArray());
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void LogLine_AbsentValues_DashPlaceholders()
    {
        var line = StageRules.LogLine(DateTimeOffset.UnixEpoch, "run_001", null, null, "pending", null, StageRules.Decide("pending"), null);

        var tokens = Tokens(line);
        Assert.StartsWith("1970-01-01T00:00:00Z ", line, StringComparison.Ordinal);
        Assert.Equal("-", tokens["job_id"]);
        Assert.Equal("-", tokens["scheduler"]);
        Assert.Equal("-", tokens["sync"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void LogLine_NoProbeLimitation_NoProbePart(string? probe)
    {
        var line = StageRules.LogLine(DateTimeOffset.UnixEpoch, "run_001", "12345", "COMPLETED", "synced", "ok", StageRules.Decide("synced"), probe);

        Assert.DoesNotContain("probe_limitation", line, StringComparison.Ordinal);
        Assert.EndsWith("next=extract_results", line, StringComparison.Ordinal);
    }

    [Fact]
    public void LogLine_ProbeLimitation_QuotedOnOneLine()
    {
        var probe = StageRules.ProbeLimitation(new[] { "12345" }, "SchedulerUnavailable: \"sacct\" said\nno");

        var line = StageRules.LogLine(DateTimeOffset.UnixEpoch, "run_001", "12345", null, "running", "pending", StageRules.Decide("running"), probe);

        Assert.DoesNotContain('\n', line);
        var value = Tokens(line)["probe_limitation"];
        Assert.StartsWith("\"", value, StringComparison.Ordinal);
        Assert.EndsWith("\"", value, StringComparison.Ordinal);
        Assert.Contains("12345", value, StringComparison.Ordinal);
        Assert.Equal(
            new[] { "run_id", "job_id", "scheduler", "status", "sync", "next", "probe_limitation" },
            LogToken.Matches(line).Select(m => m.Groups["key"].Value).ToArray());
    }
}
