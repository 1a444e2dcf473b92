using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Autolab.Slurm.Artifacts;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// A temp repository (with .autolab/ and a run directory holding its run_manifest.json) and a temp "remote"
/// run directory to pull from, plus a folder outside both for escape tests.
/// </summary>
internal sealed class SyncFixture : IDisposable
{
    public const string RunDir = "experiments/plan/iter1/runs/run_001";
    public const string LocalManifestText = """{"schema_version": "1.0", "run_id": "run_001", "iteration_id": "iter1", "status": "running"}""";

    public SyncFixture()
    {
        Directory.CreateDirectory(Repo.Combine(".autolab"));
        Repo.Write(RunDir + "/run_manifest.json", LocalManifestText);
    }

    public TempDir Repo { get; } = new();

    /// <summary>The source root (what a login node's run directory would hold).</summary>
    public TempDir Remote { get; } = new();

    /// <summary>A folder outside the repository and the source: nothing may ever be written here.</summary>
    public TempDir Outside { get; } = new();

    public string RunDirectory => Path.Combine(Repo.Path, RunDir);

    public string ManifestPath => Path.Combine(RunDirectory, "run_manifest.json");

    /// <summary>The repo-relative name results use for a run-relative path.</summary>
    public static string R(string runRelative) => RunDir + "/" + runRelative;

    public string Local(string runRelative) => Path.Combine(RunDirectory, runRelative);

    public SyncRequest Request(bool terminal = false) => new()
    {
        ManifestPath = ManifestPath,
        RunDirectory = RunDirectory,
        PathBase = Repo.Path,
        RunId = "run_001",
        RunIsTerminal = terminal,
    };

    public static readonly DateTime DefaultTime = new(2024, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    public string RemoteFile(string relative, byte[] content, DateTime? mtime = null)
    {
        var full = Remote.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        File.SetLastWriteTimeUtc(full, mtime ?? DefaultTime);
        return full;
    }

    public string RemoteFile(string relative, string content, DateTime? mtime = null) =>
        RemoteFile(relative, System.Text.Encoding.UTF8.GetBytes(content), mtime);

    public string LocalFile(string relative, string content, DateTime? mtime = null)
    {
        var full = Local(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetLastWriteTimeUtc(full, mtime ?? DefaultTime);
        return full;
    }

    /// <summary>Status ok, with the failures in the message when it is not.</summary>
    public static void AssertOk(Autolab.Slurm.Models.ArtifactSyncResult result)
    {
        Assert.True(result.Failures.Count == 0, "failures: " + string.Join("; ", result.Failures));
        Assert.Equal("ok", result.Status);
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The name a partial download gets: <c>.&lt;name&gt;.&lt;size&gt;.&lt;mtime unix&gt;.autolab-part</c> beside the destination.</summary>
    public string PartialPath(string runRelative, long size, DateTime mtime)
    {
        var local = Local(runRelative);
        var stamp = string.Create(CultureInfo.InvariantCulture, $"{size}.{new DateTimeOffset(mtime).ToUnixTimeSeconds()}");
        return Path.Combine(Path.GetDirectoryName(local)!, "." + Path.GetFileName(local) + "." + stamp + ArtifactSyncEngine.PartSuffix);
    }

    public IEnumerable<string> PartialsUnderRunDirectory() =>
        Directory.Exists(RunDirectory)
            ? Directory.EnumerateFiles(RunDirectory, "*" + ArtifactSyncEngine.PartSuffix, SearchOption.AllDirectories)
            : Enumerable.Empty<string>();

    /// <summary>Every file below the run directory except the manifest, run-relative.</summary>
    public IReadOnlyList<string> LocalFiles() =>
        Directory.EnumerateFiles(RunDirectory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RunDirectory, f).Replace('\\', '/'))
            .Where(f => f != "run_manifest.json")
            .Order(StringComparer.Ordinal)
            .ToArray();

    public void Dispose()
    {
        // Links first: TempDir's cleanup changes file modes, which would follow a link to its target.
        foreach (var dir in new[] { Repo, Remote, Outside })
        {
            Links.RemoveLinksAndSpecialFiles(dir.Path);
            dir.Dispose();
        }
    }
}

internal static class Links
{
    /// <summary>Deletes every symlink and FIFO below <paramref name="root"/> without following any.</summary>
    public static void RemoveLinksAndSpecialFiles(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            foreach (var info in new DirectoryInfo(pending.Pop()).EnumerateFileSystemInfos())
            {
                if (info.LinkTarget is not null)
                {
                    File.Delete(info.FullName);
                }
                else if (info is DirectoryInfo)
                {
                    pending.Push(info.FullName);
                }
                else if (!IsRegular(info.FullName))
                {
                    File.Delete(info.FullName);
                }
            }
        }
    }

    private static bool IsRegular(string path) => Autolab.Slurm.IO.UnixFile.GetFileType(path) is null or Autolab.Slurm.IO.UnixFileType.Regular;

    public static void MakeFifo(string path)
    {
        var info = new ProcessStartInfo("mkfifo") { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add(path);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(10_000), "mkfifo did not finish");
        Assert.True(process.ExitCode == 0, "mkfifo failed: " + error);
    }
}

/// <summary>
/// An in-memory source with a listing in a fixed order. It can cut a transfer short, fail it half way, delay
/// it, and records how many copies ran at once and from which offsets.
/// </summary>
internal sealed class ScriptedSource : IArtifactSource
{
    private readonly List<SourceEntry> _entries = new();
    private readonly Dictionary<string, byte[]> _content = new(StringComparer.Ordinal);
    private int _running;
    private int _maxRunning;

    public string Display { get; init; } = "scripted:/run";

    public int MaxConcurrency { get; init; } = 16;

    public TimeSpan Delay { get; init; }

    /// <summary>Files whose copy stops (without error) after this many bytes of the file.</summary>
    public Dictionary<string, long> StopAt { get; } = new(StringComparer.Ordinal);

    /// <summary>Files whose copy throws an IOException after this many bytes of the file.</summary>
    public Dictionary<string, long> FailAt { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Path, long Offset)> Copies { get; } = new();

    public int MaxObservedConcurrency => Volatile.Read(ref _maxRunning);

    public ScriptedSource Add(string relativePath, byte[] content, DateTime? mtime = null)
    {
        _entries.Add(new SourceEntry(relativePath, SourceEntryKind.File, content.Length, new DateTimeOffset(mtime ?? SyncFixture.DefaultTime)));
        _content[relativePath] = content;
        return this;
    }

    public ScriptedSource Add(SourceEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken) => _entries.ToArray();

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken) => new(null, "dangling symlink");

    public async Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, now);
        try
        {
            Copies.Enqueue((relativePath, offset));
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken).ConfigureAwait(false);
            }

            var content = _content.TryGetValue(relativePath, out var c) ? c : throw new FileNotFoundException("no such file: " + relativePath);
            var end = StopAt.TryGetValue(relativePath, out var stop) ? stop : FailAt.TryGetValue(relativePath, out var fail) ? fail : content.Length;
            if (end > offset)
            {
                await destination.WriteAsync(content.AsMemory((int)offset, (int)(end - offset)), cancellationToken).ConfigureAwait(false);
                progress(end - offset);
            }

            if (FailAt.ContainsKey(relativePath))
            {
                throw new IOException("connection reset by peer");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, SourceEntry>>(_entries.Where(e => relativePaths.Contains(e.RelativePath)).ToDictionary(e => e.RelativePath, StringComparer.Ordinal));

    public void Dispose()
    {
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}

/// <summary>
/// A local directory source whose copies write the first <see cref="FirstChunk"/> bytes, say so, and then wait
/// for cancellation: the shape of a transfer cut off by Ctrl+C.
/// </summary>
internal sealed class GatedSource : IArtifactSource
{
    private readonly LocalDirectorySource _inner;
    private readonly string _root;

    public GatedSource(string root)
    {
        _inner = new LocalDirectorySource(root);
        _root = root;
    }

    public int FirstChunk { get; init; } = 1000;

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Display => _inner.Display;

    public int MaxConcurrency => 4;

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken) => _inner.List(cancellationToken);

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken) => _inner.Resolve(link, cancellationToken);

    public async Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_root, relativePath), cancellationToken).ConfigureAwait(false);
        var count = (int)Math.Min(FirstChunk, bytes.Length - offset);
        await destination.WriteAsync(bytes.AsMemory((int)offset, count), cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        progress(count);
        Started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken) =>
        _inner.StatAsync(relativePaths, cancellationToken);

    public void Dispose() => _inner.Dispose();
}

/// <summary>
/// A real source (a local folder, or the real sshd over SFTP) whose files are rewritten in place at a chosen
/// moment of the pull, the way a job that still writes a checkpoint would: same inode, same size, new bytes,
/// a new mtime. The moment is chosen by the transfer itself, so the race is deterministic: for a file read
/// with <see cref="IArtifactSource.CopyToAsync"/>, once <see cref="RewriteAfterBytes"/> of it have landed
/// (the local write blocks until the rewrite is done, so the rest is read after it); for the bulk stream,
/// when the first file of the stream is received. Everything else goes to the real source untouched.
/// </summary>
internal sealed class RewritingSource : IArtifactSource, IBulkArtifactSource
{
    private readonly IArtifactSource _inner;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, byte> _rewritten = new(StringComparer.Ordinal);

    public RewritingSource(IArtifactSource inner, string localRoot)
    {
        _inner = inner;
        _root = localRoot;
    }

    /// <summary>Files rewritten while <see cref="IArtifactSource.CopyToAsync"/> reads them.</summary>
    public HashSet<string> DuringCopy { get; } = new(StringComparer.Ordinal);

    /// <summary>Files rewritten when the bulk stream delivers its first file.</summary>
    public HashSet<string> DuringStream { get; } = new(StringComparer.Ordinal);

    public long RewriteAfterBytes { get; init; } = 1024 * 1024;

    /// <summary>The content each rewritten file has now.</summary>
    public ConcurrentDictionary<string, byte[]> NewContent { get; } = new(StringComparer.Ordinal);

    public string Display => _inner.Display;

    public int MaxConcurrency => _inner.MaxConcurrency;

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken) => _inner.List(cancellationToken);

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken) => _inner.Resolve(link, cancellationToken);

    public Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken) =>
        _inner.CopyToAsync(
            relativePath,
            offset,
            DuringCopy.Contains(relativePath) ? new TripwireStream(destination, RewriteAfterBytes - offset, () => Rewrite(relativePath)) : destination,
            progress,
            cancellationToken);

    /// <summary>The paths of every <see cref="IArtifactSource.StatAsync"/> call, one list per call.</summary>
    public ConcurrentQueue<string[]> StatCalls { get; } = new();

    public Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken)
    {
        StatCalls.Enqueue(relativePaths.Order(StringComparer.Ordinal).ToArray());
        return _inner.StatAsync(relativePaths, cancellationToken);
    }

    public Task<IReadOnlySet<string>> CopyManyAsync(IReadOnlyList<SourceEntry> entries, Func<SourceEntry, Stream, CancellationToken, Task> receive, CancellationToken cancellationToken) =>
        ((IBulkArtifactSource)_inner).CopyManyAsync(
            entries,
            (entry, content, token) =>
            {
                foreach (var path in DuringStream)
                {
                    Rewrite(path);
                }

                return receive(entry, content, token);
            },
            cancellationToken);

    /// <summary>Overwrites the file in place (no truncation, no new inode) with other bytes of the same length, once.</summary>
    private void Rewrite(string relativePath)
    {
        if (!_rewritten.TryAdd(relativePath, 0))
        {
            return;
        }

        var full = Path.Combine(_root, relativePath);
        var length = (int)new FileInfo(full).Length;
        var bytes = SyncFixture.RandomBytes(length, relativePath.GetHashCode(StringComparison.Ordinal));
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        NewContent[relativePath] = bytes;
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>A write-through stream that runs an action (synchronously, once) when the bytes written pass a mark.</summary>
    private sealed class TripwireStream : Stream
    {
        private readonly Stream _inner;
        private readonly Action _trip;
        private long _left;
        private bool _tripped;

        public TripwireStream(Stream inner, long after, Action trip)
        {
            _inner = inner;
            _left = after;
            _trip = trip;
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _inner.Length;

        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => _inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            _left -= buffer.Length;
            if (_left <= 0 && !_tripped)
            {
                _tripped = true;
                _trip();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
