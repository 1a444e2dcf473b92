namespace Autolab.Slurm.Models;

/// <summary>
/// One job (or array task, or het component) as the scheduler reported it. Property names match the
/// parameters they feed (<c>JobId</c>, <c>ManifestPath</c>) so pipelines bind by property name.
/// Raw scheduler text is kept beside parsed values (<see cref="RawState"/> beside <see cref="State"/>).
/// </summary>
public sealed record SlurmJobState
{
    public required string JobId { get; init; }

    /// <summary>The manifest the id came from; null when the id was given directly.</summary>
    public string? ManifestPath { get; init; }

    public string? Cluster { get; init; }

    public string? Name { get; init; }

    /// <summary>Upper-case base state token (<c>CANCELLED</c> for <c>CANCELLED by 0</c>); <c>UNKNOWN</c> when not found.</summary>
    public required string State { get; init; }

    /// <summary>The state text verbatim, e.g. <c>CANCELLED by 0</c>.</summary>
    public string? RawState { get; init; }

    /// <summary>pending, running, completed, failed or unknown.</summary>
    public required string Status { get; init; }

    public bool IsTerminal { get; init; }

    public string? Reason { get; init; }

    public int? ExitCode { get; init; }

    public int? Signal { get; init; }

    /// <summary>The worst step's <c>code:signal</c>, verbatim.</summary>
    public string? DerivedExitCode { get; init; }

    /// <summary>Restart count from squeue; null when unknown (22.05's sacct has no such field).</summary>
    public int? Restarts { get; init; }

    public DateTimeOffset? SubmitTime { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public TimeSpan? Elapsed { get; init; }

    public string? NodeList { get; init; }

    public string? Partition { get; init; }

    /// <summary>sacct, squeue or none.</summary>
    public required string Source { get; init; }

    /// <summary>When this state was read (UTC).</summary>
    public DateTimeOffset ObservedAt { get; init; }

    /// <summary>Component states of an array or het job; empty otherwise.</summary>
    public IReadOnlyList<SlurmJobState> Tasks { get; init; } = Array.Empty<SlurmJobState>();

    public override string ToString() => JobId;
}

public static class JobSource
{
    public const string Sacct = "sacct";
    public const string Squeue = "squeue";
    public const string None = "none";
}
