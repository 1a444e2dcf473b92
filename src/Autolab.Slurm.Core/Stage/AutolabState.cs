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

    public static AutolabState Load(string repositoryRoot, string stateSchemaPath)
    {
        var path = PathFor(repositoryRoot);
        if (!File.Exists(path))
        {
            throw new AutolabException(
                ErrorIds.StateNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"'{path}' does not exist: '{repositoryRoot}' is not an initialised autolab repository. Pass -RepositoryRoot, or run 'autolab init' there.",
                path);
        }

        var text = File.ReadAllText(path);
        RawObject root;
        try
        {
            root = RawJson.Parse(text) as RawObject ?? throw Invalid(path, "it is not a JSON object");
        }
        catch (RawJsonException ex)
        {
            throw Invalid(path, ex.Message, ex);
        }

        var problems = JsonSchemaValidator.Validate(JsonSchemaValidator.Load(stateSchemaPath), root);
        if (problems.Count > 0)
        {
            throw Invalid(path, "it does not match the state schema:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        return new AutolabState(path, text, root);
    }

    /// <summary>
    /// The -UpdateState write: sync_status (completed when the sync is success-like, else the canonical
    /// sync word), stage_attempt = 0, and stage = extract_results when the stage can advance.
    /// Returns true when the file changed. pending_run_id and history are never touched.
    /// </summary>
    public bool Update(string syncStatus, bool advance, string stateSchemaPath)
    {
        var root = RunStateCopy();
        root.SetString("sync_status", syncStatus);
        root.SetScalar("stage_attempt", RawScalar.FromInt(0));
        if (advance)
        {
            root.SetString("stage", "extract_results");
        }

        var text = RawJson.Write(root);
        if (string.Equals(text, RawJson.Write(RunStateCopy()), StringComparison.Ordinal))
        {
            return false;
        }

        var problems = JsonSchemaValidator.Validate(JsonSchemaValidator.Load(stateSchemaPath), root);
        if (problems.Count > 0)
        {
            throw Invalid(Path, "the update would not match the state schema:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        AtomicFile.EnsureWritable(Path, "state file");
        AtomicFile.WriteAllText(Path, text);
        return true;
    }

    private RawObject RunStateCopy() => (RawObject)RawJson.Parse(OriginalText);

    private static AutolabException Invalid(string path, string detail, Exception? inner = null) =>
        new(
            ErrorIds.StateInvalid,
            AutolabErrorCategory.InvalidData,
            $"'{path}' is not a valid autolab state: {detail}. Restore it (autolab keeps history in .autolab/) and run the stage again.",
            path,
            inner);
}
