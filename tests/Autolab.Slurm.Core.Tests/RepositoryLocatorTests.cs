using Autolab.Slurm.Repository;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>The one "is this path below that folder" check the ledger, the artifact sync and the writers share.</summary>
public sealed class RepositoryLocatorTests
{
    [Theory]
    [InlineData("/repo", "/repo/docs/slurm_job_list.md", true)]
    [InlineData("/repo/", "/repo/docs/slurm_job_list.md", true)]
    [InlineData("/", "/repo", true)]
    [InlineData("/repo", "/repo", false)]
    [InlineData("/repo/", "/repo", false)]
    [InlineData("/repo", "/repository/x", false)]
    [InlineData("/repo", "/other/repo/x", false)]
    [InlineData("/Repo", "/repo/x", false)]
    public void IsInside_BelowTheFolderOnlyTextOrdinal(string root, string path, bool inside) =>
        Assert.Equal(inside, RepositoryLocator.IsInside(root, path));
}
