using System.Globalization;
using System.Text;

namespace Autolab.Slurm.Bench;

/// <summary>
/// A SLURM run manifest grown to a given size the way real ones grow: a long artifact_sync_to_local.pulled_paths
/// list (a run with many files) and a metrics object with one entry per step, in autolab's layout (indent 2).
/// </summary>
internal static class LargeManifest
{
    public static string Build(long bytes)
    {
        var sb = new StringBuilder((int)Math.Min(int.MaxValue, bytes + 4096));
        sb.Append("""
            {
              "schema_version": "1.0",
              "run_id": "run_001",
              "iteration_id": "iter1",
              "launch_mode": "slurm",
              "host_mode": "slurm",
              "command": "sbatch train.sh",
              "resource_request": {
                "cpus": 1,
                "memory": "1G",
                "gpu_count": 0,
                "job_id": "4242"
              },
              "status": "submitted",
              "job_id": "4242",
              "slurm": {
                "job_id": "4242"
              },
              "timestamps": {
                "started_at": "2026-01-01T00:00:00Z"
              },
              "started_at": "2026-01-01T00:00:00Z",
              "artifact_sync_to_local": {
                "status": "pending",
                "pulled_paths": [
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        sb.Append('\n');
        var half = bytes / 2;
        var i = 0;
        while (sb.Length < half)
        {
            sb.Append(CultureInfo.InvariantCulture, $"      \"experiments/plan/iter1/runs/run_001/out/shard_{i / 1000:D4}/part-{i:D7}.bin\",\n");
            i++;
        }

        sb.Append("      \"experiments/plan/iter1/runs/run_001/metrics.json\"\n    ]\n  },\n  \"metrics\": {\n");
        var step = 0;
        while (sb.Length < bytes - 200)
        {
            sb.Append(CultureInfo.InvariantCulture, $"    \"step_{step:D7}\": {{\n      \"loss\": {1.0 / (step + 1):R},\n      \"accuracy\": 0.{step % 1000:D3},\n      \"lr\": 1.0e-4,\n      \"note\": \"epoch {step / 100} \\u00e9\"\n    }},\n");
            step++;
        }

        sb.Append("    \"final\": true\n  }\n}\n");
        return sb.ToString();
    }
}
