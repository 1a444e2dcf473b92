using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Repository;

namespace Autolab.Slurm.Artifacts;

public enum SourceEntryKind
{
    File,
    Directory,
    Symlink,
    Other,
}

/// <summary>One entry below the source root as listed (symlinks not followed). Paths are relative, with '/'.</summary>
public sealed record SourceEntry(string RelativePath, SourceEntryKind Kind, long Size, DateTimeOffset LastWriteTime, string? KindName = null);

/// <summary>What a symlink leads to: a regular file inside the root, or the reason it is refused.</summary>
public sealed record SymlinkResolution(SourceEntry? Target, string? Reason, bool Escapes = false);

/// <summary>Where artifacts come from: a local directory, or a run directory on a login node over SFTP.</summary>
public interface IArtifactSource : IDisposable
{
    /// <summary>How to name the source in results and messages (<c>/path</c> or <c>user@host:/path</c>).</summary>
    string Display { get; }

    /// <summary>How many transfers may usefully run at once.</summary>
    int MaxConcurrency { get; }

    /// <summary>Every entry below the root, recursively; throws RemotePathNotFound when the root is missing.</summary>
    IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken);

    /// <summary>Resolves a symlink entry to the regular file it leads to, when that file is inside the root.</summary>
    SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken);

    /// <summary>Copies the file's bytes from <paramref name="offset"/> on into <paramref name="destination"/>, reporting byte counts.</summary>
    Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken);

    /// <summary>
    /// The files' size and modification time as they are now, symlinks followed; a file that is gone or no
    /// longer a regular file is absent from the result. Asked after a transfer: a file whose size or time
    /// moved since the listing may have been rewritten while its bytes were read.
    /// </summary>
    Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken);
}

/// <summary>
/// A source that can send many files in one stream (a tar over SSH): one round trip for all of them
/// instead of several per file.
/// </summary>
public interface IBulkArtifactSource
{
    /// <summary>
    /// Streams <paramref name="entries"/>, calling <paramref name="receive"/> for each file that arrived whole
    /// (possibly from several threads at once: <paramref name="receive"/> must be thread-safe).
    /// Returns the relative paths delivered; the caller transfers the others one by one.
    /// </summary>
    Task<IReadOnlySet<string>> CopyManyAsync(IReadOnlyList<SourceEntry> entries, Func<SourceEntry, Stream, CancellationToken, Task> receive, CancellationToken cancellationToken);
}

/// <summary>A local directory as a source (<c>-Source /some/dir</c>), and the shared-filesystem check.</summary>
public sealed class LocalDirectorySource : IArtifactSource
{
    private readonly string _root;

    private readonly string _realRoot;

    public LocalDirectorySource(string root)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

        // Links are judged against the root's real path, so a root reached through a symlink still
        // accepts absolute links that stay inside it.
        _realRoot = UnixFile.RealPath(_root) ?? _root;
    }

    public string Display => _root;

    public int MaxConcurrency => 4;

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            throw new AutolabException(
                ErrorIds.RemotePathNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The source directory '{_root}' does not exist. Check -Source, or wait until the job has written its run directory.",
                _root);
        }

        var entries = new List<SourceEntry>();
        Walk(new DirectoryInfo(_root), string.Empty, entries, cancellationToken);
        return entries;
    }

    private static void Walk(DirectoryInfo directory, string prefix, List<SourceEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var info in directory.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = prefix + info.Name;
            var type = UnixFile.GetFileType(info.FullName);
            if (info.LinkTarget is not null || type == UnixFileType.Symlink)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Symlink, 0, info.LastWriteTimeUtc));
            }
            else if (info is DirectoryInfo child)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Directory, 0, info.LastWriteTimeUtc));
                Walk(child, relative + "/", entries, cancellationToken);
            }
            else if (type is null or UnixFileType.Regular)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.File, ((FileInfo)info).Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)));
            }
            else
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Other, 0, info.LastWriteTimeUtc, TypeName(type.Value)));
            }
        }
    }

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken)
    {
        var full = Path.Combine(_root, link.RelativePath);
        var targetPath = UnixFile.RealPath(full);
        if (targetPath is null)
        {
            return new SymlinkResolution(null, "dangling symlink");
        }

        if (!RepositoryLocator.IsInside(_realRoot, targetPath))
        {
            return new SymlinkResolution(null, $"symlink leads outside the run directory (to {targetPath})", Escapes: true);
        }

        if (Directory.Exists(targetPath))
        {
            return new SymlinkResolution(null, "symlink to a directory (its target is synced as itself)");
        }

        var type = UnixFile.GetFileType(targetPath);
        if (type is not (null or UnixFileType.Regular))
        {
            return new SymlinkResolution(null, $"symlink to a {TypeName(type.Value)}, not a regular file");
        }

        var file = new FileInfo(targetPath);
        return new SymlinkResolution(new SourceEntry(link.RelativePath, SourceEntryKind.File, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero)), null);
    }

    public async Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        var full = Path.Combine(_root, relativePath);
        await using var source = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        source.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            progress(read);
        }
    }

    public Task<IReadOnlyDictionary<string, SourceEntry>> StatAsync(IReadOnlyCollection<string> relativePaths, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, SourceEntry>(StringComparer.Ordinal);
        foreach (var relative in relativePaths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var target = UnixFile.RealPath(Path.Combine(_root, relative));
            if (target is not null && UnixFile.GetFileType(target) is null or UnixFileType.Regular && new FileInfo(target) is { Exists: true } file)
            {
                found[relative] = new SourceEntry(relative, SourceEntryKind.File, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, SourceEntry>>(found);
    }

    public void Dispose()
    {
    }

    internal static string TypeName(UnixFileType type) => type switch
    {
        UnixFileType.Fifo => "FIFO",
        UnixFileType.Socket => "socket",
        UnixFileType.CharacterDevice => "character device",
        UnixFileType.BlockDevice => "block device",
        _ => type.ToString().ToLowerInvariant(),
    };
}
