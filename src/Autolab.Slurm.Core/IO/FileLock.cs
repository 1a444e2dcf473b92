using System.Diagnostics;
using System.Globalization;
using System.Text;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm.IO;

/// <summary>
/// An exclusive cross-process lock, dropped by the kernel when its holder dies (a killed writer never leaves
/// a lock behind). In a repository it is a lock file under <c>.autolab/locks/</c> (never beside the ledger
/// in <c>docs/</c>), opened with FileShare.None, which .NET on Unix backs with flock(2). Lock files are kept
/// (deleting them would race with waiters); in a group-shared repository (<c>.autolab/</c> group-writable)
/// the folder and its lock files get the group write bit, and the folder the setgid bit, so every member of
/// the group can take them whatever their umask. Outside a repository the lock is flock(2) on the target's
/// own folder: nothing is created, and every user who may replace the file (which needs that folder) can
/// take it; no folder owned by one user is involved.
/// </summary>
public sealed class FileLock : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a lock file that cannot be opened is retried: another member may be creating it (and about to open it up).</summary>
    private static readonly TimeSpan DeniedGrace = TimeSpan.FromSeconds(2);

    private readonly FileStream? _stream;
    private readonly int _directoryFd = -1;

    private FileLock(FileStream stream, string path)
    {
        _stream = stream;
        LockPath = path;
    }

    private FileLock(int directoryFd, string path)
    {
        _directoryFd = directoryFd;
        LockPath = path;
    }

    public string LockPath { get; }

    /// <summary>
    /// The lock for <paramref name="targetPath"/>: a file under the repository's <c>.autolab/locks/</c> when
    /// there is one, else the target's own folder (locked with flock; nothing is created there).
    /// </summary>
    public static string LockPathFor(string targetPath, string? repositoryRoot)
    {
        var full = Path.GetFullPath(targetPath);
        if (repositoryRoot is null)
        {
            return Path.GetDirectoryName(full)!;
        }

        // FNV-1a, not SHA-256: the name only has to tell targets apart, and the first SHA-256 call of a
        // process loads the crypto library (about 50 ms of a cold stage pass).
        var hash = Fnv1a64(Encoding.UTF8.GetBytes(full)).ToString("x16", CultureInfo.InvariantCulture);
        return Path.Combine(repositoryRoot, ".autolab", "locks", Path.GetFileName(full) + "." + hash + ".lock");
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    public static FileLock Acquire(string lockPath, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        // A lock file (under .autolab/locks) ends in ".lock" and is never an existing folder; anything else is
        // the target's own folder (a folder named x.lock included), created here if it is new (its writer needs
        // it anyway).
        var directoryLock = Directory.Exists(lockPath) || !lockPath.EndsWith(".lock", StringComparison.Ordinal);
        if (directoryLock)
        {
            try
            {
                Directory.CreateDirectory(lockPath);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw Denied(lockPath, folder: true, what, ex);
            }
        }
        else
        {
            EnsureLockFolder(Path.GetDirectoryName(lockPath)!, what);
        }

        var watch = Stopwatch.StartNew();
        var delay = 5;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (directoryLock)
                {
                    var fd = UnixFile.TryLockDirectory(lockPath);
                    if (fd >= 0)
                    {
                        return new FileLock(fd, lockPath);
                    }
                }
                else
                {
                    return new FileLock(OpenLockFile(lockPath), lockPath);
                }
            }
            catch (IOException ex) when (!IsHeldByAnother(ex))
            {
                // Not a lock held by someone else (a read-only file system, a full disk): waiting would not
                // help, and "another process" would not be true.
                throw new AutolabException(
                    ErrorIds.FileWriteFailed,
                    AutolabErrorCategory.WriteError,
                    $"Could not lock {what}: '{lockPath}' cannot be created or opened ({ErrorText.Clause(ex.Message)}); {what} was not written. Check that its folder is writable (a read-only file system?) and the disk has space.",
                    lockPath,
                    ex);
            }
            catch (IOException) when (watch.Elapsed < timeout)
            {
                // Held by another writer (FileShare.None): wait below.
            }
            catch (UnauthorizedAccessException) when (watch.Elapsed < DeniedGrace && watch.Elapsed < timeout)
            {
                // Another member may have just created the file and not yet given it the group write bit.
            }
            catch (UnauthorizedAccessException ex)
            {
                throw Denied(lockPath, directoryLock, what, ex);
            }
            catch (IOException ex)
            {
                throw Timeout(lockPath, what, timeout, ex);
            }

            if (watch.Elapsed >= timeout)
            {
                throw Timeout(lockPath, what, timeout, null);
            }

            // Back off a little, with jitter so waiters do not march in step.
            cancellationToken.WaitHandle.WaitOne(delay + Random.Shared.Next(0, delay));
            delay = Math.Min(delay * 2, 100);
        }
    }

    /// <summary>Opens (creating) a lock file; in a group-writable lock folder a file this process created gets the group write bit.</summary>
    private static FileStream OpenLockFile(string lockPath)
    {
        var stream = new FileStream(lockPath, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
        });

        // Every time, not only when created: a lock a member made before (or under another umask) is mended by its owner.
        GroupShare.LikeParent(lockPath);
        return stream;
    }

    /// <summary>
    /// Creates the lock folder when missing: under a group-writable <c>.autolab/</c> it gets the group write
    /// and setgid bits (whatever the umask), so locks made by one member can be taken by the others.
    /// </summary>
    private static void EnsureLockFolder(string folder, string what)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        if (File.Exists(folder))
        {
            throw new AutolabException(
                ErrorIds.FileWriteFailed,
                AutolabErrorCategory.WriteError,
                $"Could not lock {what}: '{folder}' is a file, where the module keeps its lock files. Move or remove it (it holds nothing the module wrote); nothing was written.",
                folder);
        }

        try
        {
            GroupShare.CreateDirectory(folder);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw Denied(folder, folder: true, what, ex);
        }
        catch (IOException ex) when (!Directory.Exists(folder))
        {
            throw new AutolabException(
                ErrorIds.FileWriteFailed,
                AutolabErrorCategory.WriteError,
                $"Could not lock {what}: the lock folder '{folder}' cannot be created ({ErrorText.Clause(ex.Message)}); nothing was written. Check that its parent folder is writable and the disk has space.",
                folder,
                ex);
        }
    }

    /// <summary>
    /// The error .NET reports when flock finds the file locked: on Unix its HResult is the errno, EWOULDBLOCK
    /// (11 on Linux); on Windows, ERROR_SHARING_VIOLATION.
    /// </summary>
    private static bool IsHeldByAnother(IOException ex) => ex.HResult is 11 || ex.HResult == unchecked((int)0x80070020);

    private static AutolabException Denied(string path, bool folder, string what, Exception inner)
    {
        var fix = GroupShare.GroupWriteAdvice(path, folder);
        return new AutolabException(
            ErrorIds.FileAccessDenied,
            AutolabErrorCategory.PermissionDenied,
            $"Could not lock {what}: '{path}' cannot be opened for writing by this user ({ErrorText.Clause(inner.Message)}); nothing was written. In a repository shared by a group, let the group write it: {fix}. The module creates new locks group-writable when .autolab/ is group-writable.",
            path,
            inner);
    }

    private static AutolabException Timeout(string lockPath, string what, TimeSpan timeout, Exception? inner) =>
        new(
            ErrorIds.LockTimeout,
            AutolabErrorCategory.ResourceBusy,
            string.Create(CultureInfo.InvariantCulture, $"Could not lock {what} within {timeout.TotalSeconds:0} s: another process holds '{lockPath}'. {what} was not written; try again when the other update has finished."),
            lockPath,
            inner);

    public void Dispose()
    {
        _stream?.Dispose();
        if (_directoryFd >= 0)
        {
            UnixFile.Unlock(_directoryFd);
        }
    }
}
