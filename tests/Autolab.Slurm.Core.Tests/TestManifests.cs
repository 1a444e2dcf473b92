using System.Text.Json;
using System.Text.Json.Nodes;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// Shared test data: the launch manifest from autolab-contract.md ("run_manifest.json") and small
/// builders for job states and sync results. Assertions parse output with System.Text.Json, an
/// independent reader, so a test never trusts the code under test to read its own output.
/// </summary>
internal static class TestManifests
{
    /// <summary>The batch-job manifest `launch` writes, verbatim from the contract.</summary>
    public const string LaunchJson = """
        {"schema_version": "1.0", "run_id": "run_001", "iteration_id": "iter1",
         "launch_mode": "slurm", "host_mode": "slurm", "command": "sbatch launch/run_slurm.sbatch",
         "resource_request": {"cpus": 1, "memory": "16GB", "gpu_count": 0, "job_id": "12345", "slurm": {"job_id": "12345"}},
         "status": "submitted", "artifact_sync_to_local": {"status": "pending"},
         "timestamps": {"started_at": "2026-01-01T00:00:00Z"}, "started_at": "2026-01-01T00:00:00Z",
         "job_id": "12345", "slurm": {"job_id": "12345"}}
        """;

    public const string JobId = "12345";

    /// <summary>Submission time of <see cref="LaunchJson"/>.</summary>
    public static readonly DateTimeOffset Submitted = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static SlurmStateTable States => SlurmStateTable.Load(TestPaths.StateTable);

    public static JsonObject Launch() => JsonNode.Parse(LaunchJson)!.AsObject();

    public static string ToText(JsonObject manifest) => manifest.ToJsonString(Indented);

    public static JsonObject Parse(string text) => JsonNode.Parse(text)!.AsObject();

    public static string? Str(JsonNode? node) => node?.GetValue<string>();

    public static SlurmJobState Job(
        string status,
        string state,
        string jobId = JobId,
        int? restarts = null,
        DateTimeOffset? end = null,
        int? exitCode = null,
        int? signal = null,
        string? reason = null,
        string? rawState = null,
        DateTimeOffset? observedAt = null,
        DateTimeOffset? submit = null,
        string source = JobSource.Sacct) =>
        new()
        {
            JobId = jobId,
            State = state,
            RawState = rawState ?? state,
            Status = status,
            IsTerminal = States.IsTerminal(state),
            Restarts = restarts,
            EndTime = end,
            ExitCode = exitCode,
            Signal = signal,
            Reason = reason,
            SubmitTime = submit,
            Source = source,
            ObservedAt = observedAt ?? default,
        };

    public static ArtifactSyncResult Sync(string manifestPath, IEnumerable<string> verified, params (string Path, string Reason)[] failures) =>
        new()
        {
            ManifestPath = manifestPath,
            RunId = "run_001",
            VerifiedPaths = verified.ToArray(),
            PulledPaths = verified.ToArray(),
            Failures = failures.Select(f => new SyncFailure(f.Path, f.Reason)).ToArray(),
        };
}
