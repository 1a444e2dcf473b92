namespace Autolab.Slurm.Models;

/// <summary>A file the sync did not transfer, and why (unchanged, denied by policy, escaping the run directory...).</summary>
public sealed record SkippedPath(string Path, string Reason)
{
    public override string ToString() => Path + ": " + Reason;
}

/// <summary>A file the sync could not bring home; a retry may fix it. <c>Path</c> is empty when the whole sync could not run.</summary>
public sealed record SyncFailure(string Path, string Reason)
{
    public override string ToString() => (Path.Length == 0 ? "(sync)" : Path) + ": " + Reason;
}

/// <summary>The outcome of one Sync-RunArtifacts call. All paths are repo-relative with '/'.</summary>
public sealed record ArtifactSyncResult
{
    public required string ManifestPath { get; init; }

    public string? RunId { get; init; }

    public string? Source { get; init; }

    public string? Destination { get; init; }

    /// <summary>ok or failed; failed exactly when <see cref="Failures"/> is not empty.</summary>
    public string Status => Failures.Count == 0 ? SyncStatus.Ok : SyncStatus.Failed;

    /// <summary>Files transferred by this call.</summary>
    public IReadOnlyList<string> PulledPaths { get; init; } = Array.Empty<string>();

    /// <summary>Every file present and verified at the end; what the manifest's pulled_paths records.</summary>
    public IReadOnlyList<string> VerifiedPaths { get; init; } = Array.Empty<string>();

    public IReadOnlyList<SkippedPath> SkippedPaths { get; init; } = Array.Empty<SkippedPath>();

    public IReadOnlyList<SyncFailure> Failures { get; init; } = Array.Empty<SyncFailure>();

    /// <summary>Files transferred by this call (the count of <see cref="PulledPaths"/>).</summary>
    public int FileCount { get; init; }

    /// <summary>Bytes that crossed the wire in this call; a resumed download counts only what was missing.</summary>
    public long ByteCount { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>
    /// False when the login node could not be reached or trusted (connection refused or timed out, name not
    /// found, host key unknown or changed, authentication refused): a probe limitation, not a failed transfer,
    /// so the stage does not count it as a sync attempt.
    /// </summary>
    public bool Reachable { get; init; } = true;

    public override string ToString() => RunId ?? ManifestPath;
}
