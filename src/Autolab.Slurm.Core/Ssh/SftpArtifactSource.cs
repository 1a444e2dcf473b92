using System.Buffers;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Channels;
using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Execution;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Autolab.Slurm.Ssh;

/// <summary>
/// A run directory on a login node over the pooled SSH session: listed over SFTP (directories in
/// parallel), big or resumed files read over SFTP, and many small files streamed in one tar over an
/// exec channel when the login node has GNU tar (falling back to SFTP when it does not).
/// </summary>
public sealed class SftpArtifactSource : IArtifactSource, IBulkArtifactSource
{
    private const int ListingConcurrency = 16;
    private readonly SshSession _session;
    private readonly string _root;
    private string? _canonicalRoot;

    private readonly string _host;

    /// <param name="host">The host as the user named it (an alias or an address), for Display; the pooled session may have been opened under another name for the same target.</param>
    public SftpArtifactSource(SshSession session, string remoteRoot, string? host = null)
    {
        _session = session;
        _host = host ?? session.Target.Alias;
        _root = remoteRoot.Length > 1 ? remoteRoot.TrimEnd('/') : remoteRoot;
    }

    public string Display => $"{_session.Target.UserName}@{_host}:{_root}";

    public int MaxConcurrency => 16;

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            try
            {
                var root = client.Get(_root);
                if (!root.IsDirectory)
                {
                    throw Missing($"'{_root}' on {_session.Target} is not a directory");
                }

                _canonicalRoot = root.FullName.TrimEnd('/');
            }
            catch (SftpPathNotFoundException ex)
            {
                throw Missing($"The remote run directory '{_root}' does not exist on {_session.Target}", ex);
            }

            return ListTreeAsync(client, cancellationToken).GetAwaiter().GetResult();
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    /// <summary>Lists directories breadth-first with up to 16 READDIRs in flight on one client.</summary>
    private async Task<IReadOnlyList<SourceEntry>> ListTreeAsync(SftpClient client, CancellationToken cancellationToken)
    {
        var entries = new ConcurrentBag<SourceEntry>();
        var level = new List<(string Remote, string Prefix)> { (_root, string.Empty) };
        while (level.Count > 0)
        {
            var next = new ConcurrentBag<(string Remote, string Prefix)>();
            await Parallel.ForEachAsync(
                level,
                new ParallelOptions { MaxDegreeOfParallelism = ListingConcurrency, CancellationToken = cancellationToken },
                async (directory, token) =>
                {
                    await foreach (var file in client.ListDirectoryAsync(directory.Remote, token).ConfigureAwait(false))
                    {
                        if (file.Name is "." or "..")
                        {
                            continue;
                        }

                        var relative = directory.Prefix + file.Name;
                        var entry = ToEntry(file, relative);
                        entries.Add(entry);
                        if (entry.Kind == SourceEntryKind.Directory)
                        {
                            next.Add((directory.Remote + "/" + file.Name, relative + "/"));
                        }
                    }
                }).ConfigureAwait(false);
            level = next.ToList();
        }

        return entries.OrderBy(e => e.RelativePath, StringComparer.Ordinal).ToList();
    }

    private static SourceEntry ToEntry(ISftpFile file, string relative)
    {
        // READDIR attributes are lstat's: a symlink shows as a link, never as its target.
        var modified = new DateTimeOffset(DateTime.SpecifyKind(file.LastWriteTimeUtc, DateTimeKind.Utc));
        if (file.IsSymbolicLink)
        {
            return new SourceEntry(relative, SourceEntryKind.Symlink, 0, modified);
        }

        if (file.IsDirectory)
        {
            return new SourceEntry(relative, SourceEntryKind.Directory, 0, modified);
        }

        return file.IsRegularFile
            ? new SourceEntry(relative, SourceEntryKind.File, file.Length, modified)
            : new SourceEntry(relative, SourceEntryKind.Other, 0, modified, KindName(file));
    }

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            // Get resolves the path on the server (SSH_FXP_REALPATH follows every link), then reads the
            // target's attributes: its FullName says where the link really leads.
            ISftpFile target;
            try
            {
                target = client.Get(_root + "/" + link.RelativePath);
            }
            catch (SftpPathNotFoundException)
            {
                return new SymlinkResolution(null, "dangling symlink");
            }

            var root = _canonicalRoot ?? _root;
            if (!target.FullName.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return new SymlinkResolution(null, $"symlink leads outside the run directory (to {target.FullName})", Escapes: true);
            }

            if (target.IsDirectory)
            {
                return new SymlinkResolution(null, "symlink to a directory (its target is synced as itself)");
            }

            if (!target.IsRegularFile)
            {
                return new SymlinkResolution(null, target.IsSymbolicLink ? "dangling symlink" : $"symlink to a {KindName(target)}, not a regular file");
            }

            return new SymlinkResolution(new SourceEntry(link.RelativePath, SourceEntryKind.File, target.Length, new DateTimeOffset(DateTime.SpecifyKind(target.LastWriteTimeUtc, DateTimeKind.Utc))), null);
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    public async Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            var path = _root + "/" + relativePath;
            if (offset == 0)
            {
                // DownloadFileAsync keeps many READs in flight from the start (a stream only ramps up to
                // that). Its progress reports arrive on pool threads, possibly out of order: only forward
                // growth, and never throw from them.
                long reported = 0;
                var report = new InlineProgress<DownloadFileProgressReport>(r =>
                {
                    var total = (long)r.TotalBytesDownloaded;
                    long previous;
                    do
                    {
                        previous = Interlocked.Read(ref reported);
                        if (total <= previous)
                        {
                            return;
                        }
                    }
                    while (Interlocked.CompareExchange(ref reported, total, previous) != previous);
                    progress(total - previous);
                });
                await client.DownloadFileAsync(path, destination, report, cancellationToken).ConfigureAwait(false);
                return;
            }

            await using var source = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            source.Seek(offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                progress(read);
            }
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    /// <summary>
    /// One READDIR per folder that holds several of the files (what the listing did, so a bulk stream's check
    /// costs no more than its listing), and a stat of each other file (following a symlink, as a download does).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken)
    {
        var found = new ConcurrentDictionary<string, SourceEntry>(StringComparer.Ordinal);
        var client = _session.RentSftp();
        try
        {
            var folders = relativePaths.Distinct(StringComparer.Ordinal).GroupBy(p => p.LastIndexOf('/') is var cut and >= 0 ? p[..cut] : string.Empty, StringComparer.Ordinal);
            await Parallel.ForEachAsync(
                folders,
                new ParallelOptions { MaxDegreeOfParallelism = ListingConcurrency, CancellationToken = cancellationToken },
                async (folder, token) =>
                {
                    var pending = folder.ToHashSet(StringComparer.Ordinal);
                    if (pending.Count >= StatByListing)
                    {
                        var prefix = folder.Key.Length == 0 ? string.Empty : folder.Key + "/";
                        await foreach (var file in client.ListDirectoryAsync(folder.Key.Length == 0 ? _root : _root + "/" + folder.Key, token).ConfigureAwait(false))
                        {
                            // READDIR gives lstat's view: a link among the files is asked for on its own below.
                            if (file.IsRegularFile && pending.Remove(prefix + file.Name))
                            {
                                found[prefix + file.Name] = ToEntry(file, prefix + file.Name);
                            }
                        }
                    }

                    foreach (var relative in pending)
                    {
                        try
                        {
                            // The path is made canonical on the server first (REALPATH follows links).
                            var attributes = await client.GetAttributesAsync(_root + "/" + relative, token).ConfigureAwait(false);
                            if (attributes.IsRegularFile)
                            {
                                found[relative] = new SourceEntry(relative, SourceEntryKind.File, attributes.Size, new DateTimeOffset(DateTime.SpecifyKind(attributes.LastWriteTimeUtc, DateTimeKind.Utc)));
                            }
                        }
                        catch (SftpPathNotFoundException)
                        {
                        }
                    }
                }).ConfigureAwait(false);
        }
        finally
        {
            _session.ReturnSftp(client);
        }

        return found;
    }

    /// <summary>From this many files in one folder on, one READDIR checks them all.</summary>
    private const int StatByListing = 4;

    /// <summary>
    /// Streams the files in one GNU tar over an exec channel: <c>tar -C root --null --no-recursion -T - -cf -</c>
    /// with the NUL-separated names on stdin (every token POSIX-quoted; the names never reach a command line).
    /// Only names that were asked for, with the listed size, are delivered; anything else is ignored.
    /// </summary>
    public async Task<IReadOnlySet<string>> CopyManyAsync(IReadOnlyList<SourceEntry> entries, Func<SourceEntry, Stream, CancellationToken, Task> receive, CancellationToken cancellationToken)
    {
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        var wanted = entries.ToDictionary(e => e.RelativePath, StringComparer.Ordinal);
        var command = new CommandSpec("tar", new[] { "-C", _root, "--null", "--no-recursion", "-T", "-", "-cf", "-" });
        SshClient client;
        try
        {
            client = _session.Commands;
        }
        catch (AutolabException)
        {
            return delivered;
        }

        try
        {
            using var exec = client.CreateCommand(PosixQuote.CommandLine(command));
            var running = exec.ExecuteAsync(cancellationToken);
            using (var stdin = exec.CreateInputStream())
            {
                var names = Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => e.RelativePath + "\0")));
                await stdin.WriteAsync(names, cancellationToken).ConfigureAwait(false);
            }

            // The stream is read on this thread; each whole file goes to one of a few writers, so creating
            // thousands of small files (where the time goes) overlaps instead of queueing behind the stream.
            var queue = Channel.CreateBounded<(SourceEntry Entry, byte[] Buffer, int Length)>(
                new BoundedChannelOptions(BulkQueueLength) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            var failure = new StrongBox<ExceptionDispatchInfo?>();
            var writers = Enumerable.Range(0, BulkWriters).Select(_ => Task.Run(() => WriteQueuedAsync(queue.Reader, receive, failure, cancellationToken), CancellationToken.None)).ToArray();
            try
            {
                using var reader = new TarReader(new BufferedStream(exec.OutputStream, 1 << 20));
                TarEntry? entry;
                while ((entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false)) is not null)
                {
                    var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    // An empty file has no data stream: it is delivered all the same.
                    if ((entry.DataStream is null && entry.Length != 0)
                        || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                        || !wanted.TryGetValue(name, out var listed)
                        || entry.Length != listed.Size
                        || entry.Length > int.MaxValue
                        || delivered.Contains(name))
                    {
                        continue;
                    }

                    // Only a file read whole counts as delivered: one cut off by a broken stream goes file by file.
                    var length = (int)entry.Length;
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                    try
                    {
                        if (length > 0)
                        {
                            await entry.DataStream!.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                        }
                    }
                    catch
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw;
                    }

                    delivered.Add(name);
                    await queue.Writer.WriteAsync((listed, buffer, length), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                queue.Writer.TryComplete();
                await Task.WhenAll(writers).ConfigureAwait(false);
            }

            // A receive that threw (the engine's never does) surfaces once the stream is done.
            failure.Value?.Throw();

            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is SshException or IOException or InvalidDataException or FormatException or ObjectDisposedException or InvalidOperationException)
        {
            // A broken stream, or no GNU tar on the login node: what arrived is kept, the rest goes file by file.
        }

        return delivered;
    }

    /// <summary>Files handed to writers but not yet written, at most (each at most the engine's bulk file limit).</summary>
    private const int BulkQueueLength = 32;

    /// <summary>Threads writing received files at once.</summary>
    private const int BulkWriters = 4;

    private static async Task WriteQueuedAsync(
        ChannelReader<(SourceEntry Entry, byte[] Buffer, int Length)> queue,
        Func<SourceEntry, Stream, CancellationToken, Task> receive,
        StrongBox<ExceptionDispatchInfo?> failure,
        CancellationToken cancellationToken)
    {
        // Drains the queue whatever happens (a cancellation, a receive that threw), so the reader never
        // waits on a full queue nobody empties and every rented buffer goes back to the pool.
        await foreach (var (entry, buffer, length) in queue.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                if (!cancellationToken.IsCancellationRequested && failure.Value is null)
                {
                    using var content = new MemoryStream(buffer, 0, length, writable: false);
                    await receive(entry, content, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller sees the cancellation from the stream reader.
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure.Value, ExceptionDispatchInfo.Capture(ex), null);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>An IProgress that calls back where it is reported (System.Progress would post to the pool again).</summary>
    private sealed class InlineProgress<T> : IProgress<T>
    {
        private readonly Action<T> _handler;

        public InlineProgress(Action<T> handler) => _handler = handler;

        public void Report(T value) => _handler(value);
    }

    private static string KindName(ISftpFile file) =>
        file.IsNamedPipe ? "FIFO" : file.IsSocket ? "socket" : file.IsBlockDevice ? "block device" : file.IsCharacterDevice ? "character device" : "special file";

    private AutolabException Missing(string message, Exception? inner = null) =>
        new(
            ErrorIds.RemotePathNotFound,
            AutolabErrorCategory.ObjectNotFound,
            message + ". Check remote_repo_root (or -Source), and that the job has started writing its run directory.",
            Display,
            inner);
}
