using System.Security.Cryptography;
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

    private byte[]? _contentHash;

    private RunManifestDocument(string path, string originalText, RawObject root)
    {
        Path = path;
        OriginalText = originalText;
        Root = root;
    }

    /// <summary>SHA-256 of the text as UTF-8 (the file's bytes, when it was read from one).</summary>
    private byte[] ContentHash => _contentHash ??= HashOf(OriginalText);

    public string Path { get; }

    public string OriginalText { get; }

    /// <summary>The tree as read: never changed (transitions work on a copy, and compare the copy with it).</summary>
    public RawObject Root { get; }

    public static RunManifestDocument Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var bytes = ReadBytes(full);
        var document = Parse(full, Decode(full, bytes));
        document._contentHash = SHA256.HashData(bytes);
        return document;
    }

    /// <summary>
    /// Whether the file still holds exactly this document's text, read in pieces (a large manifest is not
    /// read whole again to learn that nobody changed it). False when it differs or cannot be read.
    /// </summary>
    public bool FileStillMatches()
    {
        try
        {
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
            return SHA256.HashData(stream).AsSpan().SequenceEqual(ContentHash);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EncoderFallbackException)
        {
            return false;
        }
    }

    private static byte[] HashOf(string text)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[StrictUtf8.GetMaxByteCount(8192)];
        var encoder = StrictUtf8.GetEncoder();
        for (var at = 0; at < text.Length; at += 8192)
        {
            var chunk = text.AsSpan(at, Math.Min(8192, text.Length - at));
            var count = encoder.GetBytes(chunk, buffer, flush: at + chunk.Length >= text.Length);
            hash.AppendData(buffer, 0, count);
        }

        return hash.GetHashAndReset();
    }

    private static string Decode(string full, byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new AutolabException(
                ErrorIds.ManifestInvalidJson,
                AutolabErrorCategory.InvalidData,
                $"The run manifest '{full}' is not UTF-8 text ({ErrorText.Clause(ex.Message)}). Restore it from version control or rewrite it as UTF-8 JSON.",
                full,
                ex);
        }
    }

    private static byte[] ReadBytes(string full)
    {
        if (Directory.Exists(full))
        {
            // Reading a folder fails with "Access to the path is denied", which sends the user after permissions.
            var inside = System.IO.Path.Combine(full, FileName);
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.ObjectNotFound,
                File.Exists(inside)
                    ? $"'{full}' is a folder, not a run manifest. Give the manifest file in it: '{inside}'."
                    : $"'{full}' is a folder, not a run manifest. Give a run's manifest file, experiments/<type>/<iteration_id>/runs/<run_id>/run_manifest.json; Get-ChildItem '{full}' -Recurse -Filter run_manifest.json lists those below it.",
                full);
        }

        try
        {
            return File.ReadAllBytes(full);
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
        catch (UnauthorizedAccessException ex)
        {
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.PermissionDenied,
                $"The run manifest '{full}' cannot be read: {ErrorText.Clause(ex.Message)}. Check its permissions.",
                full,
                ex);
        }
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
                $"The run manifest '{path}' is not valid JSON: {ErrorText.Clause(ex.Message)}. Fix the file (or restore it from version control); it was not changed.",
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
