using System.Text;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;

namespace Autolab.Slurm.Manifest;

/// <summary>
/// A run_manifest.json read into a text-preserving tree, with the readers every command shares:
/// the one SLURM detection rule, the two job id orders, the run's identity and times.
/// </summary>
public sealed class RunManifestDocument
{
    public const string FileName = "run_manifest.json";

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private RunManifestDocument(string path, string originalText, RawObject root)
    {
        Path = path;
        OriginalText = originalText;
        Root = root;
    }

    public string Path { get; }

    public string OriginalText { get; }

    public RawObject Root { get; }

    public static RunManifestDocument Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = StrictUtf8.GetString(File.ReadAllBytes(full));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The run manifest '{full}' does not exist. Check the path, or run the launch stage first so it writes the manifest.",
                full,
                ex);
        }
        catch (DecoderFallbackException ex)
        {
            throw new AutolabException(
                ErrorIds.ManifestInvalidJson,
                AutolabErrorCategory.InvalidData,
                $"The run manifest '{full}' is not UTF-8 text ({ex.Message}). Restore it from version control or rewrite it as UTF-8 JSON.",
                full,
                ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.PermissionDenied,
                $"The run manifest '{full}' cannot be read: {ex.Message}. Check its permissions.",
                full,
                ex);
        }

        return Parse(full, text);
    }

    public static RunManifestDocument Parse(string path, string text)
    {
        RawNode node;
        try
        {
            node = RawJson.Parse(text);
        }
        catch (RawJsonException ex)
        {
            throw new AutolabException(
                ErrorIds.ManifestInvalidJson,
                AutolabErrorCategory.InvalidData,
                $"The run manifest '{path}' is not valid JSON: {ex.Message}. Fix the file (or restore it from version control); it was not changed.",
                path,
                ex);
        }

        if (node is not RawObject root)
        {
            throw new AutolabException(
                ErrorIds.ManifestInvalidJson,
                AutolabErrorCategory.InvalidData,
                $"The run manifest '{path}' holds a JSON {Describe(node)}, not an object. A run manifest is one JSON object; fix the file, it was not changed.",
                path);
        }

        return new RunManifestDocument(path, text, root);
    }

    public string? RunId => Root.GetPathText("run_id") is { Length: > 0 } v ? v : null;

    public string? IterationId => Root.GetPathText("iteration_id") is { Length: > 0 } v ? v : null;

    /// <summary>The status text as written (may be absent or non-canonical).</summary>
    public string? RawStatus => Root.GetString("status");

    public string? RawSyncStatus => Root.GetObject("artifact_sync_to_local")?.GetString("status");

    public bool IsSlurmRun => ManifestRules.IsSlurmRun(Root);

    /// <summary>The job id to poll: job_id, slurm.job_id, resource_request.job_id, resource_request.slurm.job_id.</summary>
    public string? PollJobId => ManifestRules.PollJobId(Root);

    /// <summary>The job id autolab writes in the ledger: slurm.job_id, resource_request.slurm.job_id, resource_request.job_id, job_id.</summary>
    public string? LedgerJobId => ManifestRules.LedgerJobId(Root);

    /// <summary>slurm.cluster, else resource_request.slurm.cluster, else the cluster in a "id;cluster" job id.</summary>
    public string? Cluster
    {
        get
        {
            var cluster = Root.GetPathText("slurm", "cluster");
            if (string.IsNullOrEmpty(cluster))
            {
                cluster = Root.GetPathText("resource_request", "slurm", "cluster");
            }

            if (string.IsNullOrEmpty(cluster) && PollJobId is { } id && id.IndexOf(';', StringComparison.Ordinal) is var i and > 0)
            {
                cluster = id[(i + 1)..].Trim();
            }

            return string.IsNullOrEmpty(cluster) ? null : cluster;
        }
    }

    /// <summary>Submission time: timestamps.started_at, else started_at.</summary>
    public DateTimeOffset? SubmittedAt =>
        Timestamps.ParseUtc(Root.GetPathText("timestamps", "started_at")) ?? Timestamps.ParseUtc(Root.GetPathText("started_at"));

    private static string Describe(RawNode node) => node switch
    {
        RawArray => "array",
        RawScalar { Kind: RawScalarKind.String } => "string",
        RawScalar { Kind: RawScalarKind.Number } => "number",
        RawScalar { Kind: RawScalarKind.Null } => "null",
        _ => "boolean",
    };
}
