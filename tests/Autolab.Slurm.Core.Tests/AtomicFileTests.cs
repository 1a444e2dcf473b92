using System.Diagnostics;
using System.Text;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "Output format": a file is rewritten atomically, keeping its mode and owner;
/// a file whose mode has no write bit is refused (FileReadOnly), even for root (interface.md, error ids).
/// Temp files never stay behind; a symlinked target stays a link and its target gets the content.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AtomicFileTests : IDisposable
{
    private const UnixFileMode Mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private const UnixFileMode Mode0444 = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Owner(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("stat", new[] { "-c", "%u:%g", path }) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    private static int Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    private string[] FileNames(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void WriteAllText_ExistingFile0640_ModeKeptAndBytesExactWithoutBom()
    {
        var path = _dir.Write("m/run_manifest.json", "old\n");
        File.SetUnixFileMode(path, Mode0640);
        const string content = "{\n  \"label\": \"café 😀 a+b<c>&'d'\"\n}\n";

        AtomicFile.WriteAllText(path, content);

        Assert.Equal(Mode0640, File.GetUnixFileMode(path));
        Assert.Equal(new UTF8Encoding(false).GetBytes(content), File.ReadAllBytes(path));
        Assert.Equal((byte)'{', File.ReadAllBytes(path)[0]);
    }

    [Theory]
    [InlineData(0b110_000_000)]
    [InlineData(0b110_110_100)]
    [InlineData(0b100_110_000)]
    [InlineData(0b100_100_110)]
    [InlineData(0b111_101_101)]
    public void WriteAllText_AnyWriteBit_WrittenAndModeKept(int mode)
    {
        var path = _dir.Write("f.json", "old\n");
        File.SetUnixFileMode(path, (UnixFileMode)mode);

        AtomicFile.WriteAllText(path, "new\n");

        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void WriteAllText_NewFile_CreatedWithExactBytes()
    {
        var path = _dir.Combine("new.json");

        AtomicFile.WriteAllText(path, "{}\n");

        Assert.Equal("{}\n"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal(new[] { "new.json" }, FileNames(_dir.Path));
    }

    [Theory]
    [InlineData(0b100_100_100)]
    [InlineData(0b100_000_000)]
    [InlineData(0b101_101_101)]
    [InlineData(0)]
    public void WriteAllText_NoWriteBit_FileReadOnlyAndFileUnchanged(int mode)
    {
        // Tests run as root, who could write anyway: the mode is honoured on purpose.
        var path = _dir.Write("ro/run_manifest.json", "original\n");
        File.SetUnixFileMode(path, (UnixFileMode)mode);
        var before = File.ReadAllBytes(path);
        var time = File.GetLastWriteTimeUtc(path);

        var ex = Assert.Throws<AutolabException>(() => AtomicFile.WriteAllText(path, "changed\n"));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(path));
        Assert.Equal(time, File.GetLastWriteTimeUtc(path));
        Assert.Equal(new[] { "run_manifest.json" }, FileNames(_dir.Combine("ro")));
    }

    [Fact]
    public void EnsureWritable_ReadOnly_FileReadOnly()
    {
        var path = _dir.Write("ledger.md", "x\n");
        File.SetUnixFileMode(path, Mode0444);

        var ex = Assert.Throws<AutolabException>(() => AtomicFile.EnsureWritable(path, "ledger"));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
    }

    [Fact]
    public void EnsureWritable_MissingFile_IsFine()
    {
        AtomicFile.EnsureWritable(_dir.Combine("absent.json"), "manifest");
    }

    [Fact]
    public void WriteAllText_OwnedByAnotherUser_OwnerKept()
    {
        var path = _dir.Write("owned.json", "old\n");
        var canChown = Run("chown", "1234:2345", path) == 0;
        var ownerBefore = Owner(path);
        if (canChown)
        {
            Assert.Equal("1234:2345", ownerBefore);
        }

        AtomicFile.WriteAllText(path, "new\n");

        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal(ownerBefore, Owner(path));
    }

    [Fact]
    public void WriteAllText_Done_NoTempFileLeftBeside()
    {
        var path = _dir.Write("d/run_manifest.json", "old\n");

        for (var i = 0; i < 5; i++)
        {
            AtomicFile.WriteAllText(path, $"v{i}\n");
        }

        Assert.Equal(new[] { "run_manifest.json" }, FileNames(_dir.Combine("d")));
    }

    [Fact]
    public void WriteAllText_ReplacesByRename_OldInodeKeepsOldContentForOpenReaders()
    {
        // Atomic replace: a reader holding the old file sees the old bytes, never a torn mix.
        var path = _dir.Write("r.json", "old content\n");
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        AtomicFile.WriteAllText(path, "new content that is longer\n");

        using var sr = new StreamReader(reader);
        Assert.Equal("old content\n", sr.ReadToEnd());
        Assert.Equal("new content that is longer\n", File.ReadAllText(path));
    }

    [Fact]
    public void RemoveStaleTemps_TempsOfTheTarget_RemovedOthersKept()
    {
        // The module's temp files are ".<name>.<pid>-<id>.autolab-tmp" beside the target.
        var path = _dir.Write("s/run_manifest.json", "{}\n");
        _dir.Write("s/.run_manifest.json.4242-deadbeef.autolab-tmp", "torn");
        _dir.Write("s/.run_manifest.json.1-00000000.autolab-tmp", "torn");
        _dir.Write("s/.other.json.1-00000000.autolab-tmp", "someone else's");
        _dir.Write("s/run_manifest.json.bak", "backup");
        _dir.Write("s/.run_manifest.json.swp", "editor");

        var removed = AtomicFile.RemoveStaleTemps(path);

        Assert.Equal(2, removed);
        Assert.Equal(
            new[] { ".other.json.1-00000000.autolab-tmp", ".run_manifest.json.swp", "run_manifest.json", "run_manifest.json.bak" },
            FileNames(_dir.Combine("s")));
    }

    [Fact]
    public void RemoveStaleTemps_MissingDirectory_RemovesNothing()
    {
        Assert.Equal(0, AtomicFile.RemoveStaleTemps(_dir.Combine("nope", "run_manifest.json")));
    }

    [Theory]
    [InlineData(".run_manifest.json.12-abcdef01.autolab-tmp", true)]
    [InlineData("run_manifest.json", false)]
    [InlineData(".run_manifest.json.swp", false)]
    public void IsTempFileName_Names_Recognised(string name, bool expected)
    {
        Assert.Equal(expected, AtomicFile.IsTempFileName(name));
    }

    [Fact]
    public void WriteAllText_SymlinkedTarget_LinkStaysALinkTargetGetsContent()
    {
        var real = _dir.Write("real/slurm_job_list.md", "old\n");
        File.SetUnixFileMode(real, Mode0640);
        Directory.CreateDirectory(_dir.Combine("docs"));
        var link = _dir.Combine("docs", "slurm_job_list.md");
        File.CreateSymbolicLink(link, "../real/slurm_job_list.md");

        AtomicFile.WriteAllText(link, "new\n");

        var linkInfo = new FileInfo(link);
        Assert.Equal("../real/slurm_job_list.md", linkInfo.LinkTarget);
        Assert.Equal("new\n", File.ReadAllText(real));
        Assert.Equal("new\n", File.ReadAllText(link));
        Assert.Equal(Mode0640, File.GetUnixFileMode(real));
        Assert.Equal(new[] { "slurm_job_list.md" }, FileNames(_dir.Combine("docs")));
        Assert.Equal(new[] { "slurm_job_list.md" }, FileNames(_dir.Combine("real")));
    }

    [Fact]
    public void WriteAllText_ChainOfSymlinks_FinalTargetWritten()
    {
        var real = _dir.Write("real.json", "old\n");
        var first = _dir.Combine("first.json");
        var second = _dir.Combine("second.json");
        File.CreateSymbolicLink(first, real);
        File.CreateSymbolicLink(second, first);

        AtomicFile.WriteAllText(second, "new\n");

        Assert.Equal(first, new FileInfo(second).LinkTarget);
        Assert.Equal(real, new FileInfo(first).LinkTarget);
        Assert.Equal("new\n", File.ReadAllText(real));
        Assert.Equal(Path.GetFullPath(real), AtomicFile.ResolveTarget(second));
    }

    [Fact]
    public void WriteAllText_SymlinkToReadOnlyFile_FileReadOnlyAndUnchanged()
    {
        var real = _dir.Write("real.json", "old\n");
        File.SetUnixFileMode(real, Mode0444);
        var link = _dir.Combine("link.json");
        File.CreateSymbolicLink(link, real);

        var ex = Assert.Throws<AutolabException>(() => AtomicFile.WriteAllText(link, "new\n"));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Equal("old\n", File.ReadAllText(real));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void AppendLine_ExistingAndMissingFile_AppendsOneLine()
    {
        var log = _dir.Combine("logs", "slurm_monitor.log");

        AtomicFile.AppendLine(log, "first");
        AtomicFile.AppendLine(log, "second é");

        Assert.Equal(new UTF8Encoding(false).GetBytes("first\nsecond é\n"), File.ReadAllBytes(log));
    }
}
