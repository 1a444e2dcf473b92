using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;

namespace Autolab.Slurm.Ledger;

/// <summary>The fields of one canonical ledger line.</summary>
public sealed record LedgerLineFields(string Date, string JobId, string IterationId, string RunId, string Status)
{
    /// <summary><c>- YYYY-MM-DD | job_id=… | iteration_id=… | run_id=… | status=…</c>, exactly as autolab builds it.</summary>
    public string Line => $"- {Date} | job_id={JobId} | iteration_id={IterationId} | run_id={RunId} | status={Status}";
}

/// <summary>Builds the ledger line autolab's own code builds from the same manifest (date precedence, job id order, status).</summary>
public static class LedgerLine
{
    private static readonly string[][] DatePaths =
    {
        new[] { "timestamp_utc" },
        new[] { "launch_snapshot", "launched_at_utc" },
        new[] { "started_at" },
        new[] { "created_at" },
        new[] { "timestamp" },
    };

    public static string? DeriveDate(RawObject manifest)
    {
        foreach (var path in DatePaths)
        {
            if (Timestamps.LedgerDateOf(manifest.GetPathText(path)) is { } date)
            {
                return date;
            }
        }

        // Ours, deliberately: autolab's launch always writes a top-level started_at, but a manifest
        // edited by hand may keep only timestamps.started_at.
        if (Timestamps.LedgerDateOf(manifest.GetPathText("timestamps", "started_at")) is { } nested)
        {
            return nested;
        }

        return Timestamps.RunIdDate(manifest.GetPathText("run_id"));
    }

    public static LedgerLineFields Build(RunManifestDocument manifest)
    {
        var root = manifest.Root;
        var runId = manifest.RunId ?? throw Missing(manifest.Path, "run_id");
        var iterationId = manifest.IterationId ?? throw Missing(manifest.Path, "iteration_id");
        var jobId = manifest.LedgerJobId ?? throw new AutolabException(
            ErrorIds.JobIdMissing,
            AutolabErrorCategory.InvalidData,
            $"The SLURM run manifest '{manifest.Path}' has no job id (looked in slurm.job_id, resource_request.slurm.job_id, resource_request.job_id, job_id), so its ledger line cannot be written. Record the id sbatch printed in 'job_id'.",
            manifest.Path);
        var date = DeriveDate(root) ?? throw new AutolabException(
            ErrorIds.LedgerDateMissing,
            AutolabErrorCategory.InvalidData,
            $"No ledger date can be derived from '{manifest.Path}': none of timestamp_utc, launch_snapshot.launched_at_utc, started_at, created_at, timestamp, timestamps.started_at parses as a date, and run_id holds no YYYYMMDDTHHMMSSZ stamp. Add 'started_at' (UTC, e.g. 2026-01-01T00:00:00Z).",
            manifest.Path);
        var status = root.GetPathText("status") is { Length: > 0 } s ? s : "unknown";
        return new LedgerLineFields(date, jobId, iterationId, runId, status);
    }

    private static AutolabException Missing(string path, string key) =>
        new(
            ErrorIds.ManifestSchemaViolation,
            AutolabErrorCategory.InvalidData,
            $"The run manifest '{path}' has no '{key}', so its ledger line cannot be built. Restore the key (autolab's launch stage writes it).",
            path);
}
