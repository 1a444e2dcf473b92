using System.Collections.Concurrent;
using System.Text;
using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Core.Tests.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Ssh;
using Xunit;
using static Autolab.Slurm.Core.Tests.Artifacts.SyncFixture;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>
/// SftpArtifactSource against the real sshd (which runs on this machine, so the "remote" tree is a local temp
/// folder), and the whole ArtifactSyncEngine over it (interface.md and docs/Sync-RunArtifacts.md).
/// </summary>
[Collection(SshdCollection.Name)]
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SftpLiveTests : IDisposable
{
    private static readonly DateTime T1 = new(2022, 2, 3, 4, 5, 6, DateTimeKind.Utc);
    private readonly LiveSsh _ssh = new();
    private readonly SyncFixture _f = new();
    private readonly SshSession _session;

    public SftpLiveTests() => _session = _ssh.Session(_ssh.Options());

    public void Dispose()
    {
        _f.Dispose();
        Links.RemoveLinksAndSpecialFiles(_ssh.Dir.Path);
        _ssh.Dispose();
    }

    private SftpArtifactSource Source(string root) => _ssh.Own(new SftpArtifactSource(_session, root));

    /// <summary>
    /// a.txt, sub/b.bin, sub/deeper/c.txt, empty/, and links: in (relative), abs_in (absolute, inside),
    /// out (to a file outside), dangling, dir (to sub), fifo_link (to the FIFO), plus the FIFO itself.
    /// </summary>
    private (string Root, byte[] B, string Outside) Tree()
    {
        var root = _f.Remote.Path;
        _f.RemoteFile("a.txt", "alpha", T1);
        var b = RandomBytes(200_000, 21);
        _f.RemoteFile("sub/b.bin", b, T1.AddDays(1));
        _f.RemoteFile("sub/deeper/c.txt", "gamma", T1);
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        var outside = _f.Outside.Write("outside.txt", "outside");
        File.CreateSymbolicLink(Path.Combine(root, "in"), "a.txt");
        File.CreateSymbolicLink(Path.Combine(root, "abs_in"), Path.Combine(root, "sub", "deeper", "c.txt"));
        File.CreateSymbolicLink(Path.Combine(root, "out"), outside);
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "no-such-file");
        Directory.CreateSymbolicLink(Path.Combine(root, "dir"), "sub");
        Links.MakeFifo(Path.Combine(root, "fifo"));
        File.CreateSymbolicLink(Path.Combine(root, "fifo_link"), "fifo");
        return (root, b, outside);
    }

    private static SourceEntry Entry(IReadOnlyList<SourceEntry> entries, string path) => Assert.Single(entries, e => e.RelativePath == path);

    [Fact]
    public void List_Tree_EveryEntryWithKindSizeAndMtime()
    {
        var (root, b, _) = Tree();

        var entries = Source(root).List(CancellationToken.None);

        Assert.Equal(
            new[]
            {
                ("a.txt", SourceEntryKind.File), ("abs_in", SourceEntryKind.Symlink), ("dangling", SourceEntryKind.Symlink),
                ("dir", SourceEntryKind.Symlink), ("empty", SourceEntryKind.Directory), ("fifo", SourceEntryKind.Other),
                ("fifo_link", SourceEntryKind.Symlink), ("in", SourceEntryKind.Symlink), ("out", SourceEntryKind.Symlink),
                ("sub", SourceEntryKind.Directory), ("sub/b.bin", SourceEntryKind.File), ("sub/deeper", SourceEntryKind.Directory),
                ("sub/deeper/c.txt", SourceEntryKind.File),
            },
            entries.Select(e => (e.RelativePath, e.Kind)).OrderBy(e => e.RelativePath, StringComparer.Ordinal));
        Assert.Equal(5, Entry(entries, "a.txt").Size);
        Assert.Equal(b.Length, Entry(entries, "sub/b.bin").Size);
        Assert.Equal(new DateTimeOffset(T1), Entry(entries, "a.txt").LastWriteTime);
        Assert.Equal(new DateTimeOffset(T1.AddDays(1)), Entry(entries, "sub/b.bin").LastWriteTime);
        Assert.Equal("FIFO", Entry(entries, "fifo").KindName);
    }

    [Fact]
    public void List_RootWithTrailingSlash_SameRelativePaths()
    {
        var (root, _, _) = Tree();

        var entries = Source(root + "/").List(CancellationToken.None);

        Assert.Contains(entries, e => e.RelativePath == "sub/deeper/c.txt");
        Assert.DoesNotContain(entries, e => e.RelativePath.StartsWith('/'));
    }

    [Fact]
    public void List_MissingRoot_RemotePathNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => Source(_f.Remote.Combine("no", "such")).List(CancellationToken.None));

        Assert.Equal(ErrorIds.RemotePathNotFound, error.ErrorId);
    }

    [Fact]
    public void List_RootIsAFile_RemotePathNotFound()
    {
        var file = _f.RemoteFile("plain.txt", "x");

        var error = Assert.Throws<AutolabException>(() => Source(file).List(CancellationToken.None));

        Assert.Equal(ErrorIds.RemotePathNotFound, error.ErrorId);
    }

    [Theory]
    [InlineData("in", null, 5L)]
    [InlineData("abs_in", null, 5L)]
    [InlineData("out", "outside", null)]
    [InlineData("dangling", "dangling", null)]
    [InlineData("dir", "directory", null)]
    [InlineData("fifo_link", "FIFO", null)]
    public void Resolve_Symlink_TargetOrReason(string link, string? reasonFragment, long? size)
    {
        var (root, _, _) = Tree();
        var source = Source(root);
        var entries = source.List(CancellationToken.None);

        var resolution = source.Resolve(Entry(entries, link), CancellationToken.None);

        if (reasonFragment is null)
        {
            Assert.NotNull(resolution.Target);
            Assert.Equal((link, SourceEntryKind.File, size!.Value), (resolution.Target!.RelativePath, resolution.Target.Kind, resolution.Target.Size));
            Assert.Equal(new DateTimeOffset(T1), resolution.Target.LastWriteTime);
        }
        else
        {
            Assert.Null(resolution.Target);
            Assert.Contains(reasonFragment, resolution.Reason, StringComparison.Ordinal);
            Assert.Equal(link == "out", resolution.Escapes);
        }
    }

    [Fact]
    public void Resolve_RootReachedThroughSymlink_AbsoluteLinkInsideStillInside()
    {
        var (root, _, _) = Tree();
        var alias = _f.Outside.Combine("alias");
        Directory.CreateSymbolicLink(alias, root);
        var source = Source(alias);
        var entries = source.List(CancellationToken.None);

        var resolution = source.Resolve(Entry(entries, "abs_in"), CancellationToken.None);

        Assert.NotNull(resolution.Target);
        Assert.False(source.Resolve(Entry(entries, "in"), CancellationToken.None).Escapes);
        Assert.True(source.Resolve(Entry(entries, "out"), CancellationToken.None).Escapes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(123_457)]
    [InlineData(199_999)]
    [InlineData(200_000)]
    public async Task CopyToAsync_Offset_BytesFromOffsetOn(int offset)
    {
        var (root, b, _) = Tree();
        var source = Source(root);
        using var destination = new MemoryStream();
        long reported = 0;

        await source.CopyToAsync("sub/b.bin", offset, destination, n => reported += n, CancellationToken.None);

        Assert.Equal(b[offset..], destination.ToArray());
        Assert.Equal(b.Length - offset, reported);
    }

    [Fact]
    public async Task CopyToAsync_ThroughInsideLink_TargetBytes()
    {
        var (root, _, _) = Tree();
        using var destination = new MemoryStream();

        await Source(root).CopyToAsync("in", 0, destination, _ => { }, CancellationToken.None);

        Assert.Equal("alpha", Encoding.UTF8.GetString(destination.ToArray()));
    }

    /// <summary>The bulk stream itself: every regular file asked for arrives under its own name with its bytes.</summary>
    [Fact]
    public async Task CopyManyAsync_HostileNames_EachDeliveredVerbatim()
    {
        var names = new[] { "--remove-files", "-C", "--to-command=touch pwned", "new\nline", "sp ace", "ünï ✓", "$(touch pwned)", "sub/dir/x.json" };
        var entries = new List<SourceEntry>();
        foreach (var name in names)
        {
            var bytes = Encoding.UTF8.GetBytes("content of " + name);
            _f.RemoteFile(name, bytes, T1);
            entries.Add(new SourceEntry(name, SourceEntryKind.File, bytes.Length, new DateTimeOffset(T1)));
        }

        _f.RemoteFile("stale.txt", "now longer than listed", T1);
        entries.Add(new SourceEntry("stale.txt", SourceEntryKind.File, 3, new DateTimeOffset(T1)));
        File.CreateSymbolicLink(_f.Remote.Combine("link"), "sp ace");
        entries.Add(new SourceEntry("link", SourceEntryKind.File, Encoding.UTF8.GetByteCount("content of sp ace"), new DateTimeOffset(T1)));
        // receive may run on several threads at once.
        var received = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

        var delivered = await Source(_f.Remote.Path).CopyManyAsync(
            entries,
            async (entry, stream, token) =>
            {
                using var reader = new StreamReader(stream);
                Assert.True(received.TryAdd(entry.RelativePath, await reader.ReadToEndAsync(token)), $"'{entry.RelativePath}' was delivered twice");
            },
            CancellationToken.None);

        Assert.Equal(names.Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal));
        Assert.Equal(names.Order(StringComparer.Ordinal), received.Keys.Order(StringComparer.Ordinal));
        Assert.All(names, n => Assert.Equal("content of " + n, received[n]));
        Assert.All(names, n => Assert.True(File.Exists(_f.Remote.Combine(n)), $"the remote '{n}' is gone"));
        Assert.False(File.Exists(_f.Remote.Combine("pwned")));
    }

    /// <summary>A 0-byte file in the stream is a file like any other (tar gives it no data stream).</summary>
    [Fact]
    public async Task CopyManyAsync_EmptyFiles_Delivered()
    {
        var entries = new List<SourceEntry>();
        for (var i = 0; i < 10; i++)
        {
            var bytes = i % 2 == 0 ? Array.Empty<byte>() : Encoding.UTF8.GetBytes("content " + i);
            _f.RemoteFile($"f{i}.err", bytes, T1);
            entries.Add(new SourceEntry($"f{i}.err", SourceEntryKind.File, bytes.Length, new DateTimeOffset(T1)));
        }

        var received = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var delivered = await Source(_f.Remote.Path).CopyManyAsync(
            entries,
            async (entry, stream, token) =>
            {
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, token);
                received[entry.RelativePath] = copy.Length;
            },
            CancellationToken.None);

        Assert.Equal(entries.Select(e => e.RelativePath).Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal(e.Size, received[e.RelativePath]));
    }

    /// <summary>A receive that throws must not leave the stream reader waiting on a full queue: the error comes back.</summary>
    [Fact]
    public async Task CopyManyAsync_ReceiveThrows_ErrorSurfacesNoHang()
    {
        var entries = new List<SourceEntry>();
        for (var i = 0; i < 120; i++)
        {
            var name = $"many/f{i:D3}.txt";
            var bytes = Encoding.UTF8.GetBytes("content " + i);
            _f.RemoteFile(name, bytes, T1);
            entries.Add(new SourceEntry(name, SourceEntryKind.File, bytes.Length, new DateTimeOffset(T1)));
        }

        var calls = 0;
        var copy = Source(_f.Remote.Path).CopyManyAsync(
            entries,
            (_, _, _) =>
            {
                Interlocked.Increment(ref calls);
                throw new ReceiveFailedException();
            },
            CancellationToken.None);

        var finished = await Task.WhenAny(copy, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.Same(copy, finished);
        await Assert.ThrowsAsync<ReceiveFailedException>(() => copy);
        Assert.InRange(calls, 1, 4);
    }

    private sealed class ReceiveFailedException : Exception
    {
    }

    // ---- the engine over SFTP ----------------------------------------------------------------------

    private ArtifactSyncResult Pull(IArtifactSource source, SyncRequest? request = null, SyncProgress? progress = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return new ArtifactSyncEngine().Pull(request ?? _f.Request(), source, progress ?? new SyncProgress(), cts.Token);
    }

    [Fact]
    public void Pull_TreeOverSftp_FilesAndInsideLinksPulledRestRefused()
    {
        var (root, b, outside) = Tree();

        var result = Pull(Source(root));

        AssertOk(result);
        Assert.Equal(
            new[] { R("a.txt"), R("abs_in"), R("in"), R("sub/b.bin"), R("sub/deeper/c.txt") },
            result.PulledPaths);
        Assert.Equal(result.PulledPaths, result.VerifiedPaths);
        Assert.Equal(b, File.ReadAllBytes(_f.Local("sub/b.bin")));
        Assert.Equal("alpha", File.ReadAllText(_f.Local("in")));
        Assert.Null(new FileInfo(_f.Local("in")).LinkTarget);
        Assert.Equal("gamma", File.ReadAllText(_f.Local("abs_in")));
        Assert.Equal(T1, File.GetLastWriteTimeUtc(_f.Local("a.txt")));
        Assert.Equal(T1.AddDays(1), File.GetLastWriteTimeUtc(_f.Local("sub/b.bin")));
        Assert.StartsWith(ErrorIds.PathEscapesDestination, Assert.Single(result.SkippedPaths, s => s.Path == R("out")).Reason, StringComparison.Ordinal);
        Assert.Contains(result.SkippedPaths, s => s.Path == R("dangling"));
        Assert.Contains(result.SkippedPaths, s => s.Path == R("dir"));
        Assert.Contains(result.SkippedPaths, s => s.Path == R("fifo"));
        Assert.Contains(result.SkippedPaths, s => s.Path == R("fifo_link"));
        Assert.False(File.Exists(_f.Local("out")));
        Assert.Equal("outside", File.ReadAllText(outside));
        Assert.Equal(5 + b.Length + 5 + 5 + 5, result.ByteCount);
    }

    /// <summary>
    /// Enough small files for the bulk (tar) path, with names that would hurt if they reached a command line or
    /// tar's option parser: "--remove-files" would make tar delete the remote originals.
    /// </summary>
    [Fact]
    public void Pull_ManySmallFilesWithHostileNames_AllIntactRemoteUntouched()
    {
        var names = new[]
        {
            "--remove-files", "-rf", "--to-command=touch pwned", "$(touch pwned)", "`touch pwned`", "quote'and\"double.txt",
            "with space.txt", "new\nline.txt", "tab\there.txt", "ünïcødé ✓.txt", "percent%20and%n.txt", "a*b?[c].txt",
            "deep/" + new string('d', 120) + "/" + new string('f', 150) + ".txt", "sub/x.json", "SHA256SUMS.not",
        };
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            expected[names[i]] = RandomBytes(100 + (i * 1000), 200 + i);
            _f.RemoteFile(names[i], expected[names[i]], T1.AddMinutes(i));
        }

        var result = Pull(Source(_f.Remote.Path));

        AssertOk(result);
        Assert.Equal(names.Select(R).Order(StringComparer.Ordinal), result.PulledPaths);
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, File.ReadAllBytes(_f.Local(name)));
            Assert.Equal(T1.AddMinutes(Array.IndexOf(names, name)), File.GetLastWriteTimeUtc(_f.Local(name)));
            Assert.True(File.Exists(_f.Remote.Combine(name)), $"the remote '{name}' is gone");
        }

        Assert.Equal(expected.Values.Sum(v => (long)v.Length), result.ByteCount);
        Assert.Empty(_f.PartialsUnderRunDirectory());
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_f.Remote.Path), p => Path.GetFileName(p) == "pwned");
    }

    [Fact]
    public void Pull_ManySmallFilesAndOneBig_BothPathsIntact()
    {
        var big = RandomBytes((int)ArtifactSyncEngine.BulkFileLimit + 12_345, 31);
        _f.RemoteFile("big.bin", big, T1);
        for (var i = 0; i < 12; i++)
        {
            _f.RemoteFile($"small/{i:D2}.txt", "small " + i, T1);
        }

        var progress = new SyncProgress();
        var smallBytes = Enumerable.Range(0, 12).Sum(i => ("small " + i).Length);

        var result = Pull(Source(_f.Remote.Path), progress: progress);

        AssertOk(result);
        Assert.Equal(13, result.FileCount);
        Assert.Equal(big, File.ReadAllBytes(_f.Local("big.bin")));
        Assert.Equal(big.Length + smallBytes, result.ByteCount);
        Assert.Equal(big.Length + smallBytes, progress.BytesDone);
        Assert.Equal("small 7", File.ReadAllText(_f.Local("small/07.txt")));
    }

    [Fact]
    public void Pull_ManySmallFilesWithSums_VerifiedAndMismatchCaught()
    {
        var sums = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            var content = "file " + i;
            _f.RemoteFile($"f{i}.txt", content, T1);
            var listed = i == 4 ? "something else" : content;
            sums.Append(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(listed))).ToLowerInvariant()).Append("  f").Append(i).Append(".txt\n");
        }

        _f.RemoteFile("SHA256SUMS", sums.ToString(), T1);

        var result = Pull(Source(_f.Remote.Path));

        Assert.Equal("failed", result.Status);
        Assert.Equal(R("f4.txt"), Assert.Single(result.Failures).Path);
        Assert.False(File.Exists(_f.Local("f4.txt")));
        Assert.Equal(10, result.VerifiedPaths.Count);
    }

    /// <summary>Empty files one by one (few files) and in the bulk stream (many): pulled and verified, never a failure.</summary>
    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    public void Pull_EmptyFilesOverSftp_PulledAndVerified(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _f.RemoteFile($"job.err.{i}", i % 3 == 0 ? "not empty" : string.Empty, T1);
        }

        var result = Pull(Source(_f.Remote.Path));

        AssertOk(result);
        Assert.Equal(count, result.PulledPaths.Count);
        Assert.Equal(result.PulledPaths, result.VerifiedPaths);
        Assert.Equal(0, new FileInfo(_f.Local("job.err.1")).Length);
        Assert.Equal(T1, File.GetLastWriteTimeUtc(_f.Local("job.err.1")));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    // ---- a remote file rewritten in place during the pull (RewritingSource makes the moment deterministic) ----

    private static void AssertChangedDuringTransfer(ArtifactSyncResult result, params string[] names)
    {
        Assert.Equal("failed", result.Status);
        Assert.Equal(names.Select(R).Order(StringComparer.Ordinal), result.Failures.Select(f => f.Path));
        Assert.All(result.Failures, f => Assert.Contains("changed on the source during the transfer", f.Reason, StringComparison.Ordinal));
        Assert.All(names, n => Assert.DoesNotContain(R(n), result.PulledPaths));
        Assert.All(names, n => Assert.DoesNotContain(R(n), result.VerifiedPaths));
    }

    /// <summary>One big file over SFTP, overwritten (same size, new bytes) after its first MB landed.</summary>
    [Fact]
    public void Pull_FileRewrittenInPlaceDuringTransfer_FailsNeverUnderFinalNameNextPassGetsNewVersion()
    {
        _f.RemoteFile("ckpt.pt", RandomBytes(8 * 1024 * 1024, 51), T1);
        var rewriting = new RewritingSource(Source(_f.Remote.Path), _f.Remote.Path) { DuringCopy = { "ckpt.pt" } };

        var result = Pull(rewriting);

        AssertChangedDuringTransfer(result, "ckpt.pt");
        Assert.Contains("the download was discarded", Assert.Single(result.Failures).Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("ckpt.pt")), "a download of a file that changed meanwhile must not appear under its final name");
        Assert.Empty(_f.PartialsUnderRunDirectory());

        var retry = Pull(Source(_f.Remote.Path));

        AssertOk(retry);
        Assert.Equal(rewriting.NewContent["ckpt.pt"], File.ReadAllBytes(_f.Local("ckpt.pt")));
    }

    /// <summary>Several files in parallel, two of them overwritten while they are read: only those two fail.</summary>
    [Fact]
    public void Pull_TwoOfThreeRewrittenDuringParallelTransfers_OnlyThoseFail()
    {
        var steady = RandomBytes(3 * 1024 * 1024, 52);
        _f.RemoteFile("a.bin", RandomBytes(3 * 1024 * 1024, 53), T1);
        _f.RemoteFile("b.bin", steady, T1);
        _f.RemoteFile("c/d.bin", RandomBytes(3 * 1024 * 1024, 54), T1);
        var rewriting = new RewritingSource(Source(_f.Remote.Path), _f.Remote.Path) { DuringCopy = { "a.bin", "c/d.bin" }, RewriteAfterBytes = 512 * 1024 };

        var result = Pull(rewriting, _f.Request() with { ThrottleLimit = 4 });

        AssertChangedDuringTransfer(result, "a.bin", "c/d.bin");
        Assert.Equal(new[] { R("b.bin") }, result.PulledPaths);
        Assert.Equal(steady, File.ReadAllBytes(_f.Local("b.bin")));
        Assert.False(File.Exists(_f.Local("a.bin")));
        Assert.False(File.Exists(_f.Local("c/d.bin")));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    /// <summary>Many small files in one tar stream; one is overwritten once the stream has started.</summary>
    [Fact]
    public void Pull_FileRewrittenDuringBulkStream_OnlyThatOneFailsRestPulled()
    {
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < 12; i++)
        {
            expected[$"out/f{i:D2}.json"] = RandomBytes(20_000 + i, 60 + i);
            _f.RemoteFile($"out/f{i:D2}.json", expected[$"out/f{i:D2}.json"], T1);
        }

        var rewriting = new RewritingSource(Source(_f.Remote.Path), _f.Remote.Path) { DuringStream = { "out/f09.json" } };

        var result = Pull(rewriting);

        AssertChangedDuringTransfer(result, "out/f09.json");
        Assert.Equal(11, result.PulledPaths.Count);
        Assert.False(File.Exists(_f.Local("out/f09.json")));
        foreach (var (name, bytes) in expected.Where(e => e.Key != "out/f09.json"))
        {
            Assert.Equal(bytes, File.ReadAllBytes(_f.Local(name)));
        }

        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Fact]
    public void Pull_SecondTimeOverSftp_NothingTransferred()
    {
        Tree();
        Pull(Source(_f.Remote.Path));

        var second = Pull(Source(_f.Remote.Path));

        Assert.Empty(second.PulledPaths);
        Assert.Equal(0, second.ByteCount);
        Assert.Equal(5, second.VerifiedPaths.Count);
    }

    [Fact]
    public void Pull_PartialOverSftp_ResumedFromItsLength()
    {
        var bytes = RandomBytes(600_000, 41);
        _f.RemoteFile("ckpt.pt", bytes, T1);
        var partial = _f.PartialPath("ckpt.pt", bytes.Length, T1);
        File.WriteAllBytes(partial, bytes[..250_000]);

        var result = Pull(Source(_f.Remote.Path));

        AssertOk(result);
        Assert.Equal(350_000, result.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("ckpt.pt")));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public void Pull_RemoteRootMissing_RemotePathNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => Pull(Source(_f.Remote.Combine("missing-run"))));

        Assert.Equal(ErrorIds.RemotePathNotFound, error.ErrorId);
    }
}
