using System.Text.Json.Nodes;
using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// An autolab repository on disk for the pass tests, as autolab's launch leaves it: state.json at stage
/// slurm_monitor, autolab's own manifest schema, one or more launch manifests under experiments/plan/iter1.
/// </summary>
internal sealed class PassRepo : IDisposable
{
    private readonly TempDir _dir = new();

    public PassRepo(string runId = "run_001", string? jobId = "12345", IReadOnlyList<string>? runGroup = null, Action<JsonObject>? state = null)
    {
        var stateObject = StageTestSupport.State(lastRunId: runId);
        stateObject["pending_run_id"] = runId;
        if (runGroup is not null)
        {
            stateObject["run_group"] = new JsonArray(runGroup.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
        }

        state?.Invoke(stateObject);
        StageTestSupport.WriteState(_dir, stateObject);
        Directory.CreateDirectory(_dir.Combine(".autolab", "schemas"));
        File.Copy(TestPaths.AutolabManifestSchema, _dir.Combine(".autolab", "schemas", "run_manifest.schema.json"));
        if (jobId is not null)
        {
            Manifest(runId, jobId);
        }
    }

    public string Root => _dir.Path;

    public FixedClock Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 20, 0, TimeSpan.Zero));

    public string ManifestPath(string runId) => _dir.Combine("experiments", "plan", "iter1", "runs", runId, "run_manifest.json");

    public string RunDirectory(string runId) => Path.GetDirectoryName(ManifestPath(runId))!;

    public string LedgerPath => _dir.Combine("docs", "slurm_job_list.md");

    /// <summary>Writes the contract's launch manifest for <paramref name="runId"/> (job id, status, sync and edits applied).</summary>
    public string Manifest(string runId, string jobId = "12345", string? status = "submitted", string? sync = "pending", Action<JsonObject>? edit = null)
    {
        var manifest = TestManifests.Launch();
        manifest["run_id"] = runId;
        foreach (var holder in new[] { manifest, manifest["slurm"]!.AsObject(), manifest["resource_request"]!.AsObject(), manifest["resource_request"]!["slurm"]!.AsObject() })
        {
            holder["job_id"] = jobId;
        }

        if (status is null)
        {
            manifest.Remove("status");
        }
        else
        {
            manifest["status"] = status;
        }

        if (sync is null)
        {
            manifest["artifact_sync_to_local"]!.AsObject().Remove("status");
        }
        else
        {
            manifest["artifact_sync_to_local"]!["status"] = sync;
        }

        edit?.Invoke(manifest);
        return _dir.Write(Path.Combine("experiments", "plan", "iter1", "runs", runId, "run_manifest.json"), TestManifests.ToText(manifest) + "\n");
    }

    public string Write(string relative, string text) => _dir.Write(relative, text);

    public string ReadText(string relative) => File.ReadAllText(_dir.Combine(relative));

    public MonitorPass Open(MonitorPassMode mode = MonitorPassMode.Stage, string? runDirectory = null, MonitorStageResult? previous = null, Random? random = null) =>
        MonitorPass.Open(
            new MonitorPassOptions
            {
                RepositoryRoot = Root,
                Mode = mode,
                RunDirectory = runDirectory,
                SchemasDirectory = TestPaths.Schemas,
                Previous = previous,
                Random = random,
                PollInterval = TimeSpan.FromSeconds(30),
            },
            TestManifests.States,
            Clock);

    public void Dispose() => _dir.Dispose();
}

/// <summary>Builds the answers a scheduler query gives a pass (what Get-SlurmJobState hands the pass).</summary>
internal static class PassAnswers
{
    public static JobQueryResult States(MonitorPass pass, params (string RunId, SlurmJobState State)[] states) =>
        new(
            states.Select(s =>
            {
                var run = pass.Runs.Single(r => r.RunId == s.RunId);
                var request = pass.PlanPolls().SelectMany(g => g.Requests).Single(q => q.ManifestPath == run.ManifestPath);
                return (request, s.State with { ManifestPath = run.ManifestPath });
            }).ToArray(),
            Array.Empty<JobQueryFailure>(),
            Array.Empty<string>(),
            Array.Empty<string>());

    public static JobQueryResult Failed(MonitorPass pass, string errorId, string detail) =>
        new(
            Array.Empty<(JobRequest, SlurmJobState)>(),
            pass.PlanPolls().SelectMany(g => g.Requests)
                .Select(r => new JobQueryFailure(r, new AutolabException(errorId, AutolabErrorCategory.ResourceUnavailable, detail + " (the full message)", r.Id.Text) { Detail = detail }))
                .ToArray(),
            Array.Empty<string>(),
            Array.Empty<string>());

    /// <summary>Every planned change of a step, written as the cmdlets write them.</summary>
    public static void ApplyAll(MonitorPass pass, IEnumerable<MonitorManifestChange?> changes)
    {
        foreach (var change in changes)
        {
            if (change is null)
            {
                continue;
            }

            if (change.Plan.Changed)
            {
                pass.Apply(change, CancellationToken.None);
            }
            else
            {
                pass.Record(change, written: false);
            }
        }
    }

    /// <summary>The ledger step, as Update-SlurmJobList -MonitorPass runs it.</summary>
    public static IReadOnlyList<JobListEntry> WriteLedger(MonitorPass pass)
    {
        var entries = new List<JobListEntry>();
        foreach (var target in pass.PlanLedger())
        {
            var plan = pass.PlanLedgerLine(target);
            entries.Add(plan.Changed ? pass.ApplyLedgerLine(plan, target, CancellationToken.None).Entry : plan.Entry);
        }

        return entries;
    }
}
