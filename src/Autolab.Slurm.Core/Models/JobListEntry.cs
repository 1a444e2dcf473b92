namespace Autolab.Slurm.Models;

public static class LedgerAction
{
    public const string Added = "Added";
    public const string Updated = "Updated";

    /// <summary>The line was already current; only a note was added under it.</summary>
    public const string NoteAdded = "NoteAdded";
    public const string Unchanged = "Unchanged";
}

/// <summary>One run's line in docs/slurm_job_list.md after Update-SlurmJobList.</summary>
public sealed record JobListEntry
{
    public required string LedgerPath { get; init; }

    public string? ManifestPath { get; init; }

    public string? RunId { get; init; }

    public string? JobId { get; init; }

    public string? IterationId { get; init; }

    public string? Status { get; init; }

    /// <summary>The ledger date, YYYY-MM-DD.</summary>
    public string? Date { get; init; }

    /// <summary>Added, Updated, NoteAdded (only a note was added) or Unchanged.</summary>
    public required string Action { get; init; }

    /// <summary>The canonical line; null for a manifest that is not a SLURM run.</summary>
    public string? Line { get; init; }

    /// <summary>True when a note was added under the entry.</summary>
    public bool NoteAdded { get; init; }

    public override string ToString() => Line ?? RunId ?? LedgerPath;
}
