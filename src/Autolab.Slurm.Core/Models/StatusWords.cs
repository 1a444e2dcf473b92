namespace Autolab.Slurm.Models;

/// <summary>The run manifest's status words (interface.md, "Status words"). Nothing else is ever written.</summary>
public static class RunStatus
{
    public const string Pending = "pending";
    public const string Submitted = "submitted";
    public const string Running = "running";
    public const string Synced = "synced";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Partial = "partial";

    public static readonly IReadOnlyList<string> All = new[] { Pending, Submitted, Running, Synced, Completed, Failed, Partial };

    public static bool IsCanonical(string? value) => value is not null && All.Contains(value, StringComparer.Ordinal);

    /// <summary>An absent or non-canonical status counts as pending (autolab-contract.md, transition table).</summary>
    public static string Canonicalize(string? value) => IsCanonical(value) ? value! : Pending;

    public static bool IsTerminal(string status) => status is Synced or Completed or Failed or Partial;

    /// <summary>Statuses autolab's schema requires <c>timestamps.completed_at</c> for, plus the other terminal ones.</summary>
    public static bool NeedsCompletedAt(string status) => IsTerminal(status);
}

/// <summary><c>artifact_sync_to_local.status</c>: the words written, and the synonyms read.</summary>
public static class SyncStatus
{
    public const string Pending = "pending";
    public const string Syncing = "syncing";
    public const string Ok = "ok";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = new[] { Pending, Syncing, Ok, Failed };

    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pending"] = Pending,
        ["queued"] = Pending,
        ["submitted"] = Pending,
        ["not_started"] = Pending,
        ["na"] = Pending,
        ["syncing"] = Syncing,
        ["running"] = Syncing,
        ["in_progress"] = Syncing,
        ["ok"] = Ok,
        ["completed"] = Ok,
        ["success"] = Ok,
        ["passed"] = Ok,
        ["failed"] = Failed,
        ["error"] = Failed,
        ["fail"] = Failed,
    };

    /// <summary>The canonical word for a canonical word or synonym; null for anything else.</summary>
    public static string? Canonicalize(string? value) =>
        value is not null && Synonyms.TryGetValue(value.Trim(), out var canonical) ? canonical : null;

    public static bool IsSuccessLike(string? value) => Canonicalize(value) == Ok;

    /// <summary>Every word accepted as input (canonical words and synonyms).</summary>
    public static IEnumerable<string> AcceptedWords => Synonyms.Keys;
}

/// <summary>Job status reported by Get-SlurmJobState.</summary>
public static class JobStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Unknown = "unknown";

    public static readonly IReadOnlyList<string> All = new[] { Pending, Running, Completed, Failed, Unknown };
}
