using System.Diagnostics;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// interface.md: LockTimeout when the ledger lock is not obtained in time; autolab-contract.md: lock
/// files never live in docs/ (the ledger lock goes under .autolab/locks/).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileLockTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Acquire_SecondOnSameLockPath_TimesOutWithLockTimeout()
    {
        var lockPath = _dir.Combine(".autolab", "locks", "slurm_job_list.md.lock");
        using var first = FileLock.Acquire(lockPath, Short, "the ledger", CancellationToken.None);

        var ex = Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "the ledger", CancellationToken.None));

        Assert.Equal(ErrorIds.LockTimeout, ex.ErrorId);
        Assert.Contains(lockPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acquire_AfterFirstDisposed_Succeeds()
    {
        var lockPath = _dir.Combine("locks", "a.lock");
        var first = FileLock.Acquire(lockPath, Short, "a", CancellationToken.None);
        Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "a", CancellationToken.None));

        first.Dispose();
        using var second = FileLock.Acquire(lockPath, Short, "a", CancellationToken.None);

        Assert.Equal(lockPath, second.LockPath);
    }

    [Fact]
    public async Task Acquire_ReleasedWhileWaiting_WaiterGetsTheLock()
    {
        var lockPath = _dir.Combine("locks", "w.lock");
        var first = FileLock.Acquire(lockPath, Short, "w", CancellationToken.None);
        var release = Task.Run(async () =>
        {
            await Task.Delay(150);
            first.Dispose();
        });

        using var second = FileLock.Acquire(lockPath, TimeSpan.FromSeconds(10), "w", CancellationToken.None);
        await release;

        Assert.NotNull(second);
    }

    [Fact]
    public void Acquire_DifferentLockPaths_AreIndependent()
    {
        using var a = FileLock.Acquire(_dir.Combine("locks", "a.lock"), Short, "a", CancellationToken.None);
        using var b = FileLock.Acquire(_dir.Combine("locks", "b.lock"), Short, "b", CancellationToken.None);

        Assert.NotEqual(a.LockPath, b.LockPath);
    }

    [Fact]
    public void Acquire_HeldByAnotherProcess_TimesOutWithLockTimeout()
    {
        var lockPath = _dir.Combine("locks", "x.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        using var holder = Process.Start(new ProcessStartInfo("flock", new[] { "-x", lockPath, "sleep", "30" }))!;
        try
        {
            // Wait until the other process holds it (flock -n fails while it is held).
            var held = false;
            for (var i = 0; i < 100 && !held; i++)
            {
                using var probe = Process.Start(new ProcessStartInfo("flock", new[] { "-n", lockPath, "true" }))!;
                probe.WaitForExit();
                held = probe.ExitCode != 0;
                if (!held)
                {
                    Thread.Sleep(50);
                }
            }

            Assert.True(held, "the helper process never took the lock");

            var ex = Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "x", CancellationToken.None));

            Assert.Equal(ErrorIds.LockTimeout, ex.ErrorId);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        using var after = FileLock.Acquire(lockPath, TimeSpan.FromSeconds(5), "x", CancellationToken.None);
        Assert.Equal(lockPath, after.LockPath);
    }

    [Fact]
    public void Acquire_CancelledToken_ThrowsOperationCanceled()
    {
        var lockPath = _dir.Combine("locks", "c.lock");
        using var first = FileLock.Acquire(lockPath, Short, "c", CancellationToken.None);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => FileLock.Acquire(lockPath, TimeSpan.FromSeconds(30), "c", cts.Token));
    }

    [Fact]
    public void Acquire_MissingDirectory_IsCreated()
    {
        var lockPath = _dir.Combine("deep", "er", "l.lock");

        using var held = FileLock.Acquire(lockPath, Short, "l", CancellationToken.None);

        Assert.True(File.Exists(lockPath));
    }

    [Fact]
    public void LockPathFor_InRepository_UnderAutolabLocksNotBesideTheTarget()
    {
        var root = _dir.Path;
        var ledger = _dir.Combine("docs", "slurm_job_list.md");

        var lockPath = FileLock.LockPathFor(ledger, root);

        Assert.Equal(Path.Combine(root, ".autolab", "locks"), Path.GetDirectoryName(lockPath));
        Assert.NotEqual(Path.GetDirectoryName(ledger), Path.GetDirectoryName(lockPath));
    }

    [Fact]
    public void LockPathFor_NoRepository_TheTargetsOwnFolderNoFileAnywhere()
    {
        var manifest = _dir.Combine("outside", "run_manifest.json");

        var lockPath = FileLock.LockPathFor(manifest, null);
        using (FileLock.Acquire(lockPath, Short, "m", CancellationToken.None))
        {
            Assert.Equal(Path.GetDirectoryName(manifest), lockPath);
            Assert.Empty(Directory.EnumerateFileSystemEntries(lockPath));
            // Another writer of the same file waits: the folder is locked, not a file one user owns.
            var ex = Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "m", CancellationToken.None));
            Assert.Equal(ErrorIds.LockTimeout, ex.ErrorId);
        }

        using var again = FileLock.Acquire(lockPath, Short, "m", CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "autolab-slurm-locks", Path.GetFileName(manifest))));
    }

    [Fact]
    public void Acquire_NoRepositoryTargetInAFolderNamedLikeALockFile_LocksThatFolder()
    {
        // Outside a repository the lock is the target's folder, whatever its name: a folder named x.lock is
        // still a folder, never opened as a lock file.
        var folder = _dir.Combine("results.lock");
        Directory.CreateDirectory(folder);
        var manifest = Path.Combine(folder, "run_manifest.json");

        var lockPath = FileLock.LockPathFor(manifest, null);
        using (FileLock.Acquire(lockPath, Short, "m", CancellationToken.None))
        {
            Assert.Equal(folder, lockPath);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
            var ex = Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "m", CancellationToken.None));
            Assert.Equal(ErrorIds.LockTimeout, ex.ErrorId);
        }

        using var again = FileLock.Acquire(lockPath, Short, "m", CancellationToken.None);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void Acquire_GroupSharedRepository_LockFolderAndFileWritableByTheGroupWhateverTheUmask()
    {
        var autolab = _dir.Combine("shared", ".autolab");
        Directory.CreateDirectory(autolab);
        File.SetUnixFileMode(autolab, (UnixFileMode)Convert.ToInt32("2775", 8));
        var lockPath = FileLock.LockPathFor(_dir.Combine("shared", "docs", "slurm_job_list.md"), _dir.Combine("shared"));

        using (FileLock.Acquire(lockPath, Short, "ledger", CancellationToken.None))
        {
        }

        var folder = File.GetUnixFileMode(Path.GetDirectoryName(lockPath)!);
        Assert.True(folder.HasFlag(UnixFileMode.GroupWrite) && folder.HasFlag(UnixFileMode.SetGroup), $"lock folder mode {Convert.ToString((int)folder, 8)}");
        var file = File.GetUnixFileMode(lockPath);
        Assert.True(file.HasFlag(UnixFileMode.GroupRead) && file.HasFlag(UnixFileMode.GroupWrite), $"lock file mode {Convert.ToString((int)file, 8)}");
    }

    [Fact]
    public void Acquire_PrivateRepository_LockFolderKeepsTheUmasksMode()
    {
        var autolab = _dir.Combine("private", ".autolab");
        Directory.CreateDirectory(autolab);
        File.SetUnixFileMode(autolab, (UnixFileMode)Convert.ToInt32("755", 8));
        var lockPath = FileLock.LockPathFor(_dir.Combine("private", "docs", "slurm_job_list.md"), _dir.Combine("private"));

        using (FileLock.Acquire(lockPath, Short, "ledger", CancellationToken.None))
        {
        }

        Assert.False(File.GetUnixFileMode(Path.GetDirectoryName(lockPath)!).HasFlag(UnixFileMode.SetGroup));
    }

    [Fact]
    public void Acquire_LocksFolderIsAFile_FileWriteFailedNamingIt()
    {
        Directory.CreateDirectory(_dir.Combine("repo", ".autolab"));
        File.WriteAllText(_dir.Combine("repo", ".autolab", "locks"), "not a folder");
        var lockPath = FileLock.LockPathFor(_dir.Combine("repo", "docs", "slurm_job_list.md"), _dir.Combine("repo"));

        var ex = Assert.Throws<AutolabException>(() => FileLock.Acquire(lockPath, Short, "the ledger", CancellationToken.None));

        Assert.Equal(ErrorIds.FileWriteFailed, ex.ErrorId);
        Assert.Contains(_dir.Combine("repo", ".autolab", "locks"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LockPathFor_SameTargetSamePathDifferentTargetsDifferentPaths()
    {
        var root = _dir.Path;
        var a1 = FileLock.LockPathFor(_dir.Combine("docs", "slurm_job_list.md"), root);
        var a2 = FileLock.LockPathFor(_dir.Combine("docs", ".", "slurm_job_list.md"), root);
        var b = FileLock.LockPathFor(_dir.Combine("other", "slurm_job_list.md"), root);

        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b);
    }
}
