using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Core.Tests.Ssh;
using Autolab.Slurm.Models;
using Autolab.Slurm.Ssh;
using Xunit;
using static Autolab.Slurm.Core.Tests.Artifacts.SyncFixture;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// A pull into a run directory whose filesystem fills up: a 1 MB tmpfs mounted on the run directory (the
/// tests run as root). A download that fails for lack of space must not keep its partial: it would hold the
/// space and make every later write fail (the other artifacts, the manifest, the ledger).
/// </summary>
[Collection(SshdCollection.Name)]
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DiskFullTests : IDisposable
{
    private const long TmpfsBytes = 1024 * 1024;
    private readonly SyncFixture _f = new();
    private readonly LiveSsh _ssh = new();
    private readonly bool _mounted;

    public DiskFullTests()
    {
        LiveSsh.RunLocal("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "autolab-test-full", _f.RunDirectory);
        _mounted = true;
        File.WriteAllText(_f.ManifestPath, LocalManifestText);
    }

    public void Dispose()
    {
        if (_mounted)
        {
            LiveSsh.RunLocal("umount", _f.RunDirectory);
        }

        _ssh.Dispose();
        _f.Dispose();
    }

    private IArtifactSource Source(string kind) => kind == "local"
        ? new LocalDirectorySource(_f.Remote.Path)
        : _ssh.Own(new SftpArtifactSource(_ssh.Session(_ssh.Options()), _f.Remote.Path));

    private ArtifactSyncResult Pull(IArtifactSource source, int throttle)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return new ArtifactSyncEngine().Pull(_f.Request() with { ThrottleLimit = throttle }, source, new SyncProgress(), cts.Token);
    }

    private long FreeBytes() => new DriveInfo(_f.RunDirectory).AvailableFreeSpace;

    private static void AssertDiskFullFailure(SyncFailure failure)
    {
        Assert.Contains("no space left on device", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("the partial download was removed", failure.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("kept", failure.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// One file too big for the disk, then one that fits (one transfer at a time, in listing order): the big
    /// one fails and leaves no partial, so the small one still lands and the space is free again.
    /// </summary>
    [Theory]
    [InlineData("local")]
    [InlineData("sftp")]
    public void Pull_FileLargerThanFreeSpace_FailsPartialRemovedNextFileStillLands(string kind)
    {
        _f.RemoteFile("big.bin", RandomBytes(1536 * 1024, 71));
        var metrics = RandomBytes(400 * 1024, 72);
        _f.RemoteFile("metrics.bin", metrics);

        var result = Pull(Source(kind), throttle: 1);

        Assert.Equal("failed", result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(R("big.bin"), failure.Path);
        AssertDiskFullFailure(failure);
        Assert.Empty(_f.PartialsUnderRunDirectory());
        Assert.False(File.Exists(_f.Local("big.bin")));
        Assert.Equal(new[] { R("metrics.bin") }, result.PulledPaths);
        Assert.Equal(metrics, File.ReadAllBytes(_f.Local("metrics.bin")));
        Assert.True(FreeBytes() >= TmpfsBytes - metrics.Length - (64 * 1024), $"only {FreeBytes()} bytes free: something still holds the space");
    }

    /// <summary>Many small files through the one-stream (tar) path, more than the disk holds: every file that did not fit fails cleanly.</summary>
    [Fact]
    public void Pull_ManySmallFilesOverflowInBulk_EachFailureRemovesItsPartial()
    {
        var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < 12; i++)
        {
            expected[$"shard-{i:D2}.bin"] = RandomBytes(150 * 1024, 80 + i);
            _f.RemoteFile($"shard-{i:D2}.bin", expected[$"shard-{i:D2}.bin"]);
        }

        var result = Pull(Source("sftp"), throttle: 4);

        Assert.Equal("failed", result.Status);
        Assert.NotEmpty(result.Failures);
        Assert.All(result.Failures, AssertDiskFullFailure);
        Assert.Empty(_f.PartialsUnderRunDirectory());
        Assert.NotEmpty(result.PulledPaths);
        foreach (var pulled in result.PulledPaths)
        {
            var name = pulled[(pulled.LastIndexOf('/') + 1)..];
            Assert.Equal(expected[name], File.ReadAllBytes(_f.Local(name)));
        }

        Assert.Equal(12, result.PulledPaths.Count + result.Failures.Count);
    }
}
