using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Json;
using Autolab.Slurm.Schema;

namespace Autolab.Slurm.Stage;

/// <summary>
/// .autolab/state.json: read (validated against the module's state schema) and, with -UpdateState,
/// rewritten atomically with only sync_status, stage_attempt and stage changed; every other key kept.
/// </summary>
public sealed class AutolabState
{
    public const string RelativePath = ".autolab/state.json";

    private AutolabState(string path, string text, RawObject root)
    {
        Path = path;
        OriginalText = text;
        Root = root;
    }

    public string Path { get; }

    public string OriginalText { get; }

    public RawObject Root { get; }

    public string IterationId => Root.GetPathText("iteration_id") ?? string.Empty;

    public string? Stage => Root.GetString("stage");

    public string? LastRunId => Root.GetPathText("last_run_id") is { Length: > 0 } v ? v : null;

    public string? PendingRunId => Root.GetPathText("pending_run_id") is { Length: > 0 } v ? v : null;

    public string? ExperimentId => Root.GetPathText("experiment_id") is { Length: > 0 } v ? v : null;

    /// <summary>Replicate run ids (autolab keeps the non-empty strings of a list; anything else means none).</summary>
    public IReadOnlyList<string> RunGroup =>
        Root.Get("run_group") is RawArray array
            ? array.Items.OfType<RawScalar>().Where(s => s.IsString).Select(s => s.StringValue!.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    public static string PathFor(string repositoryRoot) => System.IO.Path.Combine(repositoryRoot, ".autolab", "state.json");

    /// <summary>
    /// Reads state.json. With a schema path it is validated (the stage's own pass); without one (autolab's
    /// hooks, where autolab owns the file) only its shape is checked: a JSON object with an iteration_id.
    /// </summary>
    public static AutolabState Load(string repositoryRoot, string? stateSchemaPath)
    {
        var path = PathFor(repositoryRoot);
        if (Directory.Exists(path))
        {
            throw new AutolabException(
                ErrorIds.StateInvalid,
                AutolabErrorCategory.InvalidData,
                $"'{path}' is a folder, not autolab's state file. Move the folder out of .autolab and restore state.json (from version control, or with 'autolab init' in a new repository).",
                path);
        }

        if (!File.Exists(path))
        {
            throw new AutolabException(
                ErrorIds.StateNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"'{path}' does not exist: '{repositoryRoot}' is not an initialised autolab repository. Pass -RepositoryRoot, or run 'autolab init' there.",
                path);
        }

        var text = ReadText(path);
        var root = ParseObject(path, text);
        if (stateSchemaPath is not null)
        {
            var problems = JsonSchemaValidator.Validate(JsonSchemaValidator.Load(stateSchemaPath), root);
            if (problems.Count > 0)
            {
                throw Invalid(path, "it does not match the state schema:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
            }
        }
        else if (string.IsNullOrWhiteSpace(root.GetPathText("iteration_id")))
        {
            throw Invalid(path, "it has no iteration_id");
        }

        return new AutolabState(path, text, root);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AutolabException(
                ErrorIds.StateInvalid,
                AutolabErrorCategory.ReadError,
                $"'{path}' cannot be read: {ErrorText.Clause(ex.Message)}. Check its permissions (the stage needs to read it).",
                path,
                ex);
        }
    }

    private static RawObject ParseObject(string path, string text)
    {
        try
        {
            return RawJson.Parse(text) as RawObject ?? throw Invalid(path, "it is not a JSON object");
        }
        catch (RawJsonException ex)
        {
            throw Invalid(path, ex.Message, ex);
        }
    }

    /// <summary>
    /// The -UpdateState write: sync_status (completed when the sync is success-like, else the canonical
    /// sync word; null keeps it), stage_attempt = 0, and stage = extract_results when the stage can advance.
    /// Planned on the file as it is now, re-read under the same kind of lock the other writers take: a
    /// history entry, a new pending_run_id or another change autolab wrote since the pass read the file is
    /// kept, and only the fields the stage owns change. When the state now names another iteration or run,
    /// or another stage, the pass's outcome no longer applies: nothing (or, for the stage, not the stage) is
    /// written. Returns true when the file changed; pending_run_id and history are never touched.
    /// </summary>
    public bool Update(string? syncStatus, bool advance, string stateSchemaPath, CancellationToken cancellationToken = default)
    {
        var lockPath = FileLock.LockPathFor(Path, RepositoryRootOf(Path));
        using var held = FileLock.Acquire(lockPath, FileLock.DefaultTimeout, $"the state file '{Path}'", cancellationToken);
        if (Plan(syncStatus, advance, out var root) is not { } text)
        {
            return false;
        }

        var problems = JsonSchemaValidator.Validate(JsonSchemaValidator.Load(stateSchemaPath), root);
        if (problems.Count > 0)
        {
            throw Invalid(Path, "the update would not match the state schema:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        Repository.RepositoryLocator.EnsureInside(RepositoryRootOf(Path), Path, "state file");
        AtomicFile.EnsureWritable(Path, "state file");
        AtomicFile.RemoveStaleTemps(Path);
        AtomicFile.WriteAllText(Path, text);
        return true;
    }

    /// <summary>
    /// What <see cref="Update"/> would do, for -WhatIf: true when the file as it is now would change. Reads
    /// the file (no lock: nothing is written) and applies the same rules to a copy.
    /// </summary>
    public bool WouldChange(string? syncStatus, bool advance) => Plan(syncStatus, advance, out _) is not null;

    /// <summary>
    /// The update planned on the file as it is now: the fields the stage owns (sync_status, null keeps it;
    /// stage_attempt = 0; stage when advancing from the stage the pass began in) changed in <paramref name="root"/>,
    /// and the new text, or null when nothing would change or the state names another run (<see cref="Skipped"/> says so).
    /// </summary>
    private string? Plan(string? syncStatus, bool advance, out RawObject root)
    {
        root = ParseObject(Path, ReadText(Path));
        if (!SameRun(root))
        {
            Skipped = $"'{Path}' names another iteration or run than when the pass began (iteration_id {root.GetPathText("iteration_id")}, run {RunOf(root) ?? "none"}); it was left as it is.";
            return null;
        }

        var before = RawJson.Write(root);
        if (syncStatus is not null)
        {
            root.SetString("sync_status", syncStatus);
        }

        root.SetScalar("stage_attempt", RawScalar.FromInt(0));
        if (advance && string.Equals(root.GetString("stage"), Stage, StringComparison.Ordinal))
        {
            root.SetString("stage", "extract_results");
        }

        var text = RawJson.Write(root);
        return string.Equals(text, before, StringComparison.Ordinal) ? null : text;
    }

    /// <summary>Why the last <see cref="Update"/> wrote nothing although it was asked to, or null.</summary>
    public string? Skipped { get; private set; }

    private bool SameRun(RawObject current) =>
        string.Equals(current.GetPathText("iteration_id") ?? string.Empty, IterationId, StringComparison.Ordinal)
        && string.Equals(RunOf(current), PendingRunId ?? LastRunId, StringComparison.Ordinal);

    private static string? RunOf(RawObject root) =>
        root.GetPathText("pending_run_id") is { Length: > 0 } pending ? pending
        : root.GetPathText("last_run_id") is { Length: > 0 } last ? last : null;

    private static string RepositoryRootOf(string statePath) =>
        System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(statePath)!)!;


    private static AutolabException Invalid(string path, string detail, Exception? inner = null) =>
        new(
            ErrorIds.StateInvalid,
            AutolabErrorCategory.InvalidData,
            $"'{path}' is not a valid autolab state: {detail}. Restore it (autolab keeps history in .autolab/) and run the stage again.",
            path,
            inner);
}
