using System.Diagnostics;
using System.Globalization;
using System.Text;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm.IO;

/// <summary>
/// An exclusive cross-process lock: a lock file opened with FileShare.None, which .NET on Unix
/// backs with flock(2). The kernel drops it when the holder dies, so a killed writer never leaves
/// a lock behind. Lock files are kept (deleting them would race with waiters) under
/// <c>.autolab/locks/</c>, never beside the ledger in <c>docs/</c>.
/// </summary>
public sealed class FileLock : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly FileStream _stream;

    private FileLock(FileStream stream, string path)
    {
        _stream = stream;
        LockPath = path;
    }

    public string LockPath { get; }

    /// <summary>The lock file for <paramref name="targetPath"/>: under the repository's <c>.autolab/locks/</c> when there is one, else in the temp folder.</summary>
    public static string LockPathFor(string targetPath, string? repositoryRoot)
    {
        var full = Path.GetFullPath(targetPath);
        // FNV-1a, not SHA-256: the name only has to tell targets apart, and the first SHA-256 call of a
        // process loads the crypto library (about 50 ms of a cold stage pass).
        var hash = Fnv1a64(Encoding.UTF8.GetBytes(full)).ToString("x16", CultureInfo.InvariantCulture);
        var name = Path.GetFileName(full) + "." + hash + ".lock";
        var directory = repositoryRoot is null
            ? Path.Combine(Path.GetTempPath(), "autolab-slurm-locks")
            : Path.Combine(repositoryRoot, ".autolab", "locks");
        return Path.Combine(directory, name);
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
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        var watch = Stopwatch.StartNew();
        var delay = 5;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new FileLock(stream, lockPath);
            }
            catch (IOException) when (watch.Elapsed < timeout)
            {
                // Held by another writer: back off a little, with jitter so waiters do not march in step.
                cancellationToken.WaitHandle.WaitOne(delay + Random.Shared.Next(0, delay));
                delay = Math.Min(delay * 2, 100);
            }
            catch (IOException ex)
            {
                throw new AutolabException(
                    ErrorIds.LockTimeout,
                    AutolabErrorCategory.ResourceBusy,
                    string.Create(CultureInfo.InvariantCulture, $"Could not lock {what} within {timeout.TotalSeconds:0} s: another process holds '{lockPath}'. Nothing was written; try again when the other update has finished."),
                    lockPath,
                    ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
