using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// The hooks' decisions over the whole table (manifest status x sync status x what the scheduler said x sync
/// template set), each row driven through a real hook pass on disk, and compared with what autolab's own
/// functions (_normalize_scheduler_state, _monitor_status_from_scheduler, _apply_monitor_status_to_manifest,
/// canonical_slurm_job_bullet, _aggregate_group_monitor_status) make of the same row. The table is not
/// tested against itself: python3 runs autolab's source (../shared/autolab/src) for every row.
/// </summary>
public sealed class AutolabMonitorRulesTests
{
    private static readonly string?[] Statuses = { null, "pending", "submitted", "running", "completed", "synced", "failed", "partial", "Queued" };
    private static readonly string?[] Syncs = { null, "pending", "ok", "completed", "failed", "syncing", "SUCCESS" };

    /// <summary>What the scheduler says: a job status, "unknown" (not found) or "unasked" (could not be asked).</summary>
    private static readonly string[] Answers = { "pending", "running", "completed", "failed", "unknown", "unasked" };

    private static readonly Dictionary<string, Action<JsonObject>?> Shapes = new()
    {
        ["launch"] = null,
        ["no timestamps.started_at"] = m => m["timestamps"]!.AsObject().Remove("started_at"),
        ["timestamps differ from top level"] = m => m["timestamps"]!["started_at"] = "2026-02-03T04:05:06Z",
        ["no artifact_sync_to_local block"] = m => m.Remove("artifact_sync_to_local"),
        ["status with spaces"] = m => m["status"] = " Running ",
    };

    [Fact]
    public void PollHook_EveryRow_AutolabEndsWithTheLineTheHookWrote()
    {
        var rows = new List<(string Label, JsonObject Row, string Line, AutolabRunStatus Pair, bool WillSync)>();
        foreach (var shape in Shapes)
        {
            foreach (var status in shape.Value is null ? Statuses : new[] { "submitted" })
            {
                foreach (var sync in shape.Value is null ? Syncs : new[] { "pending" })
                {
                    foreach (var answer in Answers)
                    {
                        foreach (var template in new[] { false, true })
                        {
                            var label = $"{shape.Key}, status {status ?? "absent"}, sync {sync ?? "absent"}, scheduler {answer}, sync template {(template ? "set" : "empty")}";
                            rows.Add(PollRow(label, status, sync, answer, template, shape.Value));
                        }
                    }
                }
            }
        }

        var answers = AskAutolab(rows.Select(r => r.Row));
        var mismatches = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, _, line, pair, willSync) = rows[i];
            var theirs = answers[i]!;
            var theirPair = new AutolabRunStatus(theirs["status"]!.GetValue<string>(), theirs["sync"]!.GetValue<string>());
            if (theirs["line"]!.GetValue<string>() != line || theirPair != pair || theirs["willSync"]!.GetValue<bool>() != willSync)
            {
                mismatches.Add($"{label}: ours {line} {pair} sync={willSync}; autolab's {theirs["line"]} {theirPair} sync={theirs["willSync"]}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {rows.Count} rows differ:\n" + string.Join('\n', mismatches.Take(20)));
    }

    [Fact]
    public void SyncHook_EveryRowSyncedOk_AutolabEndsWithTheLineTheHookWrote()
    {
        var rows = new List<(string Label, JsonObject Row, string Line)>();
        foreach (var status in Statuses.Where(s => s is not "failed"))
        {
            foreach (var sync in Syncs)
            {
                using var repo = HookRepo(status, sync, syncTemplate: true, shape: null);
                var pass = repo.Open(MonitorPassMode.SyncHook, repo.RunDirectory("run_001"));
                var run = Assert.Single(pass.PlanSyncs());
                pass.RecordSync(Sync(run.ManifestPath, new[] { "experiments/plan/iter1/runs/run_001/out.txt" }));
                Assert.True(pass.HookSucceeded);
                var line = LedgerLine.Build(Assert.Single(pass.PlanLedger()).Document).Line;
                rows.Add(($"status {status ?? "absent"}, sync {sync ?? "absent"}", new JsonObject { ["kind"] = "sync", ["manifest"] = Parse(File.ReadAllText(run.ManifestPath)) }, line));
            }
        }

        var answers = AskAutolab(rows.Select(r => r.Row));
        var mismatches = rows.Select((r, i) => (r, theirs: answers[i]!["line"]!.GetValue<string>()))
            .Where(x => x.theirs != x.r.Line)
            .Select(x => $"{x.r.Label}: ours {x.r.Line}; autolab's {x.theirs}")
            .ToList();
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    [Fact]
    public void Aggregate_EveryGroup_AsAutolabsRollup()
    {
        string[] statuses = { "pending", "submitted", "running", "completed", "synced", "failed", "partial", "weird" };
        string[] syncs = { "pending", "completed", "ok", "failed" };
        var pairs = statuses.SelectMany(s => syncs.Select(y => new AutolabRunStatus(s, y))).ToArray();
        var groups = new List<AutolabRunStatus[]>();
        groups.AddRange(pairs.Select(p => new[] { p }));
        groups.AddRange(pairs.SelectMany(a => pairs.Select(b => new[] { a, b })));
        var random = new Random(20261204);
        for (var i = 0; i < 600; i++)
        {
            groups.Add(new[] { pairs[random.Next(pairs.Length)], pairs[random.Next(pairs.Length)], pairs[random.Next(pairs.Length)] });
        }

        var answers = AskAutolab(groups.Select(g => new JsonObject
        {
            ["kind"] = "aggregate",
            ["pairs"] = new JsonArray(g.Select(p => (JsonNode)new JsonArray(p.Status, p.SyncStatus)).ToArray()),
        }));
        var mismatches = groups.Select((g, i) => (g, ours: AutolabMonitorRules.Aggregate(g), theirs: new AutolabRunStatus(answers[i]!["status"]!.GetValue<string>(), answers[i]!["sync"]!.GetValue<string>())))
            .Where(x => x.ours != x.theirs)
            .Select(x => $"{string.Join(" + ", x.g)}: ours {x.ours}, autolab's {x.theirs}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {groups.Count} groups differ:\n" + string.Join('\n', mismatches.Take(20)));
    }

    [Fact]
    public void StageWords_TheStagesThePassNames_AreAutolabsStages()
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import json; from autolab.constants import ALL_STAGES; print(json.dumps(list(ALL_STAGES)))");
        psi.Environment["PYTHONPATH"] = AutolabSource();
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000) && process.ExitCode == 0, process.StandardError.ReadToEnd());
        var stages = JsonNode.Parse(output)!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

        Assert.Contains(StageRules.ExtractResults, stages);
        Assert.Contains(StageRules.SlurmMonitor, stages);
        Assert.Contains(StageRules.Decide("failed").NextStage, stages);
        Assert.Contains(StageRules.Decide("running").NextStage, stages);
    }

    private static (string, JsonObject, string, AutolabRunStatus, bool) PollRow(string label, string? status, string? sync, string answer, bool syncTemplate, Action<JsonObject>? shape)
    {
        using var repo = HookRepo(status, sync, syncTemplate, shape);
        var pass = repo.Open(MonitorPassMode.PollHook, repo.RunDirectory("run_001"));
        var manifestText = File.ReadAllText(repo.ManifestPath("run_001"));
        if (answer == "unasked")
        {
            pass.RecordPoll(PassAnswers.Failed(pass, ErrorIds.SchedulerUnavailable, "squeue exited 1"));
        }
        else
        {
            var state = answer == "unknown"
                ? Job(JobStatus.Unknown, "UNKNOWN", source: JobSource.None)
                : Job(answer, answer switch { "pending" => "PENDING", "running" => "RUNNING", "completed" => "COMPLETED", _ => "FAILED" }, exitCode: answer == "failed" ? 3 : null);
            pass.RecordPoll(PassAnswers.States(pass, ("run_001", state)));
        }

        var targets = pass.PlanLedger();
        var line = LedgerLine.Build(Assert.Single(targets).Document).Line;
        var current = AutolabMonitorRules.Current(RunManifestDocumentOf(repo).Root);
        var pair = AutolabMonitorRules.FromScheduler(AutolabMonitorRules.SchedulerWord(pass.Runs[0].JobState?.Status), current);
        var row = new JsonObject
        {
            ["kind"] = "poll",
            ["manifest"] = Parse(manifestText),
            ["hookLine"] = pass.HookLine,
            ["syncTemplate"] = syncTemplate,
        };
        return (label, row, line, pair, AutolabMonitorRules.WillSync(pair, syncTemplate));
    }

    private static Autolab.Slurm.Manifest.RunManifestDocument RunManifestDocumentOf(PassRepo repo) =>
        Autolab.Slurm.Manifest.RunManifestDocument.Load(repo.ManifestPath("run_001"));

    private static PassRepo HookRepo(string? status, string? sync, bool syncTemplate, Action<JsonObject>? shape)
    {
        var repo = new PassRepo(jobId: null);
        repo.Clock.UtcNow = DateTimeOffset.UtcNow;
        repo.Manifest("run_001", status: status, sync: sync, edit: shape);
        var template = syncTemplate ? "\"/usr/bin/true {run_dir}\"" : "\"\"";
        repo.Write(".autolab/verifier_policy.yaml", $"slurm:\n  monitor:\n    poll_command_template: \"/usr/bin/true\"\n    poll_timeout_seconds: 30\n    sync_command_template: {template}\n    sync_timeout_seconds: 180\n");
        return repo;
    }

    /// <summary>Sends the rows to monitor_rules.py, which runs autolab's own functions, and returns its answers in order.</summary>
    private static JsonArray AskAutolab(IEnumerable<JsonObject> rows)
    {
        var autolab = AutolabSource();
        var psi = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(TestPaths.Fixture("autolab", "monitor_rules.py"));
        psi.Environment["PYTHONPATH"] = autolab;
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(new JsonArray(rows.Select(r => (JsonNode)r).ToArray()).ToJsonString());
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(120_000), "monitor_rules.py did not finish within 120 s");
        Assert.True(process.ExitCode == 0, $"monitor_rules.py failed ({process.ExitCode}): {error.Result}");
        return JsonNode.Parse(output.Result)!.AsArray();
    }

    /// <summary>
    /// autolab's source: AUTOLAB_SOURCE_DIR when set, else the first shared/autolab/src beside the repository
    /// or beside one of the folders above it (../shared/autolab/src for a checkout next to it).
    /// </summary>
    private static string AutolabSource()
    {
        var configured = Environment.GetEnvironmentVariable("AUTOLAB_SOURCE_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            var full = Path.GetFullPath(configured);
            Assert.True(File.Exists(Path.Combine(full, "autolab", "__main__.py")), $"AUTOLAB_SOURCE_DIR is {full}, which holds no autolab/__main__.py");
            return full;
        }

        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Autolab.Monitor.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var repository = directory!.FullName;
        for (var folder = directory.Parent; folder is not null; folder = folder.Parent)
        {
            var source = Path.Combine(folder.FullName, "shared", "autolab", "src");
            if (File.Exists(Path.Combine(source, "autolab", "__main__.py")))
            {
                return source;
            }
        }

        Assert.Fail($"autolab's source was not found: no shared/autolab/src beside {repository} or any folder above it (or set AUTOLAB_SOURCE_DIR)");
        return string.Empty;
    }
}
