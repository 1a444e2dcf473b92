using Autolab.Slurm.Json;

namespace Autolab.Slurm.Manifest;

/// <summary>
/// The readers autolab-contract.md fixes ("What the monitor writes" and the ledger section). Polling
/// and the ledger share one SLURM detection rule; the two job id orders differ on purpose, each
/// matching the autolab code that reads it.
/// </summary>
public static class ManifestRules
{
    private static readonly string[][] ModePaths =
    {
        new[] { "host_mode" },
        new[] { "launch_mode" },
        new[] { "location" },
        new[] { "detected_host_mode" },
        new[] { "launch", "mode" },
        new[] { "host", "mode" },
        new[] { "resource_request", "mode" },
        new[] { "resource_request", "location" },
    };

    private static readonly string[][] PollJobIdPaths =
    {
        new[] { "job_id" },
        new[] { "slurm", "job_id" },
        new[] { "resource_request", "job_id" },
        new[] { "resource_request", "slurm", "job_id" },
    };

    private static readonly string[][] LedgerJobIdPaths =
    {
        new[] { "slurm", "job_id" },
        new[] { "resource_request", "slurm", "job_id" },
        new[] { "resource_request", "job_id" },
        new[] { "job_id" },
    };

    public static bool IsSlurmRun(RawObject manifest)
    {
        foreach (var path in ModePaths)
        {
            var value = manifest.GetPathText(path);
            if (value is not null
                && (value.Equals("slurm", StringComparison.OrdinalIgnoreCase)
                    || value.Equals("slurm_interactive", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return manifest.GetPath("slurm") is RawObject { Count: > 0 }
            || manifest.GetPath("resource_request", "slurm") is RawObject { Count: > 0 };
    }

    public static string? PollJobId(RawObject manifest) => FirstText(manifest, PollJobIdPaths);

    public static string? LedgerJobId(RawObject manifest) => FirstText(manifest, LedgerJobIdPaths);

    private static string? FirstText(RawObject manifest, string[][] paths)
    {
        foreach (var path in paths)
        {
            var value = manifest.GetPathText(path);
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        return null;
    }
}
