namespace Autolab.Slurm.Models;

/// <summary>
/// What one pass of the slurm_monitor stage found and did (interface.md, Invoke-SlurmMonitorStage). The
/// cmdlet layer adds the PSTypeName <c>Autolab.Slurm.MonitorStageResult</c> the contract names.
/// </summary>
public sealed class MonitorStageResult
{
    public const string TypeName = "Autolab.Slurm.MonitorStageResult";

    public string? RunId { get; init; }

    public string? IterationId { get; init; }

    /// <summary>The run's job id; for a run group, the replicates' job ids.</summary>
    public string? JobId { get; init; }

    public string? HostMode { get; init; }

    /// <summary>The scheduler's state of the job (UNKNOWN when not found); for a run group, the replicates counted by state.</summary>
    public string? SchedulerState { get; init; }

    public string? Status { get; init; }

    public string? SyncStatus { get; init; }

    /// <summary>extract_results or slurm_monitor.</summary>
    public required string NextStage { get; init; }

    public bool CanAdvance { get; init; }

    /// <summary>One sentence: what the pass found and what happens next.</summary>
    public required string Message { get; set; }

    /// <summary>Files this pass changed (repo-relative, '/'); under -WhatIf, the files it would change.</summary>
    public IReadOnlyList<string> ChangedFiles { get; set; } = Array.Empty<string>();

    /// <summary>Null, or a sentence saying what could not be asked this time (scheduler, login node).</summary>
    public string? ProbeLimitation { get; init; }

    /// <summary>False under -WhatIf: the result then says what the pass would do, and nothing was written.</summary>
    public bool Applied { get; init; } = true;

    /// <summary>The poll interval this pass used for its suggested wait (before jitter); grows while nothing changes.</summary>
    public TimeSpan PollInterval { get; init; }

    /// <summary>How long -Wait sleeps before the next pass (the interval with about 20 % jitter).</summary>
    public TimeSpan NextPollDelay { get; init; }

    /// <summary>What the pass saw, for telling "something changed" from "nothing changed" between passes.</summary>
    public string Signature { get; init; } = string.Empty;

    public override string ToString() => RunId ?? NextStage;
}
