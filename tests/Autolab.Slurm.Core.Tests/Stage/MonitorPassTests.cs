using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// The stage's decisions, step by step, on real files: what a pass polls and where, which errors are probe
/// limitations, what each answer does to the manifest, what is synced, rolled up, written to the ledger and
/// reported. Each test drives the pass the way Invoke-SlurmMonitorStage's cmdlets do, without PowerShell.
/// </summary>
public sealed class MonitorPassTests : IDisposable
{
    private static readonly DateTimeOffset End = new(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);
    private readonly List<PassRepo> _repos = new();

    private PassRepo Repo(string runId = "run_001", string? jobId = "12345", IReadOnlyList<string>? runGroup = null)
    {
        var repo = new PassRepo(runId, jobId, runGroup);
        _repos.Add(repo);
        return repo;
    }

    public void Dispose()
    {
        foreach (var repo in _repos)
        {
            repo.Dispose();
        }
    }

    // ---- Open --------------------------------------------------------------------------------------

    [Fact]
    public void Open_StateWithoutRunId_PassesThroughWithoutReadingManifests()
    {
        using var repo = new PassRepo(jobId: null, state: s => { s["last_run_id"] = ""; s["pending_run_id"] = ""; });
        var pass = repo.Open();
        Assert.True(pass.IsPassThrough);
        Assert.Empty(pass.PlanPolls());
        var result = pass.BuildResult();
        Assert.Equal(StageRules.ExtractResults, result.NextStage);
        Assert.Contains("no run to monitor", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_LocalRun_PassesThrough()
    {
        var repo = Repo();
        repo.Manifest("run_001", edit: m => { m["host_mode"] = "local"; m["launch_mode"] = "local"; m.Remove("slurm"); m["resource_request"]!.AsObject().Remove("slurm"); });
        var pass = repo.Open();
        Assert.True(pass.IsPassThrough);
        Assert.Contains("local run", pass.BuildResult().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingRepositorySchema_SchemaNotFound()
    {
        var repo = Repo();
        File.Delete(Path.Combine(repo.Root, ".autolab", "schemas", "run_manifest.schema.json"));
        var ex = Assert.Throws<AutolabException>(() => repo.Open());
        Assert.Equal(ErrorIds.SchemaNotFound, ex.ErrorId);
    }

    // ---- Poll --------------------------------------------------------------------------------------

    [Fact]
    public void PlanPolls_RunGroup_OneQueryForEveryReplicateInFlight()
    {
        var repo = Repo("base", jobId: null, runGroup: new[] { "r1", "r2", "r3" });
        repo.Manifest("base", status: "pending", edit: m => m.Remove("slurm"));
        repo.Manifest("r1", "101");
        repo.Manifest("r2", "102", status: "failed", edit: m => { m["timestamps"]!["completed_at"] = "2026-01-01T00:05:00Z"; });
        repo.Manifest("r3", "103", status: "running");

        var groups = repo.Open().PlanPolls();

        var group = Assert.Single(groups);
        Assert.Null(group.LoginHost);
        Assert.Equal(new[] { "101", "103" }, group.Requests.Select(r => r.Id.Text));
    }

    [Fact]
    public void PlanPolls_RemoteProfile_GroupedByLoginHost()
    {
        var repo = Repo("base", jobId: null, runGroup: new[] { "r1", "r2" });
        repo.Manifest("base", status: "pending", edit: m => m.Remove("slurm"));
        repo.Manifest("r1", "101");
        repo.Manifest("r2", "102", edit: m => m["remote_execution"] = new System.Text.Json.Nodes.JsonObject { ["profile"] = "cluster", ["mode"] = "git_checkout" });
        repo.Write(".autolab/remote_profiles.yaml", "schema_version: \"1.0\"\nprofiles:\n  cluster:\n    mode: git_checkout\n    login_host: login1\n    remote_repo_root: /remote/repo\n");

        var groups = repo.Open().PlanPolls();

        Assert.Equal(2, groups.Count);
        Assert.Equal(new[] { "101" }, groups.Single(g => g.LoginHost is null).Requests.Select(r => r.Id.Text));
        Assert.Equal(new[] { "102" }, groups.Single(g => g.LoginHost == "login1").Requests.Select(r => r.Id.Text));
    }

    [Fact]
    public void PlanPolls_ShellTextInJobId_InvalidJobIdBeforeAnyQuery()
    {
        var repo = Repo();
        repo.Manifest("run_001", "123; touch /tmp/x");
        var ex = Assert.Throws<AutolabException>(() => repo.Open().PlanPolls());
        Assert.Equal(ErrorIds.InvalidJobId, ex.ErrorId);
    }

    [Theory]
    [InlineData(ErrorIds.SchedulerUnavailable)]
    [InlineData(ErrorIds.SchedulerTimeout)]
    [InlineData(ErrorIds.SshConnectionFailed)]
    [InlineData(ErrorIds.HostKeyMismatch)]
    [InlineData(ErrorIds.SshAuthenticationFailed)]
    public void RecordPoll_CouldNotAsk_ProbeLimitationNamingTheCauseAndNoStop(string errorId)
    {
        var repo = Repo();
        var pass = repo.Open();

        var stops = pass.RecordPoll(PassAnswers.Failed(pass, errorId, "the cause in words"));

        Assert.Empty(stops);
        var sentence = Assert.Single(pass.ProbeLimitations);
        Assert.Contains(errorId, sentence, StringComparison.Ordinal);
        Assert.Contains("the cause in words", sentence, StringComparison.Ordinal);
        Assert.Equal(sentence, pass.Runs[0].Note);
        var result = pass.BuildResult();
        Assert.Equal(sentence, result.ProbeLimitation);
        Assert.Contains("could not be asked", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pending in the scheduler", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordPoll_OtherError_ReturnedToStopTheStage()
    {
        var repo = Repo();
        var pass = repo.Open();
        var stops = pass.RecordPoll(PassAnswers.Failed(pass, ErrorIds.InvalidJobId, "bad id"));
        Assert.Equal(ErrorIds.InvalidJobId, Assert.Single(stops).ErrorId);
        Assert.Empty(pass.ProbeLimitations);
    }

    // ---- Apply -------------------------------------------------------------------------------------

    [Fact]
    public void PlanJobState_FailedJob_ManifestFailedWithExitCodeNoteAndCanAdvance()
    {
        var repo = Repo();
        var pass = repo.Open();
        var state = Job(JobStatus.Failed, "FAILED", exitCode: 3, signal: 0, end: End);
        pass.RecordPoll(PassAnswers.States(pass, ("run_001", state)));

        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(state with { ManifestPath = pass.Runs[0].ManifestPath }) });

        var written = Parse(File.ReadAllText(repo.ManifestPath("run_001")));
        Assert.Equal("failed", Str(written["status"]));
        Assert.Equal(3, written["failure"]!["exit_code"]!.GetValue<int>());
        Assert.Contains("exit code 3", pass.Runs[0].Note, StringComparison.Ordinal);
        var result = pass.BuildResult();
        Assert.True(result.CanAdvance);
        Assert.Equal("failed", result.Status);
        Assert.Equal("FAILED", result.SchedulerState);
        Assert.Contains("experiments/plan/iter1/runs/run_001/run_manifest.json", result.ChangedFiles);
        Assert.True(result.Applied);
    }

    [Fact]
    public void Record_NotWritten_ResultSaysWhatThePassWouldDoAndTheFileStays()
    {
        var repo = Repo();
        var before = File.ReadAllText(repo.ManifestPath("run_001"));
        var pass = repo.Open();
        var state = Job(JobStatus.Failed, "FAILED", exitCode: 3, end: End) with { ManifestPath = pass.Runs[0].ManifestPath };

        pass.Record(pass.PlanJobState(state), written: false);

        Assert.Equal(before, File.ReadAllText(repo.ManifestPath("run_001")));
        var result = pass.BuildResult();
        Assert.Equal("failed", result.Status);
        Assert.Equal(StageRules.ExtractResults, result.NextStage);
        Assert.False(result.Applied);
        Assert.StartsWith("what if:", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanSyncs_JobCompleted_TheRunIsSyncedAndThenSynced()
    {
        var repo = Repo();
        var pass = repo.Open();
        var run = pass.Runs[0];
        var state = Job(JobStatus.Completed, "COMPLETED", exitCode: 0, end: End) with { ManifestPath = run.ManifestPath };
        pass.RecordPoll(PassAnswers.States(pass, ("run_001", state)));
        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(state) });

        Assert.Equal(new[] { run }, pass.PlanSyncs());
        var sync = Sync(run.ManifestPath, new[] { "experiments/plan/iter1/runs/run_001/out.txt" });
        pass.RecordSync(sync);
        PassAnswers.ApplyAll(pass, new[] { pass.PlanSyncResult(sync) });

        Assert.Equal("synced", Str(Parse(File.ReadAllText(run.ManifestPath))["status"]));
        Assert.Empty(pass.PlanSyncs());
        Assert.True(pass.BuildResult().CanAdvance);
    }

    [Fact]
    public void PlanSyncResult_LoginNodeUnreachable_NothingAppliedNotCountedAndNoted()
    {
        var repo = Repo();
        repo.Manifest("run_001", status: "running", edit: m => { m["slurm"]!["state"] = "COMPLETED"; m["artifact_sync_to_local"]!["attempts"] = 1; });
        var before = File.ReadAllText(repo.ManifestPath("run_001"));
        var pass = repo.Open();
        var unreachable = Sync(pass.Runs[0].ManifestPath, Array.Empty<string>(), (string.Empty, "connection refused by login1:22")) with { Reachable = false };

        pass.RecordSync(unreachable);

        Assert.Null(pass.PlanSyncResult(unreachable));
        Assert.Equal(before, File.ReadAllText(repo.ManifestPath("run_001")));
        Assert.Contains("connection refused by login1:22", Assert.Single(pass.ProbeLimitations), StringComparison.Ordinal);
        Assert.Contains("not counted", pass.Runs[0].Note, StringComparison.Ordinal);
    }

    // ---- Settle ------------------------------------------------------------------------------------

    [Fact]
    public void PlanOwnDecisions_InteractiveRunCompletedWithGoodSync_BecomesSynced()
    {
        var repo = Repo();
        repo.Manifest("run_001", status: "completed", sync: "success", edit: m => m["timestamps"]!["completed_at"] = "2026-01-01T00:05:00Z");
        var pass = repo.Open();

        PassAnswers.ApplyAll(pass, pass.PlanOwnDecisions());

        Assert.Equal("synced", Str(Parse(File.ReadAllText(repo.ManifestPath("run_001")))["status"]));
    }

    [Fact]
    public void PlanRollup_ReplicatesMixed_BaseRunPartialOnlyAfterTheirChanges()
    {
        var repo = Repo("base", jobId: null, runGroup: new[] { "r1", "r2" });
        repo.Manifest("base", "100", status: "pending");
        repo.Manifest("r1", "101", status: "running", edit: m => m["slurm"]!["state"] = "COMPLETED");
        repo.Manifest("r2", "102", status: "running");
        var pass = repo.Open();
        Assert.Equal("running", pass.PlanRollup()!.Plan.Update.Status);

        var failed = Job(JobStatus.Failed, "FAILED", "102", exitCode: 1, end: End) with { ManifestPath = pass.Runs[1].ManifestPath };
        pass.RecordPoll(PassAnswers.States(pass, ("r2", failed)));
        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(failed) });
        var ok = Sync(pass.Runs[0].ManifestPath, new[] { "experiments/plan/iter1/runs/r1/out.txt" });
        pass.RecordSync(ok);
        PassAnswers.ApplyAll(pass, new[] { pass.PlanSyncResult(ok) });
        PassAnswers.ApplyAll(pass, new[] { pass.PlanRollup() });

        var baseManifest = Parse(File.ReadAllText(repo.ManifestPath("base")));
        Assert.Equal("partial", Str(baseManifest["status"]));
        Assert.True(pass.BuildResult().CanAdvance);
        Assert.Equal("COMPLETED=1, FAILED=1", pass.BuildResult().SchedulerState);
        Assert.Equal("101, 102", pass.BuildResult().JobId);
    }

    // ---- Ledger ------------------------------------------------------------------------------------

    [Fact]
    public void PlanLedger_ProbeLimitation_LineAsTheManifestAndTheNoteUnderIt()
    {
        var repo = Repo();
        var pass = repo.Open();
        pass.RecordPoll(PassAnswers.Failed(pass, ErrorIds.SchedulerUnavailable, "sacct exited 1: Unable to contact slurmdbd"));

        var entry = Assert.Single(PassAnswers.WriteLedger(pass));

        Assert.Equal(LedgerAction.Added, entry.Action);
        var lines = File.ReadAllLines(repo.LedgerPath);
        Assert.Contains("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted", lines);
        Assert.Contains(lines, l => l.StartsWith("  - note: ", StringComparison.Ordinal) && l.Contains("Unable to contact slurmdbd", StringComparison.Ordinal));
        Assert.Contains("docs/slurm_job_list.md", pass.BuildResult().ChangedFiles);
    }

    [Fact]
    public void PlanLedger_SameProbeLimitationNextPass_NoteNotRepeatedActionUnchanged()
    {
        var repo = Repo();
        for (var i = 0; i < 2; i++)
        {
            var pass = repo.Open();
            pass.RecordPoll(PassAnswers.Failed(pass, ErrorIds.SchedulerUnavailable, "sacct exited 1"));
            var entry = Assert.Single(PassAnswers.WriteLedger(pass));
            Assert.Equal(i == 0 ? LedgerAction.Added : LedgerAction.Unchanged, entry.Action);
        }

        Assert.Single(File.ReadAllLines(repo.LedgerPath), l => l.StartsWith("  - note: ", StringComparison.Ordinal));
    }

    [Fact]
    public void PlanLedger_NewNoteUnderCurrentLine_ActionNoteAdded()
    {
        var repo = Repo();
        PassAnswers.WriteLedger(repo.Open());
        var pass = repo.Open();
        pass.RecordPoll(PassAnswers.Failed(pass, ErrorIds.SchedulerTimeout, "sacct did not answer within 60 s"));

        var entry = Assert.Single(PassAnswers.WriteLedger(pass));

        Assert.Equal(LedgerAction.NoteAdded, entry.Action);
        Assert.True(entry.NoteAdded);
    }

    // ---- Outcome -----------------------------------------------------------------------------------

    [Fact]
    public void BuildResult_SameSignatureAsPrevious_IntervalGrowsElseStartsOver()
    {
        var repo = Repo();
        var first = repo.Open(random: new Random(1)).BuildResult();
        Assert.Equal(TimeSpan.FromSeconds(30), first.PollInterval);

        var second = repo.Open(previous: first, random: new Random(1)).BuildResult();
        Assert.Equal(TimeSpan.FromSeconds(45), second.PollInterval);

        var changed = new MonitorStageResult { NextStage = StageRules.SlurmMonitor, Message = "x", Signature = "running|RUNNING|pending", PollInterval = TimeSpan.FromSeconds(200) };
        Assert.Equal(TimeSpan.FromSeconds(30), repo.Open(previous: changed).BuildResult().PollInterval);
        Assert.InRange(second.NextPollDelay, TimeSpan.FromSeconds(36), TimeSpan.FromSeconds(54));
    }

    [Fact]
    public void UpdateState_StateChangedDuringThePass_OthersChangesKeptOnlyOwnedFieldsWritten()
    {
        var repo = Repo();
        var pass = repo.Open();
        var state = Job(JobStatus.Failed, "FAILED", exitCode: 3, end: End) with { ManifestPath = pass.Runs[0].ManifestPath };
        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(state) });
        var result = pass.BuildResult();

        // autolab writes meanwhile: a history entry and another max_stage_attempts.
        var statePath = Path.Combine(repo.Root, ".autolab", "state.json");
        var edited = Parse(File.ReadAllText(statePath));
        edited["history"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["stage"] = "launch" });
        edited["max_stage_attempts"] = 7;
        File.WriteAllText(statePath, ToText(edited) + "\n");

        Assert.True(pass.UpdateState(result, CancellationToken.None));

        var after = Parse(File.ReadAllText(statePath));
        Assert.Equal("launch", Str(after["history"]![0]!["stage"]));
        Assert.Equal(7, after["max_stage_attempts"]!.GetValue<int>());
        Assert.Equal("extract_results", Str(after["stage"]));
        Assert.Equal("pending", Str(after["sync_status"]));
        Assert.Equal(0, after["stage_attempt"]!.GetValue<int>());
    }

    [Fact]
    public void UpdateState_StateNowNamesAnotherRun_NothingWrittenAndSaysWhy()
    {
        var repo = Repo();
        var pass = repo.Open();
        var result = pass.BuildResult();
        var statePath = Path.Combine(repo.Root, ".autolab", "state.json");
        var edited = Parse(File.ReadAllText(statePath));
        edited["pending_run_id"] = "run_002";
        var text = ToText(edited) + "\n";
        File.WriteAllText(statePath, text);

        Assert.False(pass.UpdateState(result, CancellationToken.None));

        Assert.Equal(text, File.ReadAllText(statePath));
        Assert.Contains("another iteration or run", pass.StateSkipped, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendLog_StagePass_OneLineWithTheOutcome()
    {
        var repo = Repo();
        var pass = repo.Open();
        var result = pass.BuildResult();

        pass.AppendLog(result, new[] { "warning: something" });

        var lines = File.ReadAllLines(Path.Combine(repo.RunDirectory("run_001"), "logs", "slurm_monitor.log"));
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("2026-01-01T00:20:00Z run_id=run_001 job_id=12345 ", lines[0], StringComparison.Ordinal);
        Assert.Contains("next=slurm_monitor", lines[0], StringComparison.Ordinal);
        Assert.Equal("  warning: something", lines[1]);
        Assert.Contains("experiments/plan/iter1/runs/run_001/logs/slurm_monitor.log", pass.BuildResult().ChangedFiles);
    }
}
