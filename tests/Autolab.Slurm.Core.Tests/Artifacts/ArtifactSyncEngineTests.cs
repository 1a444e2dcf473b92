using System.Security.Cryptography;
using System.Text;
using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Xunit;
using static Autolab.Slurm.Core.Tests.Artifacts.SyncFixture;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// ArtifactSyncEngine with a real LocalDirectorySource (a temp "remote" run directory) into a temp repository,
/// against interface.md (Sync-RunArtifacts) and docs/Sync-RunArtifacts.md. Fakes are used only for what a
/// directory cannot do on demand: a transfer cut off, one that fails half way, one that waits for Ctrl+C.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArtifactSyncEngineTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly SyncFixture _f = new();
    private readonly ArtifactSyncEngine _engine = new();

    public void Dispose() => _f.Dispose();

    private ArtifactSyncResult Pull(SyncRequest? request = null, IArtifactSource? source = null, SyncProgress? progress = null)
    {
        using var cts = new CancellationTokenSource(Limit);
        return _engine.Pull(request ?? _f.Request(), source ?? new LocalDirectorySource(_f.Remote.Path), progress ?? new SyncProgress(), cts.Token);
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static string Sha(string text) => Sha(Encoding.UTF8.GetBytes(text));

    private static SkippedPath SkippedFor(ArtifactSyncResult result, string runRelative) =>
        Assert.Single(result.SkippedPaths, s => s.Path == R(runRelative));

    // ---- the normal path ---------------------------------------------------------------------------

    [Fact]
    public void Pull_FreshRunDirectory_AllPulledVerifiedRepoRelative()
    {
        var bin = RandomBytes(70_000, 1);
        _f.RemoteFile("metrics.json", """{"loss": 0.1}""");
        _f.RemoteFile("logs/train.log", "epoch 1\nepoch 2\n");
        _f.RemoteFile("out/a/b.bin", bin);

        var result = Pull();

        var expected = new[] { R("logs/train.log"), R("metrics.json"), R("out/a/b.bin") };
        AssertOk(result);
        Assert.Equal(expected, result.PulledPaths);
        Assert.Equal(expected, result.VerifiedPaths);
        Assert.Empty(result.SkippedPaths);
        Assert.Empty(result.Failures);
        Assert.Equal(3, result.FileCount);
        Assert.Equal(13 + 16 + 70_000, result.ByteCount);
        Assert.Equal(_f.Remote.Path, result.Source);
        Assert.Equal(RunDir, result.Destination);
        Assert.Equal(_f.ManifestPath, result.ManifestPath);
        Assert.Equal("run_001", result.RunId);
        Assert.Equal(bin, File.ReadAllBytes(_f.Local("out/a/b.bin")));
        Assert.Equal("epoch 1\nepoch 2\n", File.ReadAllText(_f.Local("logs/train.log")));
        Assert.Equal(LocalManifestText, File.ReadAllText(_f.ManifestPath));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    /// <summary>Empty files (a job's .err, almost always) are artifacts like any other: pulled, dated, verified.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pull_EmptyFiles_PulledVerifiedThenUnchanged(bool withSums)
    {
        _f.RemoteFile("job.err", Array.Empty<byte>());
        _f.RemoteFile("logs/empty.log", Array.Empty<byte>());
        _f.RemoteFile("job.out", "done\n");
        if (withSums)
        {
            _f.RemoteFile("SHA256SUMS", $"{Sha(Array.Empty<byte>())}  job.err\n{Sha("done\n")}  job.out\n");
        }

        var result = Pull();

        AssertOk(result);
        var expected = new[] { R("job.err"), R("job.out"), R("logs/empty.log") }.Concat(withSums ? new[] { R("SHA256SUMS") } : Array.Empty<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(expected, result.PulledPaths);
        Assert.Equal(expected, result.VerifiedPaths);
        Assert.Equal(0, new FileInfo(_f.Local("job.err")).Length);
        Assert.Equal(0, new FileInfo(_f.Local("logs/empty.log")).Length);
        Assert.Equal(SyncFixture.DefaultTime, File.GetLastWriteTimeUtc(_f.Local("job.err")));
        Assert.Empty(_f.PartialsUnderRunDirectory());

        var second = Pull();

        AssertOk(second);
        Assert.Empty(second.PulledPaths);
        Assert.Equal(expected, second.VerifiedPaths);
    }

    [Fact]
    public void Pull_SecondTime_UnchangedSkippedButStillVerified()
    {
        _f.RemoteFile("metrics.json", "{}");
        _f.RemoteFile("logs/train.log", "log");
        Pull();

        var second = Pull();

        AssertOk(second);
        Assert.Empty(second.PulledPaths);
        Assert.Equal(0, second.FileCount);
        Assert.Equal(0, second.ByteCount);
        Assert.Equal(new[] { R("logs/train.log"), R("metrics.json") }, second.VerifiedPaths);
        Assert.Equal(
            new[] { (R("logs/train.log"), "unchanged"), (R("metrics.json"), "unchanged") },
            second.SkippedPaths.Select(s => (s.Path, s.Reason)));
    }

    [Fact]
    public void Pull_OneRemoteFileChanged_OnlyThatOnePulled()
    {
        _f.RemoteFile("a.txt", "one");
        _f.RemoteFile("b.txt", "two");
        Pull();
        _f.RemoteFile("b.txt", "two, longer now", SyncFixture.DefaultTime.AddHours(1));

        var second = Pull();

        Assert.Equal(new[] { R("b.txt") }, second.PulledPaths);
        Assert.Equal(15, second.ByteCount);
        Assert.Equal("two, longer now", File.ReadAllText(_f.Local("b.txt")));
        Assert.Equal("unchanged", SkippedFor(second, "a.txt").Reason);
    }

    [Fact]
    public void Pull_SameSizeOtherMtimeNoSums_Repulled()
    {
        _f.RemoteFile("a.txt", "remote!");
        _f.LocalFile("a.txt", "local!!", SyncFixture.DefaultTime.AddDays(-3));

        var result = Pull();

        Assert.Equal(new[] { R("a.txt") }, result.PulledPaths);
        Assert.Equal("remote!", File.ReadAllText(_f.Local("a.txt")));
    }

    [Fact]
    public void Pull_SameSizeOtherMtimeHashMatchesSums_SkippedUnchanged()
    {
        _f.RemoteFile("model.bin", "weights");
        _f.RemoteFile("SHA256SUMS", $"{Sha("weights")}  model.bin\n");
        _f.LocalFile("model.bin", "weights", SyncFixture.DefaultTime.AddDays(-3));

        var result = Pull();

        AssertOk(result);
        Assert.Equal(new[] { R("SHA256SUMS") }, result.PulledPaths);
        Assert.Equal("unchanged", SkippedFor(result, "model.bin").Reason);
        Assert.Equal(new[] { R("SHA256SUMS"), R("model.bin") }, result.VerifiedPaths);
        Assert.Equal(new FileInfo(_f.Remote.Combine("SHA256SUMS")).Length, result.ByteCount);
    }

    [Fact]
    public void Pull_SumsMatch_PulledAndVerified()
    {
        var bin = RandomBytes(5000, 2);
        _f.RemoteFile("model.bin", bin);
        _f.RemoteFile("logs/a.log", "x");
        _f.RemoteFile("SHA256SUMS", $"{Sha(bin).ToUpperInvariant()} *./model.bin\n{Sha("x")}  logs/a.log\n");

        var result = Pull();

        AssertOk(result);
        Assert.Equal(new[] { R("SHA256SUMS"), R("logs/a.log"), R("model.bin") }, result.VerifiedPaths);
        Assert.Equal(result.VerifiedPaths, result.PulledPaths);
    }

    [Fact]
    public void Pull_SumsMismatch_FailureAndNoFileUnderFinalName()
    {
        _f.RemoteFile("model.bin", "corrupted in transit");
        _f.RemoteFile("good.txt", "fine");
        _f.RemoteFile("SHA256SUMS", $"{Sha("the real weights")}  model.bin\n{Sha("fine")}  good.txt\n");

        var result = Pull();

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("model.bin"), failure.Path);
        Assert.Contains("SHA256SUMS mismatch", failure.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("model.bin")), "a file that failed its hash must not appear under its final name");
        Assert.DoesNotContain(R("model.bin"), result.PulledPaths);
        Assert.DoesNotContain(R("model.bin"), result.VerifiedPaths);
        Assert.Contains(R("good.txt"), result.VerifiedPaths);
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Fact]
    public void Pull_ListedInSumsButMissing_Failure()
    {
        _f.RemoteFile("a.txt", "a");
        _f.RemoteFile("SHA256SUMS", $"{Sha("a")}  a.txt\n{Sha("ghost")}  results/ghost.txt\n");

        var result = Pull();

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("results/ghost.txt"), failure.Path);
        Assert.Contains("SHA256SUMS", failure.Reason, StringComparison.Ordinal);
        Assert.Contains(R("a.txt"), result.VerifiedPaths);
    }

    [Fact]
    public void Pull_MalformedSumsLine_Failure()
    {
        _f.RemoteFile("a.txt", "a");
        _f.RemoteFile("SHA256SUMS", $"{Sha("a")}  a.txt\nthis is not a checksum\n");

        var result = Pull();

        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("SHA256SUMS"), failure.Path);
        Assert.Contains("line 2", failure.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// docs: "files refused by policy are listed in SkippedPaths and do not [make Status failed]". A file the
    /// policy refuses stays refused even when SHA256SUMS lists it; otherwise every sync of the run fails forever.
    /// </summary>
    [Theory]
    [InlineData("cap")]
    [InlineData("deny")]
    [InlineData("exclude")]
    public void Pull_ListedInSumsButRefusedByPolicy_SkippedNotFailed(string policy)
    {
        var big = RandomBytes(4096, 3);
        _f.RemoteFile("data/big.bin", big);
        _f.RemoteFile("a.txt", "a");
        _f.RemoteFile("SHA256SUMS", $"{Sha("a")}  a.txt\n{Sha(big)}  data/big.bin\n");
        var request = policy switch
        {
            "cap" => _f.Request() with { MaxFileBytes = 1024 },
            "deny" => _f.Request() with { DenyPatterns = new[] { new GlobPattern(RunDir + "/data/**") } },
            _ => _f.Request() with { Exclude = new[] { new GlobPattern("data/*") } },
        };

        var result = Pull(request);

        Assert.Empty(result.Failures);
        AssertOk(result);
        SkippedFor(result, "data/big.bin");
        Assert.False(File.Exists(_f.Local("data/big.bin")));
    }

    // ---- policy ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("deny", "deny pattern")]
    [InlineData("allow", "allow_patterns")]
    [InlineData("include", "-Include")]
    [InlineData("exclude", "-Exclude")]
    [InlineData("cap", "exceeds cap")]
    public void Pull_PolicyRefusesFile_SkippedWithReasonOthersPulled(string policy, string reasonFragment)
    {
        _f.RemoteFile("metrics.json", "{}");
        _f.RemoteFile("data/raw.bin", RandomBytes(3000, 4));
        var request = policy switch
        {
            "deny" => _f.Request() with { DenyPatterns = new[] { new GlobPattern("experiments/*/data/*") } },
            "allow" => _f.Request() with { AllowPatterns = new[] { new GlobPattern(RunDir + "/*.json") } },
            "include" => _f.Request() with { Include = new[] { new GlobPattern("*.json") } },
            "exclude" => _f.Request() with { Exclude = new[] { new GlobPattern("data/*") } },
            _ => _f.Request() with { MaxFileBytes = 2999 },
        };

        var result = Pull(request);

        AssertOk(result);
        Assert.Equal(new[] { R("metrics.json") }, result.PulledPaths);
        Assert.Contains(reasonFragment, SkippedFor(result, "data/raw.bin").Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("data/raw.bin")));
        Assert.DoesNotContain(R("data/raw.bin"), result.VerifiedPaths);
    }

    [Fact]
    public void Pull_FileExactlyAtCap_Pulled()
    {
        _f.RemoteFile("exact.bin", RandomBytes(2048, 5));

        var result = Pull(_f.Request() with { MaxFileBytes = 2048 });

        Assert.Equal(new[] { R("exact.bin") }, result.PulledPaths);
    }

    [Fact]
    public void Pull_AllowPatternsAreRepoRelative_RunRelativePatternMatchesNothing()
    {
        _f.RemoteFile("metrics.json", "{}");

        var result = Pull(_f.Request() with { AllowPatterns = new[] { new GlobPattern("metrics.json") } });

        Assert.Empty(result.PulledPaths);
        Assert.Contains("allow_patterns", SkippedFor(result, "metrics.json").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Pull_ProtectedFiles_LocalCopiesNeverReplaced()
    {
        _f.RemoteFile("run_manifest.json", """{"status": "remote"}""", SyncFixture.DefaultTime.AddDays(1));
        _f.RemoteFile("logs/slurm_monitor.log", "remote monitor log", SyncFixture.DefaultTime.AddDays(1));
        _f.RemoteFile("logs/train.log", "train");
        _f.LocalFile("logs/slurm_monitor.log", "local monitor log");

        var result = Pull();

        Assert.Equal(LocalManifestText, File.ReadAllText(_f.ManifestPath));
        Assert.Equal("local monitor log", File.ReadAllText(_f.Local("logs/slurm_monitor.log")));
        Assert.Contains("protected", SkippedFor(result, "run_manifest.json").Reason, StringComparison.Ordinal);
        Assert.Contains("protected", SkippedFor(result, "logs/slurm_monitor.log").Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { R("logs/train.log") }, result.PulledPaths);
        AssertOk(result);
    }

    [Fact]
    public void Pull_ProtectedMonitorLogAbsentLocally_NotCreated()
    {
        _f.RemoteFile("logs/slurm_monitor.log", "remote monitor log");

        var result = Pull();

        Assert.False(File.Exists(_f.Local("logs/slurm_monitor.log")));
        Assert.Empty(result.PulledPaths);
    }

    // ---- symlinks, FIFOs, names that lead outside ----------------------------------------------------

    [Fact]
    public void Pull_SymlinkToFileOutsideAbsolute_PathEscapesDestination()
    {
        var secret = _f.Outside.Write("secret.txt", "do not copy");
        File.CreateSymbolicLink(_f.Remote.Combine("leak.txt"), secret);
        _f.RemoteFile("ok.txt", "ok");

        var result = Pull();

        Assert.StartsWith(ErrorIds.PathEscapesDestination, SkippedFor(result, "leak.txt").Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("leak.txt")));
        Assert.Equal(new[] { R("ok.txt") }, result.PulledPaths);
        AssertOk(result);
    }

    [Fact]
    public void Pull_SymlinkRelativeOutOfTheRoot_PathEscapesDestination()
    {
        using var parent = new TempDir();
        var root = Path.Combine(parent.Path, "run");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(parent.Path, "sibling.txt"), "outside the run");
        File.CreateSymbolicLink(Path.Combine(root, "up.txt"), "../sibling.txt");

        var result = Pull(source: new LocalDirectorySource(root));

        Assert.StartsWith(ErrorIds.PathEscapesDestination, SkippedFor(result, "up.txt").Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("up.txt")));
        Links.RemoveLinksAndSpecialFiles(parent.Path);
    }

    [Fact]
    public void Pull_DanglingSymlink_SkippedDangling()
    {
        File.CreateSymbolicLink(_f.Remote.Combine("gone.txt"), "does-not-exist.txt");

        var result = Pull();

        Assert.Contains("dangling", SkippedFor(result, "gone.txt").Reason, StringComparison.Ordinal);
        AssertOk(result);
        Assert.False(File.Exists(_f.Local("gone.txt")));
    }

    [Fact]
    public void Pull_SymlinkInsideToFile_PulledAsRegularFile()
    {
        _f.RemoteFile("checkpoints/epoch_9.pt", "weights of epoch 9", SyncFixture.DefaultTime);
        File.CreateSymbolicLink(_f.Remote.Combine("checkpoints", "latest.pt"), "epoch_9.pt");

        var result = Pull();

        Assert.Equal(new[] { R("checkpoints/epoch_9.pt"), R("checkpoints/latest.pt") }, result.PulledPaths);
        var local = new FileInfo(_f.Local("checkpoints/latest.pt"));
        Assert.Null(local.LinkTarget);
        Assert.Equal("weights of epoch 9", File.ReadAllText(local.FullName));
        Assert.Equal(SyncFixture.DefaultTime, local.LastWriteTimeUtc);
    }

    [Fact]
    public void Pull_SymlinkToDirectory_SkippedDirectorySyncedAsItself()
    {
        _f.RemoteFile("real/a.txt", "a");
        Directory.CreateSymbolicLink(_f.Remote.Combine("alias"), "real");

        var result = Pull();

        Assert.Contains("directory", SkippedFor(result, "alias").Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { R("real/a.txt") }, result.PulledPaths);
        Assert.False(Directory.Exists(_f.Local("alias")));
    }

    [Fact]
    public void Pull_SymlinkLoop_SkippedNoCrash()
    {
        File.CreateSymbolicLink(_f.Remote.Combine("loop1"), "loop2");
        File.CreateSymbolicLink(_f.Remote.Combine("loop2"), "loop1");
        _f.RemoteFile("ok.txt", "ok");

        var result = Pull();

        SkippedFor(result, "loop1");
        SkippedFor(result, "loop2");
        Assert.Equal(new[] { R("ok.txt") }, result.PulledPaths);
    }

    [Fact]
    public void Pull_Fifo_SkippedAndNeverOpened()
    {
        Links.MakeFifo(_f.Remote.Combine("pipe"));
        _f.RemoteFile("ok.txt", "ok");

        var result = Pull();

        Assert.Contains("FIFO", SkippedFor(result, "pipe").Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { R("ok.txt") }, result.PulledPaths);
        Assert.False(File.Exists(_f.Local("pipe")));
        AssertOk(result);
    }

    [Fact]
    public void Pull_LocalFolderIsSymlinkOutside_PathEscapesDestinationNothingWrittenOutside()
    {
        Directory.CreateSymbolicLink(_f.Local("logs"), _f.Outside.Path);
        _f.RemoteFile("logs/train.log", "train");
        _f.RemoteFile("metrics.json", "{}");

        var result = Pull();

        Assert.StartsWith(ErrorIds.PathEscapesDestination, SkippedFor(result, "logs/train.log").Reason, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_f.Outside.Path));
        Assert.Equal(new[] { R("metrics.json") }, result.PulledPaths);
    }

    [Fact]
    public void Pull_LocalFileIsSymlinkOutside_LinkReplacedTargetUntouched()
    {
        var victim = _f.Outside.Write("victim.txt", "precious");
        File.CreateSymbolicLink(_f.Local("metrics.json"), victim);
        _f.RemoteFile("metrics.json", "from the job");

        var result = Pull();

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Null(new FileInfo(_f.Local("metrics.json")).LinkTarget);
        Assert.Equal("from the job", File.ReadAllText(_f.Local("metrics.json")));
        Assert.Equal(new[] { R("metrics.json") }, result.PulledPaths);
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("sub/../../evil.txt")]
    [InlineData("/tmp/evil.txt")]
    [InlineData("./evil.txt")]
    [InlineData("a//evil.txt")]
    [InlineData("a\\..\\..\\evil.txt")]
    public void Pull_SourceListsUnsafeName_PathEscapesDestinationNothingWritten(string name)
    {
        var source = new ScriptedSource().Add(name, Encoding.UTF8.GetBytes("evil")).Add("ok.txt", Encoding.UTF8.GetBytes("ok"));

        var result = Pull(source: source);

        var skipped = Assert.Single(result.SkippedPaths);
        Assert.StartsWith(ErrorIds.PathEscapesDestination, skipped.Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { R("ok.txt") }, result.PulledPaths);
        Assert.DoesNotContain(source.Copies, c => c.Path == name);
        Assert.Equal(new[] { "ok.txt" }, _f.LocalFiles());
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_f.RunDirectory)!, "evil.txt")));
    }

    // ---- partial downloads and resume ----------------------------------------------------------------

    [Fact]
    public void Pull_PartialHoldsFirstHalf_CompletedOnlyRestTransferredPartialRemoved()
    {
        var bytes = RandomBytes(300_000, 6);
        _f.RemoteFile("big.bin", bytes);
        var partial = _f.PartialPath("big.bin", bytes.Length, SyncFixture.DefaultTime);
        Directory.CreateDirectory(_f.RunDirectory);
        File.WriteAllBytes(partial, bytes[..150_000]);
        var progress = new SyncProgress();

        var result = Pull(progress: progress);

        AssertOk(result);
        Assert.Equal(new[] { R("big.bin") }, result.PulledPaths);
        Assert.Equal(150_000, result.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("big.bin")));
        Assert.False(File.Exists(partial));
        Assert.Empty(_f.PartialsUnderRunDirectory());
        Assert.Equal(300_000, progress.BytesDone);
    }

    /// <summary>Partials that already hold the whole file (a stream cut before the source could confirm them) are confirmed in one batch and placed, not fetched again.</summary>
    [Fact]
    public void Pull_WholePartialsLeft_ConfirmedInOneBatchPlacedNotFetchedAgain()
    {
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in new[] { "a.bin", "b.bin", "sub/c.bin", "d.bin", "e.bin" })
        {
            bytes[name] = RandomBytes(3000, name.Length + name[0]);
            _f.RemoteFile(name, bytes[name]);
        }

        foreach (var name in new[] { "a.bin", "b.bin", "sub/c.bin" })
        {
            var partial = _f.PartialPath(name, 3000, SyncFixture.DefaultTime);
            Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
            File.WriteAllBytes(partial, bytes[name]);
        }

        var source = new RewritingSource(new LocalDirectorySource(_f.Remote.Path), _f.Remote.Path);

        var result = Pull(source: source);

        AssertOk(result);
        Assert.Equal(bytes.Keys.Select(R).Order(StringComparer.Ordinal), result.PulledPaths);
        Assert.Equal(2 * 3000, result.ByteCount);
        Assert.Contains(new[] { "a.bin", "b.bin", "sub/c.bin" }, source.StatCalls);
        Assert.All(bytes, kv => Assert.Equal(kv.Value, File.ReadAllBytes(_f.Local(kv.Key))));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Fact]
    public void Pull_ResumeInSubfolder_OffsetPassedToSource()
    {
        var bytes = RandomBytes(10_000, 7);
        var source = new ScriptedSource().Add("deep/dir/x.bin", bytes);
        var partial = _f.PartialPath("deep/dir/x.bin", bytes.Length, SyncFixture.DefaultTime);
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllBytes(partial, bytes[..4000]);

        var result = Pull(source: source);

        Assert.Equal(new[] { ("deep/dir/x.bin", 4000L) }, source.Copies);
        Assert.Equal(6000, result.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("deep/dir/x.bin")));
    }

    [Fact]
    public void Pull_StalePartialOtherSizeAndMtime_DiscardedFullDownload()
    {
        var bytes = RandomBytes(50_000, 8);
        _f.RemoteFile("big.bin", bytes);
        var stale = _f.PartialPath("big.bin", 49_999, SyncFixture.DefaultTime.AddDays(-1));
        Directory.CreateDirectory(_f.RunDirectory);
        File.WriteAllBytes(stale, RandomBytes(25_000, 99));

        var result = Pull();

        Assert.False(File.Exists(stale));
        Assert.Equal(50_000, result.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("big.bin")));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Fact]
    public void Pull_PartialLongerThanFile_DiscardedFullDownload()
    {
        var bytes = RandomBytes(1000, 9);
        _f.RemoteFile("f.bin", bytes);
        var partial = _f.PartialPath("f.bin", bytes.Length, SyncFixture.DefaultTime);
        Directory.CreateDirectory(_f.RunDirectory);
        File.WriteAllBytes(partial, RandomBytes(1500, 10));

        var result = Pull();

        Assert.Equal(1000, result.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("f.bin")));
    }

    /// <summary>
    /// A partial belongs to one file: resuming <c>metrics.json</c> must not depend on whether the file
    /// <c>metrics</c> beside it was transferred first (its stale-partial clean-up must not take the other's).
    /// </summary>
    [Fact]
    public void Pull_SiblingWhoseNameIsAPrefix_OtherFilesPartialKeptAndResumed()
    {
        var json = RandomBytes(20_000, 11);
        var source = new ScriptedSource { MaxConcurrency = 1 }
            .Add("metrics", Encoding.UTF8.GetBytes("plain"))
            .Add("metrics.json", json);
        var partial = _f.PartialPath("metrics.json", json.Length, SyncFixture.DefaultTime);
        Directory.CreateDirectory(_f.RunDirectory);
        File.WriteAllBytes(partial, json[..15_000]);

        var result = Pull(_f.Request() with { ThrottleLimit = 1 }, source);

        Assert.Equal(new[] { ("metrics", 0L), ("metrics.json", 15_000L) }, source.Copies);
        AssertOk(result);
        Assert.Equal(5 + 5_000, result.ByteCount);
        Assert.Equal(json, File.ReadAllBytes(_f.Local("metrics.json")));
    }

    [Fact]
    public void Pull_TransferCutOff_FailurePartialKeptThenResumed()
    {
        var bytes = RandomBytes(40_000, 12);
        var cut = new ScriptedSource().Add("ckpt.pt", bytes).Add("ok.txt", Encoding.UTF8.GetBytes("ok"));
        cut.StopAt["ckpt.pt"] = 10_000;

        var first = Pull(source: cut);

        Assert.Equal("failed", first.Status);
        var failure = Assert.Single(first.Failures);
        Assert.Equal(R("ckpt.pt"), failure.Path);
        Assert.Contains("cut off", failure.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("ckpt.pt")));
        var partial = _f.PartialPath("ckpt.pt", bytes.Length, SyncFixture.DefaultTime);
        Assert.Equal(10_000, new FileInfo(partial).Length);
        Assert.Equal(new[] { R("ok.txt") }, first.VerifiedPaths);

        var whole = new ScriptedSource().Add("ckpt.pt", bytes).Add("ok.txt", Encoding.UTF8.GetBytes("ok"));
        var second = Pull(source: whole);

        AssertOk(second);
        Assert.Equal(30_000, second.ByteCount);
        Assert.Contains(("ckpt.pt", 10_000L), whole.Copies);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("ckpt.pt")));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public void Pull_TransportErrorHalfWay_FailurePartialKept()
    {
        var bytes = RandomBytes(8000, 13);
        var source = new ScriptedSource().Add("x.bin", bytes);
        source.FailAt["x.bin"] = 3000;

        var result = Pull(source: source);

        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("x.bin"), failure.Path);
        Assert.Contains("connection reset by peer", failure.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("x.bin")));
        Assert.Equal(3000, new FileInfo(_f.PartialPath("x.bin", bytes.Length, SyncFixture.DefaultTime)).Length);
    }

    /// <summary>A local -Source file overwritten in place (same size) while it is copied: a failure, never a torn file under its name.</summary>
    [Fact]
    public void Pull_LocalFileRewrittenInPlaceDuringCopy_FailsNothingUnderFinalName()
    {
        _f.RemoteFile("ckpt.pt", RandomBytes(2 * 1024 * 1024, 16));
        _f.RemoteFile("metrics.json", "{}");
        var rewriting = new RewritingSource(new LocalDirectorySource(_f.Remote.Path), _f.Remote.Path) { DuringCopy = { "ckpt.pt" }, RewriteAfterBytes = 256 * 1024 };

        var result = Pull(source: rewriting);

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("ckpt.pt"), failure.Path);
        Assert.Contains("changed on the source during the transfer", failure.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(_f.Local("ckpt.pt")));
        Assert.Equal(new[] { R("metrics.json") }, result.PulledPaths);
        Assert.Empty(_f.PartialsUnderRunDirectory());

        var retry = Pull();

        AssertOk(retry);
        Assert.Equal(rewriting.NewContent["ckpt.pt"], File.ReadAllBytes(_f.Local("ckpt.pt")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Pull_LeftoverPartials_RemovedExactlyWhenRunIsTerminal(bool terminal)
    {
        _f.RemoteFile("ok.txt", "ok");
        Directory.CreateDirectory(_f.Local("sub"));
        var leftover1 = _f.Local(".gone.bin.10.1700000000" + ArtifactSyncEngine.PartSuffix);
        var leftover2 = _f.Local("sub/.old.txt.5.1600000000" + ArtifactSyncEngine.PartSuffix);
        File.WriteAllText(leftover1, "part");
        File.WriteAllText(leftover2, "pa");

        var result = Pull(_f.Request(terminal));

        AssertOk(result);
        Assert.Equal(!terminal, File.Exists(leftover1));
        Assert.Equal(!terminal, File.Exists(leftover2));
    }

    [Fact]
    public void Pull_CutOffInTerminalRun_PartialRemoved()
    {
        var source = new ScriptedSource().Add("x.bin", RandomBytes(5000, 14));
        source.StopAt["x.bin"] = 100;

        var result = Pull(_f.Request(terminal: true), source);

        Assert.Equal("failed", result.Status);
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Fact]
    public async Task Pull_Cancelled_OnlyPartialLeftThenResumed()
    {
        var bytes = RandomBytes(100_000, 15);
        _f.RemoteFile("big.bin", bytes);
        var gated = new GatedSource(_f.Remote.Path) { FirstChunk = 30_000 };
        using var cts = new CancellationTokenSource();

        var pull = Task.Run(() => _engine.Pull(_f.Request(), gated, new SyncProgress(), cts.Token));
        await gated.Started.Task.WaitAsync(Limit);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Limit));
        Assert.False(File.Exists(_f.Local("big.bin")), "a cancelled download must not appear under its final name");
        var partial = _f.PartialPath("big.bin", bytes.Length, SyncFixture.DefaultTime);
        Assert.Equal(new[] { Path.GetFileName(partial) }, _f.LocalFiles());
        Assert.Equal(bytes[..30_000], File.ReadAllBytes(partial));

        var resumed = Pull();

        AssertOk(resumed);
        Assert.Equal(70_000, resumed.ByteCount);
        Assert.Equal(bytes, File.ReadAllBytes(_f.Local("big.bin")));
        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    // ---- times, parallelism ------------------------------------------------------------------------

    [Fact]
    public void Pull_Mtimes_KeptOnEveryFile()
    {
        var t1 = new DateTime(2021, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        var t2 = new DateTime(2019, 12, 31, 23, 59, 58, DateTimeKind.Utc);
        _f.RemoteFile("a.txt", "a", t1);
        _f.RemoteFile("deep/b.txt", "b", t2);

        Pull();

        Assert.Equal(t1, File.GetLastWriteTimeUtc(_f.Local("a.txt")));
        Assert.Equal(t2, File.GetLastWriteTimeUtc(_f.Local("deep/b.txt")));
    }

    [Fact]
    public void Pull_ManyFilesInParallel_AllIntact()
    {
        var expected = new Dictionary<string, byte[]>();
        for (var i = 0; i < 150; i++)
        {
            var name = $"shard{i % 7}/part-{i:D4}.bin";
            expected[name] = RandomBytes(1000 + (i * 37), 100 + i);
            _f.RemoteFile(name, expected[name]);
        }

        var result = Pull(_f.Request() with { ThrottleLimit = 8 });

        AssertOk(result);
        Assert.Equal(150, result.FileCount);
        Assert.Equal(expected.Values.Sum(b => (long)b.Length), result.ByteCount);
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, File.ReadAllBytes(_f.Local(name)));
        }

        Assert.Empty(_f.PartialsUnderRunDirectory());
    }

    [Theory]
    [InlineData(1, 16, 1)]
    [InlineData(3, 16, 3)]
    [InlineData(10, 2, 2)]
    public void Pull_ThrottleLimit_BoundsConcurrentTransfers(int throttle, int sourceMax, int expected)
    {
        var source = new ScriptedSource { MaxConcurrency = sourceMax, Delay = TimeSpan.FromMilliseconds(40) };
        for (var i = 0; i < 24; i++)
        {
            source.Add($"f{i:D2}.txt", Encoding.UTF8.GetBytes("x" + i));
        }

        var result = Pull(_f.Request() with { ThrottleLimit = throttle }, source);

        Assert.Equal(24, result.FileCount);
        Assert.Equal(expected, source.MaxObservedConcurrency);
    }

    // ---- plan only (-WhatIf) -----------------------------------------------------------------------

    [Fact]
    public void Prepare_ListsChangesAndRefusals_WritesNothing()
    {
        _f.RemoteFile("new.txt", "new");
        _f.RemoteFile("same.txt", "same");
        _f.LocalFile("same.txt", "same");
        _f.RemoteFile("data/raw.bin", "raw");

        using var source = new LocalDirectorySource(_f.Remote.Path);
        var plan = _engine.Prepare(_f.Request() with { Exclude = new[] { new GlobPattern("data/*") } }, source, CancellationToken.None);

        Assert.Equal(new[] { "new.txt" }, plan.Changed.Select(c => c.RelativePath));
        Assert.Equal(new[] { "new.txt", "same.txt" }, plan.Files.Select(c => c.RelativePath).Order(StringComparer.Ordinal));
        Assert.Contains(plan.Skipped, s => s.Path == R("data/raw.bin"));
        Assert.Equal(3, plan.ChangedBytes);
        Assert.Equal(new[] { "same.txt" }, _f.LocalFiles());
    }

    [Fact]
    public void Pull_SourceRootMissing_RemotePathNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => Pull(source: new LocalDirectorySource(_f.Remote.Combine("nope"))));

        Assert.Equal(ErrorIds.RemotePathNotFound, error.ErrorId);
    }

    /// <summary>A source root reached through a symlink (e.g. /scratch -> /lustre/scratch) with an absolute link inside it.</summary>
    [Fact]
    public void Pull_SourceRootThroughSymlinkAbsoluteLinkInside_PulledNotEscaping()
    {
        _f.RemoteFile("real.txt", "real");
        File.CreateSymbolicLink(_f.Remote.Combine("abs-link.txt"), _f.Remote.Combine("real.txt"));
        var alias = _f.Outside.Combine("alias-of-remote");
        Directory.CreateSymbolicLink(alias, _f.Remote.Path);

        var result = Pull(source: new LocalDirectorySource(alias));

        Assert.Equal(new[] { R("abs-link.txt"), R("real.txt") }, result.PulledPaths);
    }

    // ---- shared filesystem: verify in place --------------------------------------------------------

    private ArtifactSyncResult VerifyInPlace(SyncRequest? request = null)
    {
        using var cts = new CancellationTokenSource(Limit);
        return _engine.VerifyInPlace(request ?? _f.Request(), cts.Token);
    }

    [Fact]
    public void VerifyInPlace_SumsMatch_OkEverythingVerifiedNothingCopied()
    {
        _f.LocalFile("metrics.json", "{}");
        _f.LocalFile("logs/a.log", "log");
        _f.LocalFile("SHA256SUMS", $"{Sha("{}")}  metrics.json\n{Sha("log")}  ./logs/a.log\n");

        var result = VerifyInPlace();

        AssertOk(result);
        Assert.Empty(result.Failures);
        Assert.Empty(result.PulledPaths);
        Assert.Equal(0, result.ByteCount);
        Assert.Equal(0, result.FileCount);
        Assert.Equal(RunDir, result.Destination);
        Assert.Equal(RunDir, result.Source);
        foreach (var path in new[] { "SHA256SUMS", "logs/a.log", "metrics.json" })
        {
            Assert.Contains(R(path), result.VerifiedPaths);
        }
    }

    [Fact]
    public void VerifyInPlace_EmptyFilesWithAndWithoutSums_Verified()
    {
        _f.LocalFile("job.err", string.Empty);
        _f.LocalFile("logs/empty.log", string.Empty);
        _f.LocalFile("SHA256SUMS", $"{Sha(string.Empty)}  job.err\n");

        var result = VerifyInPlace(_f.Request(terminal: true));

        AssertOk(result);
        Assert.Equal(new[] { R("SHA256SUMS"), R("job.err"), R("logs/empty.log") }, result.VerifiedPaths);
    }

    [Fact]
    public void VerifyInPlace_NoSums_OkAllFilesVerified()
    {
        _f.LocalFile("metrics.json", "{}");
        _f.LocalFile("out/x.bin", "x");

        var result = VerifyInPlace();

        AssertOk(result);
        Assert.Contains(R("metrics.json"), result.VerifiedPaths);
        Assert.Contains(R("out/x.bin"), result.VerifiedPaths);
    }

    [Fact]
    public void VerifyInPlace_FileDiffersFromSums_Failure()
    {
        _f.LocalFile("metrics.json", "{\"tampered\": true}");
        _f.LocalFile("SHA256SUMS", $"{Sha("{}")}  metrics.json\n");

        var result = VerifyInPlace();

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("metrics.json"), failure.Path);
        Assert.Contains("SHA256SUMS mismatch", failure.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(R("metrics.json"), result.VerifiedPaths);
        Assert.Equal("{\"tampered\": true}", File.ReadAllText(_f.Local("metrics.json")));
    }

    [Fact]
    public void VerifyInPlace_ListedButMissing_Failure()
    {
        _f.LocalFile("SHA256SUMS", $"{Sha("x")}  results/x.csv\n");

        var result = VerifyInPlace();

        Assert.Equal(R("results/x.csv"), Assert.Single(result.Failures).Path);
    }

    [Fact]
    public void VerifyInPlace_SymlinkLeadingOutside_PathEscapesDestination()
    {
        var secret = _f.Outside.Write("s.txt", "s");
        Directory.CreateDirectory(_f.RunDirectory);
        File.CreateSymbolicLink(_f.Local("s.txt"), secret);

        var result = VerifyInPlace();

        Assert.StartsWith(ErrorIds.PathEscapesDestination, SkippedFor(result, "s.txt").Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(R("s.txt"), result.VerifiedPaths);
    }

    [Fact]
    public void VerifyInPlace_RunDirectoryMissing_RemotePathNotFound()
    {
        var request = _f.Request() with { RunDirectory = _f.Repo.Combine("experiments", "plan", "iter1", "runs", "run_404") };

        var error = Assert.Throws<AutolabException>(() => VerifyInPlace(request));

        Assert.Equal(ErrorIds.RemotePathNotFound, error.ErrorId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void VerifyInPlace_LeftoverPartials_RemovedExactlyWhenTerminal(bool terminal)
    {
        _f.LocalFile("a.txt", "a");
        var leftover = _f.Local(".b.txt.3.1700000000" + ArtifactSyncEngine.PartSuffix);
        File.WriteAllText(leftover, "b");

        var result = VerifyInPlace(_f.Request(terminal));

        Assert.Equal(!terminal, File.Exists(leftover));
        Assert.DoesNotContain(result.VerifiedPaths, p => p.EndsWith(ArtifactSyncEngine.PartSuffix, StringComparison.Ordinal));
    }

    /// <summary>-WhatIf: the removal is planned (and named) first, and only what the caller approved is removed.</summary>
    [Fact]
    public void VerifyInPlace_LeftoverPartialsNotApproved_KeptButPlanned()
    {
        _f.LocalFile("a.txt", "a");
        var leftover = _f.Local("sub/.b.txt.3.1700000000" + ArtifactSyncEngine.PartSuffix);
        Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
        File.WriteAllText(leftover, "b");

        var planned = ArtifactSyncEngine.LeftoverPartials(_f.Request(terminal: true));
        using var cts = new CancellationTokenSource(Limit);
        var result = _engine.VerifyInPlace(_f.Request(terminal: true), Array.Empty<string>(), cts.Token);

        Assert.Equal(new[] { leftover }, planned);
        Assert.Empty(ArtifactSyncEngine.LeftoverPartials(_f.Request(terminal: false)));
        AssertOk(result);
        Assert.True(File.Exists(leftover));
    }

    // ---- could not run -----------------------------------------------------------------------------

    [Fact]
    public void CouldNotRun_Reason_FailedWithOneEmptyPathFailure()
    {
        var result = ArtifactSyncEngine.CouldNotRun(_f.Request(), "alice@login1:/r", "The host key of login1 has CHANGED", TimeSpan.FromSeconds(2));

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(string.Empty, failure.Path);
        Assert.Equal("The host key of login1 has CHANGED", failure.Reason);
        Assert.Empty(result.PulledPaths);
        Assert.Empty(result.VerifiedPaths);
        Assert.Empty(result.SkippedPaths);
        Assert.Equal(0, result.FileCount);
        Assert.Equal(0, result.ByteCount);
        Assert.Equal(RunDir, result.Destination);
        Assert.Equal("alice@login1:/r", result.Source);
        Assert.Equal(_f.ManifestPath, result.ManifestPath);
        Assert.Equal("run_001", result.RunId);
        Assert.Equal(TimeSpan.FromSeconds(2), result.Duration);
    }
}
