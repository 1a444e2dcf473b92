using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;

namespace Autolab.Slurm.Repository;

/// <summary>Finds the autolab repository root: the nearest parent directory that holds <c>.autolab/</c>.</summary>
public static class RepositoryLocator
{
    public const string AutolabDirectoryName = ".autolab";

    public static string? FindRoot(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full).Directory;
        while (directory is not null)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, AutolabDirectoryName)))
            {
                return directory.FullName;
            }

            directory = directory.Parent;
        }

        return null;
    }

    public static string DefaultLedgerPath(string repositoryRoot) => Path.Combine(repositoryRoot, "docs", "slurm_job_list.md");

    public static string RepositorySchemaPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, AutolabDirectoryName, "schemas", "run_manifest.schema.json");

    /// <summary>A path relative to the repository root with '/' separators (how autolab names files).</summary>
    public static string ToRepoRelative(string repositoryRoot, string path) =>
        Path.GetRelativePath(repositoryRoot, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Where a write to <paramref name="path"/> really lands: every symlink resolved; for a file that does not
    /// exist yet, its nearest existing folder resolved plus the rest of the path.
    /// </summary>
    public static string RealPathOf(string path)
    {
        var full = Path.GetFullPath(path);
        var rest = new Stack<string>();
        var current = full;
        while (true)
        {
            if (UnixFile.RealPath(current) is { } real)
            {
                return rest.Aggregate(real, Path.Combine);
            }

            var parent = Path.GetDirectoryName(current);
            if (parent is null)
            {
                return full;
            }

            rest.Push(Path.GetFileName(current));
            current = parent;
        }
    }

    /// <summary>
    /// Whether the full path <paramref name="path"/> lies below the folder <paramref name="root"/> (not the folder
    /// itself): a text check, ordinal, with no symlink resolved; a trailing separator on the root is ignored.
    /// </summary>
    public static bool IsInside(string root, string path)
    {
        var folder = Path.TrimEndingDirectorySeparator(root);
        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// Refuses a write whose real target (symlinks followed) leaves the repository: no writer ever writes
    /// outside the repository root it resolved (a run's log, manifest or the ledger made a symlink to a file
    /// elsewhere is refused, not written through).
    /// </summary>
    public static void EnsureInside(string repositoryRoot, string path, string what)
    {
        var root = RealPathOf(repositoryRoot);
        var target = RealPathOf(path);
        if (!IsInside(root, target))
        {
            throw new AutolabException(
                ErrorIds.PathOutsideRepository,
                AutolabErrorCategory.PermissionDenied,
                $"The {what} '{Path.GetFullPath(path)}' leads outside the repository '{repositoryRoot}' (to '{target}', through a symbolic link or '..'); the module writes only inside the repository, so nothing was written. Replace the link with a regular file.",
                Path.GetFullPath(path));
        }
    }
}
