namespace Autolab.Slurm.Errors;

/// <summary>
/// Mirrors the PowerShell ErrorCategory names the module uses, so the Core can say what kind of
/// failure it is without referencing PowerShell; the cmdlet layer maps it by name.
/// </summary>
public enum AutolabErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceUnavailable,
    PermissionDenied,
    OperationTimeout,
    ConnectionError,
    SecurityError,
    ReadError,
    WriteError,
    ResourceBusy,
}

/// <summary>
/// The one exception type the Core throws for expected failures. <see cref="ErrorId"/> is the stable
/// PascalCase id from interface.md; the message names the file or job and says what to do next.
/// </summary>
public class AutolabException : Exception
{
    public AutolabException(string errorId, AutolabErrorCategory category, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }

    public AutolabErrorCategory Category { get; }

    /// <summary>The file path, job id or host the error concerns (becomes the ErrorRecord's TargetObject).</summary>
    public object? Target { get; }

    /// <summary>
    /// The cause in a few stable words (a scheduler's own stderr, say), without paths or command lines that
    /// change from call to call: what a ledger note or a probe limitation quotes.
    /// </summary>
    public string? Detail { get; init; }
}

/// <summary>Helpers for messages that quote another exception's message.</summary>
public static class ErrorText
{
    /// <summary>
    /// Another exception's message as a clause inside one of ours: trimmed, without its closing period (an
    /// ellipsis stays), so "cannot be read: {clause}. Check ..." never reads "is denied.. Check".
    /// </summary>
    public static string Clause(string message)
    {
        var text = message.Trim();
        return text.EndsWith('.') && !text.EndsWith("...", StringComparison.Ordinal) ? text[..^1] : text;
    }

    /// <summary>A message on one line (for a log line, a ledger note or a hook's answer): its lines trimmed and joined by spaces.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>The stable error ids of interface.md ("Error ids"). Never rename one: tests and users match them.</summary>
public static class ErrorIds
{
    public const string InvalidJobId = nameof(InvalidJobId);
    public const string JobIdMissing = nameof(JobIdMissing);
    public const string JobIdMismatch = nameof(JobIdMismatch);
    public const string SchedulerUnavailable = nameof(SchedulerUnavailable);
    public const string SchedulerTimeout = nameof(SchedulerTimeout);
    public const string SchedulerOutputInvalid = nameof(SchedulerOutputInvalid);
    public const string ManifestNotFound = nameof(ManifestNotFound);
    public const string ManifestInvalidJson = nameof(ManifestInvalidJson);
    public const string ManifestSchemaViolation = nameof(ManifestSchemaViolation);
    public const string SchemaNotFound = nameof(SchemaNotFound);
    public const string SchemaKeywordUnsupported = nameof(SchemaKeywordUnsupported);
    public const string StateNotFound = nameof(StateNotFound);
    public const string StateInvalid = nameof(StateInvalid);
    public const string RepositoryRootNotFound = nameof(RepositoryRootNotFound);
    public const string LedgerDateMissing = nameof(LedgerDateMissing);
    public const string FileReadOnly = nameof(FileReadOnly);
    public const string LockTimeout = nameof(LockTimeout);
    public const string HostKeyUnknown = nameof(HostKeyUnknown);
    public const string HostKeyMismatch = nameof(HostKeyMismatch);
    public const string SshAuthenticationFailed = nameof(SshAuthenticationFailed);
    public const string SshConnectionFailed = nameof(SshConnectionFailed);
    public const string RemotePathNotFound = nameof(RemotePathNotFound);
    public const string PathEscapesDestination = nameof(PathEscapesDestination);
    public const string ProfileNotFound = nameof(ProfileNotFound);
    public const string ProfileInvalid = nameof(ProfileInvalid);

    // Additions (interface.md allows adding ids, never renaming).
    public const string InvalidStatus = nameof(InvalidStatus);
    public const string FileWriteFailed = nameof(FileWriteFailed);
    public const string LedgerInvalid = nameof(LedgerInvalid);
    public const string ArtifactPullForbidden = nameof(ArtifactPullForbidden);
    public const string HookInvalid = nameof(HookInvalid);
    public const string RunDirectoryMissing = nameof(RunDirectoryMissing);
    public const string SyncTimeout = nameof(SyncTimeout);
    public const string PathOutsideRepository = nameof(PathOutsideRepository);
    public const string PolicyNotFound = nameof(PolicyNotFound);
    public const string FileAccessDenied = nameof(FileAccessDenied);

    /// <summary>
    /// The ids that mean a login node could not be reached or trusted (refused or timed-out connection, name
    /// not found, host key unknown or changed, authentication refused): a probe limitation, never a failed run.
    /// </summary>
    public static bool IsUnreachable(string errorId) =>
        errorId is SshConnectionFailed or HostKeyUnknown or HostKeyMismatch or SshAuthenticationFailed;
}
