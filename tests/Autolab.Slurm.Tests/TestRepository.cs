using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autolab.Slurm.Tests;

/// <summary>
/// A temporary autolab repository on disk: .autolab/ with the staged module's manifest schema,
/// experiments/plan/&lt;iteration&gt;/runs/, docs/. Manifests are written the way autolab's launch stage writes them.
/// </summary>
public sealed class TestRepository : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public TestRepository(ModuleRunspace module, bool autolab = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "autolab-xunit-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(Root, "experiments", "plan", "iter1", "runs"));
        if (autolab)
        {
            Directory.CreateDirectory(Path.Combine(Root, ".autolab", "schemas"));
            File.Copy(Path.Combine(module.ModuleBase, "schemas", "run_manifest.schema.json"), Path.Combine(Root, ".autolab", "schemas", "run_manifest.schema.json"));
            Directory.CreateDirectory(Path.Combine(Root, "docs"));
        }
    }

    public string Root { get; }

    public string LedgerPath => Path.Combine(Root, "docs", "slurm_job_list.md");

    /// <summary>Writes a launch-style manifest for run <paramref name="runId"/> and returns its path; <paramref name="edit"/> changes it first.</summary>
    public string WriteManifest(string runId, string? jobId, DateTimeOffset startedAt, string hostMode = "slurm", Action<JsonObject>? edit = null)
    {
        var started = startedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var manifest = new JsonObject
        {
            ["schema_version"] = "1.0",
            ["run_id"] = runId,
            ["iteration_id"] = "iter1",
            ["launch_mode"] = hostMode,
            ["host_mode"] = hostMode,
            ["command"] = hostMode == "slurm" ? "sbatch launch/run_slurm.sbatch" : "bash launch/run_local.sh",
            ["resource_request"] = new JsonObject { ["cpus"] = 1, ["memory"] = "16GB", ["gpu_count"] = 0 },
            ["status"] = "submitted",
            ["artifact_sync_to_local"] = new JsonObject { ["status"] = "pending" },
            ["timestamps"] = new JsonObject { ["started_at"] = started },
            ["started_at"] = started,
        };
        if (hostMode == "slurm" && jobId is not null)
        {
            manifest["resource_request"]!["job_id"] = jobId;
            manifest["resource_request"]!["slurm"] = new JsonObject { ["job_id"] = jobId };
            manifest["job_id"] = jobId;
            manifest["slurm"] = new JsonObject { ["job_id"] = jobId };
        }

        edit?.Invoke(manifest);
        var path = Path.Combine(Root, "experiments", "plan", "iter1", "runs", runId, "run_manifest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, manifest.ToJsonString(Indented) + "\n");
        return path;
    }

    /// <summary>.autolab/state.json as autolab leaves it when the stage is slurm_monitor for <paramref name="runId"/>, and the run's launch line in the ledger.</summary>
    public void WriteStageState(string runId, string jobId, DateTimeOffset startedAt)
    {
        var state = new JsonObject
        {
            ["iteration_id"] = "iter1",
            ["experiment_id"] = "e1",
            ["stage"] = "slurm_monitor",
            ["stage_attempt"] = 0,
            ["last_run_id"] = runId,
            ["pending_run_id"] = string.Empty,
            ["sync_status"] = "pending",
            ["max_stage_attempts"] = 3,
            ["max_total_iterations"] = 5,
            ["history"] = new JsonArray(),
        };
        File.WriteAllText(Path.Combine(Root, ".autolab", "state.json"), state.ToJsonString(Indented) + "\n");
        var line = $"- {startedAt.UtcDateTime:yyyy-MM-dd} | job_id={jobId} | iteration_id=iter1 | run_id={runId} | status=submitted";
        File.WriteAllText(LedgerPath, "# SLURM Job Ledger\n\n" + line + "\n");
    }

    public static JsonObject Read(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    /// <summary>
    /// Every folder and file below the root: path -> kind, mode, content hash and write time, so a rewrite with
    /// the same bytes, a new lock folder or a changed mode all show up as a difference.
    /// </summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(Root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Root, entry.FullName);
            map[relative] = entry is FileInfo file
                ? $"file {file.UnixFileMode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file.FullName)))} {file.LastWriteTimeUtc.Ticks}"
                : $"dir {entry.UnixFileMode}";
        }

        return map;
    }

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
