using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Models;
using Autolab.Slurm.Repository;

namespace Autolab.Slurm.Artifacts;

/// <summary>What to bring home, into which run directory, under which policy.</summary>
public sealed record SyncRequest
{
    public required string ManifestPath { get; init; }

    /// <summary>The destination: always the manifest's run directory.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Results are relative to this folder (the repository root), with '/'.</summary>
    public required string PathBase { get; init; }

    public string? RunId { get; init; }

    /// <summary>Repo-relative allow patterns (artifact_pull.allow_patterns, placeholders filled); empty allows the whole run directory.</summary>
    public IReadOnlyList<GlobPattern> AllowPatterns { get; init; } = Array.Empty<GlobPattern>();

    /// <summary>Repo-relative deny patterns (data_policy.deny_patterns).</summary>
    public IReadOnlyList<GlobPattern> DenyPatterns { get; init; } = Array.Empty<GlobPattern>();

    /// <summary>Run-relative patterns from -Include (empty: everything).</summary>
    public IReadOnlyList<GlobPattern> Include { get; init; } = Array.Empty<GlobPattern>();

    /// <summary>Run-relative patterns from -Exclude.</summary>
    public IReadOnlyList<GlobPattern> Exclude { get; init; } = Array.Empty<GlobPattern>();

    /// <summary>Files larger than this are refused; null for no cap.</summary>
    public long? MaxFileBytes { get; init; }

    public int ThrottleLimit { get; init; } = 4;

    /// <summary>When the run is terminal, leftover partial downloads are removed instead of kept for a resume.</summary>
    public bool RunIsTerminal { get; init; }
}

/// <summary>The listing with the policy applied: the files to consider, those refused, and those that look changed.</summary>
public sealed record PullPlan(
    SyncRequest Request,
    IArtifactSource Source,
    IReadOnlyList<SourceEntry> Files,
    IReadOnlyList<SkippedPath> Skipped,
    IReadOnlyList<SourceEntry> Changed,
    TimeSpan ListingTime)
{
    public long ChangedBytes => Changed.Sum(c => c.Size);
}

/// <summary>Live counters of a sync, updated by the transfer workers and read by the cmdlet's thread for Write-Progress.</summary>
public sealed class SyncProgress
{
    private long _bytesDone;
    private long _bytesResumed;
    private long _bytesLanded;
    private int _filesDone;

    public long BytesTotal { get; internal set; }

    public int FilesTotal { get; internal set; }

    /// <summary>Bytes in place so far, resumed partial downloads included.</summary>
    public long BytesDone => Interlocked.Read(ref _bytesDone) + Interlocked.Read(ref _bytesResumed);

    /// <summary>Bytes that crossed the wire in this call (a resumed file counts only its rest), counted from what landed on disk.</summary>
    public long BytesTransferred => Interlocked.Read(ref _bytesLanded);

    public int FilesDone => Volatile.Read(ref _filesDone);

    public string? CurrentFile { get; internal set; }

    public string Phase { get; internal set; } = "listing";

    internal void AddBytes(long count) => Interlocked.Add(ref _bytesDone, count);

    internal void AddResumedBytes(long count) => Interlocked.Add(ref _bytesResumed, count);

    internal void AddLandedBytes(long count) => Interlocked.Add(ref _bytesLanded, count);

    internal void FileDone() => Interlocked.Increment(ref _filesDone);
}

/// <summary>
/// Brings a run's artifacts home. Every file goes to a temporary name beside its destination and is
/// renamed only when complete and verified (size, and SHA256SUMS when the job wrote one, else the source's size
/// and modification time asked again after the transfer, so a file rewritten meanwhile is never placed); a partial
/// download is kept under its temporary name and resumed from its length next time; unchanged files
/// are skipped; nothing outside the run directory is ever written, and the local run_manifest.json and
/// logs/slurm_monitor.log are never replaced from the remote side.
/// </summary>
public sealed class ArtifactSyncEngine
{
    public const string PartSuffix = ".autolab-part";
    private static readonly string[] ProtectedFiles = { "run_manifest.json", "logs/slurm_monitor.log" };

    /// <summary>A result for a sync that could not run at all: Status failed, one failure with an empty path.</summary>
    public static ArtifactSyncResult CouldNotRun(SyncRequest request, string? source, string reason, TimeSpan duration) => new()
    {
        ManifestPath = request.ManifestPath,
        RunId = request.RunId,
        Source = source,
        Destination = Relative(request, request.RunDirectory),
        Failures = new[] { new SyncFailure(string.Empty, reason) },
        Duration = duration,
    };

    /// <summary>Pull from <paramref name="source"/> into the run directory.</summary>
    public ArtifactSyncResult Pull(SyncRequest request, IArtifactSource source, SyncProgress progress, CancellationToken cancellationToken) =>
        Execute(Prepare(request, source, cancellationToken), progress, cancellationToken);

    /// <summary>Lists the source and applies the policy: what -WhatIf reports, and what <see cref="Execute"/> works from.</summary>
    public PullPlan Prepare(SyncRequest request, IArtifactSource source, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var entries = source.List(cancellationToken);
        var skipped = new List<SkippedPath>();
        var planned = Plan(request, source, entries, skipped, cancellationToken);
        var changed = planned.Where(e => !IsUnchanged(request, e, null)).ToList();
        return new PullPlan(request, source, planned, skipped, changed, watch.Elapsed);
    }

    /// <summary>Transfers and verifies what <see cref="Prepare"/> found.</summary>
    public ArtifactSyncResult Execute(PullPlan plan, SyncProgress progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var request = plan.Request;
        var source = plan.Source;
        var skipped = plan.Skipped.ToList();
        var context = new TransferContext(request, progress, PartialsIn(request.RunDirectory));
        var planned = plan.Files;

        // SHA256SUMS first: its hashes decide what is unchanged and verify what arrives.
        var sumsEntry = planned.FirstOrDefault(e => e.RelativePath == Sha256Sums.FileName);
        var candidates = new List<SourceEntry>();
        progress.Phase = "transferring";
        if (sumsEntry is not null)
        {
            if (IsUnchanged(request, sumsEntry, null))
            {
                skipped.Add(new SkippedPath(Relative(request, sumsEntry.RelativePath, run: true), "unchanged"));
            }
            else
            {
                TransferAsync(context, source, sumsEntry, cancellationToken).GetAwaiter().GetResult();
            }

            candidates.Add(sumsEntry);
        }

        context.Sums = ReadSums(request, context.Failures);
        var transfers = new List<SourceEntry>();
        foreach (var entry in planned.Where(e => e != sumsEntry))
        {
            candidates.Add(entry);
            if (IsUnchanged(request, entry, context.Sums, context.HashVerified))
            {
                skipped.Add(new SkippedPath(Relative(request, entry.RelativePath, run: true), "unchanged"));
            }
            else
            {
                transfers.Add(entry);
            }
        }

        progress.FilesTotal = transfers.Count;
        progress.BytesTotal = transfers.Sum(t => t.Size);

        // Many small files go in one stream when the source can (a tar over SSH costs one round trip for
        // all of them, where SFTP costs several per file); the rest, and anything the stream did not
        // deliver, go file by file in parallel.
        var bulk = source is IBulkArtifactSource bulkSource
            ? transfers.Where(t => t.Size <= BulkFileLimit && !context.HasPartial(t.RelativePath)).ToList()
            : new List<SourceEntry>();
        if (bulk.Count >= BulkMinimumFiles)
        {
            var delivered = ((IBulkArtifactSource)source).CopyManyAsync(bulk, (entry, content, token) => ReceiveAsync(context, entry, content, token), cancellationToken)
                .GetAwaiter().GetResult();
            ConfirmDelivered(context, source, cancellationToken);
            transfers = transfers.Where(t => !delivered.Contains(t.RelativePath)).ToList();
        }

        // Partials that are already whole (a stream cut before the source could confirm them) are confirmed in one
        // batch too, instead of one round trip each.
        var whole = transfers.Where(t => t.Size > 0 && context.HasWholePartial(t)).ToHashSet();
        if (whole.Count > 0)
        {
            foreach (var entry in whole)
            {
                AdoptWholePartial(context, entry);
            }

            ConfirmDelivered(context, source, cancellationToken);
            transfers = transfers.Where(t => !whole.Contains(t)).ToList();
        }

        var limit = Math.Max(1, Math.Min(request.ThrottleLimit, source.MaxConcurrency));
        Parallel.ForEachAsync(
            transfers,
            new ParallelOptions { MaxDegreeOfParallelism = limit, CancellationToken = cancellationToken },
            async (entry, token) => await TransferAsync(context, source, entry, token).ConfigureAwait(false)).GetAwaiter().GetResult();

        progress.Phase = "verifying";
        var verified = Verify(request, candidates, context.Sums, context.Failures, context.HashVerified, skipped, cancellationToken);
        // A terminal run's leftover partial downloads (the same set VerifyInPlace removes).
        foreach (var part in LeftoverPartials(request))
        {
            File.Delete(part);
        }

        return new ArtifactSyncResult
        {
            ManifestPath = request.ManifestPath,
            RunId = request.RunId,
            Source = source.Display,
            Destination = Relative(request, request.RunDirectory),
            PulledPaths = context.Pulled.Select(p => Relative(request, p, run: true)).Order(StringComparer.Ordinal).ToArray(),
            VerifiedPaths = verified,
            SkippedPaths = skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToArray(),
            Failures = context.Failures.OrderBy(f => f.Path, StringComparer.Ordinal).ToArray(),
            FileCount = context.Pulled.Count,
            ByteCount = progress.BytesTransferred,
            Duration = plan.ListingTime + watch.Elapsed,
        };
    }

    /// <summary>Files up to this size may travel in a bulk stream.</summary>
    public const long BulkFileLimit = 4L * 1024 * 1024;

    /// <summary>Below this many files, per-file transfers are as quick as starting a stream.</summary>
    public const int BulkMinimumFiles = 8;

    /// <summary>The state one Execute shares between its workers.</summary>
    private sealed class TransferContext
    {
        private readonly Dictionary<string, List<string>> _partials;

        public TransferContext(SyncRequest request, SyncProgress progress, Dictionary<string, List<string>> partials)
        {
            Request = request;
            Progress = progress;
            _partials = partials;
        }

        public SyncRequest Request { get; }

        public SyncProgress Progress { get; }

        public IReadOnlyDictionary<string, string>? Sums { get; set; }

        public ConcurrentBag<SyncFailure> Failures { get; } = new();

        public ConcurrentBag<string> Pulled { get; } = new();

        /// <summary>Files the bulk stream delivered that wait for the source's confirmation before they are placed.</summary>
        public ConcurrentBag<Delivered> Unconfirmed { get; } = new();

        /// <summary>Files whose SHA256SUMS hash was checked in this call (so Verify need not read them again).</summary>
        public ConcurrentDictionary<string, byte> HashVerified { get; } = new(StringComparer.Ordinal);

        public bool HasPartial(string runRelative) => _partials.ContainsKey(runRelative);

        private readonly ConcurrentDictionary<string, byte> _madeDirectories = new(StringComparer.Ordinal);

        /// <summary>Whether the partial download of this version of the file holds all of it already.</summary>
        public bool HasWholePartial(SourceEntry entry)
        {
            if (!_partials.TryGetValue(entry.RelativePath, out var existing))
            {
                return false;
            }

            var part = PartPath(LocalPath(Request, entry.RelativePath), entry);
            return existing.Contains(part) && new FileInfo(part) is { Exists: true } info && info.Length == entry.Size;
        }

        private static string PartPath(string local, SourceEntry entry)
        {
            var stamp = string.Create(CultureInfo.InvariantCulture, $"{entry.Size}.{entry.LastWriteTime.ToUnixTimeSeconds()}");
            return Path.Combine(Path.GetDirectoryName(local)!, "." + Path.GetFileName(local) + "." + stamp + PartSuffix);
        }

        /// <summary>Creates the file's folder once per call, and clears partials of other versions of the file.</summary>
        public (string Local, string Part, long Offset) Target(SourceEntry entry)
        {
            var local = LocalPath(Request, entry.RelativePath);
            var directory = Path.GetDirectoryName(local)!;
            // A folder is remembered only after CreateDirectory returned, so a worker that finds it in the
            // set knows it exists; two workers may both create it, which is harmless.
            if (!_madeDirectories.ContainsKey(directory))
            {
                GroupShare.CreateDirectory(directory);
                _madeDirectories.TryAdd(directory, 0);
            }

            var part = PartPath(local, entry);
            long offset = 0;
            if (_partials.TryGetValue(entry.RelativePath, out var existing))
            {
                foreach (var stale in existing.Where(e => !string.Equals(e, part, StringComparison.Ordinal)))
                {
                    File.Delete(stale);
                }

                if (existing.Contains(part))
                {
                    offset = new FileInfo(part).Length;
                    if (offset > entry.Size)
                    {
                        File.Delete(part);
                        offset = 0;
                    }
                }
            }

            return (local, part, offset);
        }
    }

    /// <summary>One file through the source's own transport: into its partial (resumed from its length), checked, renamed.</summary>
    private static async Task TransferAsync(TransferContext context, IArtifactSource source, SourceEntry entry, CancellationToken cancellationToken)
    {
        var shown = Relative(context.Request, entry.RelativePath, run: true);
        string? part = null;
        try
        {
            var (local, partPath, offset) = context.Target(entry);
            part = partPath;
            context.Progress.CurrentFile = shown;
            context.Progress.AddResumedBytes(offset);
            try
            {
                await using var stream = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                stream.SetLength(offset);
                stream.Seek(offset, SeekOrigin.Begin);
                if (offset < entry.Size)
                {
                    await source.CopyToAsync(entry.RelativePath, offset, stream, context.Progress.AddBytes, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                // What crossed the wire is what the partial grew by, whatever the progress reports said.
                context.Progress.AddLandedBytes(Math.Max(0, LengthOf(part) - offset));

                // An empty partial of a non-empty file holds nothing to resume. An empty file's partial is
                // the whole file: it stays for the rename.
                if (entry.Size > 0 && offset == 0 && LengthOf(part) == 0)
                {
                    File.Delete(part);
                }
            }

            if (Check(context, entry, shown, part))
            {
                var now = NeedsConfirmation(context, entry)
                    ? (await source.StatAsync(new[] { entry.RelativePath }, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(entry.RelativePath)
                    : entry;
                Place(context, entry, shown, local, part, now);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not StackOverflowException)
        {
            // Transport errors (a torn connection, a vanished remote file) are per-file failures a retry may fix.
            context.Failures.Add(new SyncFailure(shown, FailureReason(ex, part)));
        }
        finally
        {
            context.Progress.FileDone();
        }
    }

    /// <summary>
    /// Takes a partial download that holds the whole file (<see cref="TransferContext.HasWholePartial"/>): checked,
    /// then queued for the source's confirmation (or placed, when SHA256SUMS vouches for it).
    /// </summary>
    private static void AdoptWholePartial(TransferContext context, SourceEntry entry)
    {
        var shown = Relative(context.Request, entry.RelativePath, run: true);
        string? part = null;
        try
        {
            var (local, partPath, offset) = context.Target(entry);
            part = partPath;
            context.Progress.AddResumedBytes(offset);
            context.Progress.FileDone();
            if (Check(context, entry, shown, part, offset))
            {
                if (NeedsConfirmation(context, entry))
                {
                    context.Unconfirmed.Add(new Delivered(entry, shown, local, part));
                }
                else
                {
                    Place(context, entry, shown, local, part, entry);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Failures.Add(new SyncFailure(shown, FailureReason(ex, part)));
        }
    }

    /// <summary>One file delivered by a bulk stream: written to its partial, checked, renamed.</summary>
    private static async Task ReceiveAsync(TransferContext context, SourceEntry entry, Stream content, CancellationToken cancellationToken)
    {
        var shown = Relative(context.Request, entry.RelativePath, run: true);
        var (local, part, _) = context.Target(entry);
        context.Progress.CurrentFile = shown;
        try
        {
            // Many small files arrive one after another on one stream, so each costs as few system calls
            // as it can: unbuffered writes on a handle, the length counted rather than asked for, the
            // mtime set on the open handle, and no thread-pool hop for an asynchronous dispose.
            long length = 0;
            using (var handle = CreatePartial(part))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    int read;
                    while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        RandomAccess.Write(handle, buffer.AsSpan(0, read), length);
                        length += read;
                        context.Progress.AddBytes(read);
                        context.Progress.AddLandedBytes(read);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                if (length == entry.Size)
                {
                    File.SetLastWriteTimeUtc(handle, entry.LastWriteTime.UtcDateTime);
                }
            }

            if (Check(context, entry, shown, part, length, mtimeSet: true))
            {
                if (NeedsConfirmation(context, entry))
                {
                    context.Unconfirmed.Add(new Delivered(entry, shown, local, part));
                }
                else
                {
                    Place(context, entry, shown, local, part, entry);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not StackOverflowException)
        {
            // A stream torn mid-file leaves the partial for a resume; the stream itself reports the rest.
            context.Failures.Add(new SyncFailure(shown, FailureReason(ex, part)));
        }
        finally
        {
            context.Progress.FileDone();
        }
    }

    /// <summary>
    /// Why a file's transfer failed, and what became of its partial download. A partial that the disk could not
    /// hold is removed: kept, it would hold the space and make every later write on that filesystem fail too
    /// (the other artifacts, the manifest, the ledger), and resuming it would only fill the disk again.
    /// </summary>
    private static string FailureReason(Exception ex, string? part)
    {
        if (DiskFullCause(ex) is { } cause)
        {
            var removed = part is not null && AtomicFile.TryDelete(part);

            var where = part is null ? "the run directory" : $"'{part}'";
            return $"{cause} while writing {where}; " + (removed || part is null || !File.Exists(part)
                ? "the partial download was removed. Free space on the run directory's filesystem, then sync again"
                : "the partial download could not be removed: delete it, free space, then sync again");
        }

        return "transfer failed: " + ErrorText.OneLine(ex.Message) + (part is not null && File.Exists(part) ? "; the partial download is kept and resumed next time" : string.Empty);
    }

    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    /// <summary>"no space left on device" or "disk quota exceeded" when a write failed for lack of space (Linux errno in HResult), else null.</summary>
    private static string? DiskFullCause(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException { HResult: ENOSPC })
            {
                return "no space left on device";
            }

            if (ex is IOException { HResult: EDQUOT })
            {
                return "disk quota exceeded (no space left on device for this user)";
            }

            if (ex is AggregateException aggregate && aggregate.InnerExceptions.Select(DiskFullCause).FirstOrDefault(c => c is not null) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    /// <summary>
    /// A new, empty partial file. CreateNew, not Create: .NET truncates a Create'd file with ftruncate, and
    /// on ext4 a truncate to zero makes close() start writing the file back at once (the auto_da_alloc
    /// heuristic), which made a sync of thousands of small files several times slower.
    /// </summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle CreatePartial(string part)
    {
        try
        {
            return File.OpenHandle(part, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
        catch (IOException) when (File.Exists(part))
        {
            // Left by a sync that stopped between listing and writing: this call owns the name now.
            File.Delete(part);
            return File.OpenHandle(part, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
    }

    private static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Size check, modification time and SHA256SUMS check of a finished download; false (with a failure) when it cannot be placed.</summary>
    private static bool Check(TransferContext context, SourceEntry entry, string shown, string part, long? knownLength = null, bool mtimeSet = false)
    {
        var length = knownLength ?? LengthOf(part);
        if (length != entry.Size)
        {
            var kept = File.Exists(part) ? "; the partial download is kept and resumed next time" : string.Empty;
            context.Failures.Add(new SyncFailure(shown, string.Create(CultureInfo.InvariantCulture, $"transfer cut off at {length} of {entry.Size} bytes{kept}")));
            return false;
        }

        if (!mtimeSet)
        {
            File.SetLastWriteTimeUtc(part, entry.LastWriteTime.UtcDateTime);
        }

        if (context.Sums is not null && context.Sums.TryGetValue(entry.RelativePath, out var expected))
        {
            var actual = Sha256Sums.HashFile(part);
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                File.Delete(part);
                context.Failures.Add(new SyncFailure(shown, $"SHA256SUMS mismatch: expected {expected}, received {actual}; the download was discarded"));
                return false;
            }

            context.HashVerified.TryAdd(entry.RelativePath, 0);
        }

        return true;
    }

    /// <summary>
    /// Whether the download must be confirmed against the source before it is placed: a file rewritten while it
    /// was read has the listed size but torn bytes. A SHA256SUMS hash that matched already proves the bytes are
    /// the version the job recorded; anything else is confirmed by the file's size and time on the source.
    /// </summary>
    private static bool NeedsConfirmation(TransferContext context, SourceEntry entry) =>
        !context.HashVerified.ContainsKey(entry.RelativePath);

    /// <summary>
    /// The rename that makes the file appear, when the source still shows the file as listed (<paramref name="now"/>,
    /// null when it is gone); otherwise the download is discarded and the file is a failure a retry may fix.
    /// </summary>
    private static void Place(TransferContext context, SourceEntry entry, string shown, string local, string part, SourceEntry? now)
    {
        if (now is null || now.Size != entry.Size || now.LastWriteTime != entry.LastWriteTime)
        {
            File.Delete(part);
            var state = now is null
                ? "it is gone or no longer a regular file"
                : string.Create(CultureInfo.InvariantCulture, $"now {now.Size} bytes, modified {now.LastWriteTime.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
            context.Failures.Add(new SyncFailure(shown, string.Create(
                CultureInfo.InvariantCulture,
                $"changed on the source during the transfer (listed {entry.Size} bytes, modified {entry.LastWriteTime.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}; {state}): the bytes read may mix two versions, so the download was discarded; the next sync fetches the file again")));
            return;
        }

        File.Move(part, local, overwrite: true);
        context.Pulled.Add(entry.RelativePath);
    }

    /// <summary>A bulk-delivered file waiting, under its partial name, for the source to confirm it.</summary>
    private sealed record Delivered(SourceEntry Entry, string Shown, string Local, string Part);

    /// <summary>Confirms the bulk stream's files against the source in one batch, then places or discards each.</summary>
    private static void ConfirmDelivered(TransferContext context, IArtifactSource source, CancellationToken cancellationToken)
    {
        var pending = new List<Delivered>();
        while (context.Unconfirmed.TryTake(out var file))
        {
            pending.Add(file);
        }

        if (pending.Count == 0)
        {
            return;
        }

        IReadOnlyDictionary<string, SourceEntry> now;
        try
        {
            now = source.StatAsync(pending.Select(p => p.Entry.RelativePath).ToArray(), cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // The files arrived whole; only the check is missing. They wait under their partial names, and the next
            // sync (which finds them complete) asks the source again before placing them.
            foreach (var file in pending)
            {
                context.Failures.Add(new SyncFailure(file.Shown, "transfer failed: the source could not be asked whether the file changed during the transfer (" + ErrorText.OneLine(ex.Message) + "); the partial download is kept and checked next time"));
            }

            return;
        }

        // Thousands of renames: a few at a time, as the stream's writers created them.
        Parallel.ForEach(
            pending,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            file =>
            {
                try
                {
                    Place(context, file.Entry, file.Shown, file.Local, file.Part, now.GetValueOrDefault(file.Entry.RelativePath));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    context.Failures.Add(new SyncFailure(file.Shown, FailureReason(ex, file.Part)));
                }
            });
    }

    /// <summary>Every partial download under the run directory, by the run-relative path of the file it is for.</summary>
    private static Dictionary<string, List<string>> PartialsIn(string runDirectory)
    {
        var partials = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!Directory.Exists(runDirectory))
        {
            return partials;
        }

        foreach (var part in Directory.EnumerateFiles(runDirectory, "*" + PartSuffix, SearchOption.AllDirectories))
        {
            // .<name>.<size>.<mtime>.autolab-part -> <name>
            var name = Path.GetFileName(part);
            var trimmed = name[1..^PartSuffix.Length];
            var cut = trimmed.LastIndexOf('.');
            cut = cut > 0 ? trimmed.LastIndexOf('.', cut - 1) : -1;
            if (cut <= 0)
            {
                continue;
            }

            var relative = Path.GetRelativePath(runDirectory, Path.Combine(Path.GetDirectoryName(part)!, trimmed[..cut])).Replace(Path.DirectorySeparatorChar, '/');
            if (!partials.TryGetValue(relative, out var list))
            {
                partials[relative] = list = new List<string>();
            }

            list.Add(part);
        }

        return partials;
    }

    /// <summary>
    /// The leftover partial downloads a verification in place would remove (full paths): those under the run
    /// directory when the run is terminal, else none. The cmdlet asks ShouldProcess for them.
    /// </summary>
    public static IReadOnlyList<string> LeftoverPartials(SyncRequest request) =>
        request.RunIsTerminal && Directory.Exists(request.RunDirectory)
            ? Directory.EnumerateFiles(request.RunDirectory, "*" + PartSuffix, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    /// <summary>The shared-filesystem check, removing the leftover partials a terminal run has.</summary>
    public ArtifactSyncResult VerifyInPlace(SyncRequest request, CancellationToken cancellationToken) =>
        VerifyInPlace(request, LeftoverPartials(request), cancellationToken);

    /// <summary>
    /// The shared-filesystem check: the job wrote into the run directory itself. Nothing is copied; the
    /// directory must exist, and every file a SHA256SUMS lists must match it. Only the partial downloads in
    /// <paramref name="removePartials"/> (from <see cref="LeftoverPartials"/>) are removed: nothing else is written.
    /// </summary>
    public ArtifactSyncResult VerifyInPlace(SyncRequest request, IReadOnlyCollection<string> removePartials, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var source = new LocalDirectorySource(request.RunDirectory);
        var failures = new ConcurrentBag<SyncFailure>();
        var skipped = new List<SkippedPath>();
        var entries = source.List(cancellationToken);
        var planned = Plan(request, source, entries, skipped, cancellationToken, inPlace: true);
        var sums = ReadSums(request, failures);
        var verified = Verify(request, planned, sums, failures, null, skipped, cancellationToken);
        foreach (var part in removePartials)
        {
            if (part.EndsWith(PartSuffix, StringComparison.Ordinal) && RepositoryLocator.IsInside(Path.GetFullPath(request.RunDirectory), Path.GetFullPath(part)))
            {
                File.Delete(part);
            }
        }

        return new ArtifactSyncResult
        {
            ManifestPath = request.ManifestPath,
            RunId = request.RunId,
            Source = Relative(request, request.RunDirectory),
            Destination = Relative(request, request.RunDirectory),
            VerifiedPaths = verified,
            SkippedPaths = skipped.OrderBy(s => s.Path, StringComparer.Ordinal).ToArray(),
            Failures = failures.OrderBy(f => f.Path, StringComparer.Ordinal).ToArray(),
            Duration = watch.Elapsed,
        };
    }

    /// <summary>Applies the policy to the listing; returns the regular files to consider, in listing order.</summary>
    private static List<SourceEntry> Plan(SyncRequest request, IArtifactSource source, IReadOnlyList<SourceEntry> entries, List<SkippedPath> skipped, CancellationToken cancellationToken, bool inPlace = false)
    {
        var planned = new List<SourceEntry>();
        foreach (var listed in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = listed;
            if (entry.Kind == SourceEntryKind.Directory || IsOurTemporary(entry.RelativePath))
            {
                continue;
            }

            if (!IsSafeRelative(entry.RelativePath))
            {
                skipped.Add(new SkippedPath(entry.RelativePath, $"{ErrorIds.PathEscapesDestination}: the name leads outside the run directory"));
                continue;
            }

            var runRelative = entry.RelativePath;
            var shown = Relative(request, runRelative, run: true);
            if (ProtectedFiles.Contains(runRelative, StringComparer.Ordinal))
            {
                if (!inPlace)
                {
                    skipped.Add(new SkippedPath(shown, "protected: the local copy is never replaced from the remote side"));
                }

                continue;
            }

            if (request.AllowPatterns.Count > 0 && !request.AllowPatterns.Any(p => p.IsMatch(shown)))
            {
                skipped.Add(new SkippedPath(shown, "not matched by artifact_pull.allow_patterns"));
                continue;
            }

            if (request.DenyPatterns.FirstOrDefault(p => p.IsMatch(shown)) is { } deny)
            {
                skipped.Add(new SkippedPath(shown, $"matches deny pattern '{deny.Pattern}'"));
                continue;
            }

            if (request.Include.Count > 0 && !request.Include.Any(p => p.IsMatch(runRelative)))
            {
                skipped.Add(new SkippedPath(shown, "not matched by -Include"));
                continue;
            }

            if (request.Exclude.FirstOrDefault(p => p.IsMatch(runRelative)) is { } exclude)
            {
                skipped.Add(new SkippedPath(shown, $"matches -Exclude '{exclude.Pattern}'"));
                continue;
            }

            if (entry.Kind == SourceEntryKind.Symlink)
            {
                var resolution = source.Resolve(entry, cancellationToken);
                if (resolution.Target is null)
                {
                    skipped.Add(new SkippedPath(shown, resolution.Escapes ? $"{ErrorIds.PathEscapesDestination}: {resolution.Reason}" : resolution.Reason ?? "symlink refused"));
                    continue;
                }

                if (inPlace)
                {
                    // On a shared filesystem a symlink inside the run directory is verified as the file it names.
                    planned.Add(entry with { Kind = SourceEntryKind.File, Size = resolution.Target.Size, LastWriteTime = resolution.Target.LastWriteTime });
                    continue;
                }

                entry = resolution.Target;
            }

            if (entry.Kind == SourceEntryKind.Other)
            {
                skipped.Add(new SkippedPath(shown, $"not a regular file ({entry.KindName})"));
                continue;
            }

            if (request.MaxFileBytes is { } cap && entry.Size > cap)
            {
                skipped.Add(new SkippedPath(shown, string.Create(CultureInfo.InvariantCulture, $"file size {entry.Size / 1048576.0:F2}MB exceeds cap {cap / 1048576.0:F2}MB")));
                continue;
            }

            if (!inPlace && LocalEscape(request.RunDirectory, runRelative) is { } escape)
            {
                skipped.Add(new SkippedPath(shown, $"{ErrorIds.PathEscapesDestination}: {escape}"));
                continue;
            }

            planned.Add(entry);
        }

        return planned;
    }

    private static bool IsUnchanged(SyncRequest request, SourceEntry entry, IReadOnlyDictionary<string, string>? sums, ConcurrentDictionary<string, byte>? hashVerified = null)
    {
        var local = new FileInfo(LocalPath(request, entry.RelativePath));
        if (!local.Exists || local.LinkTarget is not null || local.Length != entry.Size)
        {
            return false;
        }

        if (SameSecond(local.LastWriteTimeUtc, entry.LastWriteTime))
        {
            return true;
        }

        if (sums is not null && sums.TryGetValue(entry.RelativePath, out var expected)
            && string.Equals(Sha256Sums.HashFile(local.FullName), expected, StringComparison.Ordinal))
        {
            hashVerified?.TryAdd(entry.RelativePath, 0);
            return true;
        }

        return false;
    }

    private static bool SameSecond(DateTime local, DateTimeOffset remote) =>
        Math.Abs((new DateTimeOffset(local, TimeSpan.Zero) - remote).TotalSeconds) < 1;

    /// <summary>Every candidate file present locally with the listed size and, when SHA256SUMS names it, the listed hash.</summary>
    private static IReadOnlyList<string> Verify(
        SyncRequest request,
        IReadOnlyList<SourceEntry> candidates,
        IReadOnlyDictionary<string, string>? sums,
        ConcurrentBag<SyncFailure> failures,
        ConcurrentDictionary<string, byte>? hashVerified,
        IReadOnlyCollection<SkippedPath> refused,
        CancellationToken cancellationToken)
    {
        var refusedPaths = refused.Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        var failed = failures.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var verified = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            seen.Add(entry.RelativePath);
            var shown = Relative(request, entry.RelativePath, run: true);
            if (failed.Contains(shown))
            {
                continue;
            }

            var local = new FileInfo(LocalPath(request, entry.RelativePath));
            if (!local.Exists || local.Length != entry.Size)
            {
                failures.Add(new SyncFailure(shown, local.Exists ? "local size differs from the source" : "missing after the sync"));
                continue;
            }

            if (sums is not null && sums.TryGetValue(entry.RelativePath, out var expected) && hashVerified?.ContainsKey(entry.RelativePath) != true)
            {
                var actual = Sha256Sums.HashFile(local.FullName);
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                {
                    failures.Add(new SyncFailure(shown, $"SHA256SUMS mismatch: expected {expected}, found {actual}"));
                    continue;
                }
            }

            verified.Add(shown);
        }

        if (sums is not null)
        {
            // A file the policy refused is skipped, not missing: it must not fail every attempt.
            foreach (var listed in sums.Keys.Where(k => !seen.Contains(k) && !refusedPaths.Contains(Relative(request, k, run: true))))
            {
                if (!File.Exists(LocalPath(request, listed)))
                {
                    failures.Add(new SyncFailure(Relative(request, listed, run: true), "listed in SHA256SUMS but not present"));
                }
            }
        }

        verified.Sort(StringComparer.Ordinal);
        return verified;
    }

    private static IReadOnlyDictionary<string, string>? ReadSums(SyncRequest request, ConcurrentBag<SyncFailure> failures)
    {
        var path = LocalPath(request, Sha256Sums.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var problems = new List<string>();
        var sums = Sha256Sums.Parse(File.ReadAllText(path), problems);
        foreach (var problem in problems)
        {
            failures.Add(new SyncFailure(Relative(request, Sha256Sums.FileName, run: true), problem));
        }

        return sums;
    }

    private static bool IsOurTemporary(string relativePath)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        return name.StartsWith('.') && (name.EndsWith(PartSuffix, StringComparison.Ordinal) || IO.AtomicFile.IsTempFileName(name));
    }

    private static bool IsSafeRelative(string relativePath) =>
        relativePath.Length > 0
        && !relativePath.StartsWith('/')
        && !relativePath.Contains('\0', StringComparison.Ordinal)
        // A backslash is a folder separator to Windows tools and to a Windows checkout of the repository.
        && !relativePath.Contains('\\', StringComparison.Ordinal)
        && relativePath.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");

    /// <summary>Why writing <paramref name="runRelative"/> would leave the run directory (a local symlinked folder), or null.</summary>
    private static string? LocalEscape(string runDirectory, string runRelative)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory));
        var full = Path.GetFullPath(Path.Combine(root, runRelative));
        if (!RepositoryLocator.IsInside(root, full))
        {
            return "the name leads outside the run directory";
        }

        var current = root;
        var segments = runRelative.Split('/');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            current = Path.Combine(current, segments[i]);
            var info = new DirectoryInfo(current);
            if (info.Exists && info.LinkTarget is not null)
            {
                return $"the local folder '{segments[i]}' is a symlink (to {info.LinkTarget})";
            }

            if (File.Exists(current))
            {
                return $"the local path '{string.Join('/', segments.Take(i + 1))}' is a file, not a folder";
            }
        }

        return null;
    }

    private static string LocalPath(SyncRequest request, string runRelative) =>
        Path.Combine(request.RunDirectory, runRelative.Replace('/', Path.DirectorySeparatorChar));

    private static string Relative(SyncRequest request, string path, bool run = false)
    {
        var full = run ? LocalPath(request, path) : path;
        return Path.GetRelativePath(request.PathBase, full).Replace(Path.DirectorySeparatorChar, '/');
    }

}
