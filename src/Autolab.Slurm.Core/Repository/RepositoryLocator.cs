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
}
