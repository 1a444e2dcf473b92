using System.Text.Json;
using System.Text.Json.Nodes;
using Autolab.Slurm.Manifest;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// Shared data for the stage tests: a valid state.json (autolab-contract.md, "state.json"), and manifests
/// derived from the contract's launch manifest with one field changed at a time.
/// </summary>
internal static class StageTestSupport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The module's state schema, copied to the test output (see the test csproj).</summary>
    public static string StateSchema => Path.Combine(TestPaths.Schemas, "state.schema.json");

    /// <summary>Every required key of state.json, plus experiment_id, in autolab's order.</summary>
    public static JsonObject State(string iterationId = "iter1", string lastRunId = "run_001") => new()
    {
        ["iteration_id"] = iterationId,
        ["experiment_id"] = "exp1",
        ["stage"] = "slurm_monitor",
        ["stage_attempt"] = 2,
        ["last_run_id"] = lastRunId,
        ["sync_status"] = "pending",
        ["max_stage_attempts"] = 3,
        ["max_total_iterations"] = 10,
    };

    public static string StateText(JsonObject state) => state.ToJsonString(Indented) + "\n";

    public static string WriteState(TempDir repo, JsonObject state) => repo.Write(".autolab/state.json", StateText(state));

    public static string WriteStateText(TempDir repo, string text) => repo.Write(".autolab/state.json", text);

    /// <summary>
    /// The contract's launch manifest with status, artifact_sync_to_local.status and slurm.state set
    /// (null removes status / sync status; a null slurm state leaves the launch's slurm block as it is).
    /// </summary>
    public static RunManifestDocument RunManifest(string? status, string? sync = null, string? slurmState = null, Action<JsonObject>? edit = null)
    {
        var manifest = TestManifests.Launch();
        if (status is null)
        {
            manifest.Remove("status");
        }
        else
        {
            manifest["status"] = status;
        }

        var artifact = manifest["artifact_sync_to_local"]!.AsObject();
        if (sync is null)
        {
            artifact.Remove("status");
        }
        else
        {
            artifact["status"] = sync;
        }

        if (slurmState is not null)
        {
            manifest["slurm"]!.AsObject()["state"] = slurmState;
        }

        edit?.Invoke(manifest);
        return RunManifestDocument.Parse(Path.Combine(Path.GetTempPath(), "run_manifest.json"), TestManifests.ToText(manifest));
    }

    /// <summary>"-" in a theory row stands for an absent value.</summary>
    public static string? Absent(string value) => value == "-" ? null : value;
}
