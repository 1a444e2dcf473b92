namespace Autolab.Slurm.Models;

/// <summary>What Update-RunManifest did (or, under -WhatIf, would do) to one manifest.</summary>
public sealed record RunManifestUpdate
{
    public required string ManifestPath { get; init; }

    public string? RunId { get; init; }

    public string? IterationId { get; init; }

    public string? JobId { get; init; }

    public string? PreviousStatus { get; init; }

    public required string Status { get; init; }

    public string? SyncStatus { get; init; }

    /// <summary>True when the file's content changed (or would change under -WhatIf).</summary>
    public bool Changed { get; init; }

    /// <summary>Which row of the transition table (autolab-contract.md) decided the outcome, e.g. 9.</summary>
    public int Rule { get; init; }

    /// <summary>A sentence saying what happened and why.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// A sentence worth a ledger note (a failure or a lost job), set only by the update that recorded it.
    /// Named like Update-SlurmJobList's -Note so the pipeline carries it there.
    /// </summary>
    public string? Note { get; init; }

    /// <summary>A sentence saying why the rules could not decide (a start time in the future, say), or null.</summary>
    public string? ProbeLimitation { get; init; }

    public override string ToString() => RunId ?? ManifestPath;
}
