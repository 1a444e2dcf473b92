using System.Collections;
using System.Management.Automation;

namespace Autolab.Slurm.Tests;

/// <summary>
/// Tab completion as PowerShell runs it (TabExpansion2 in the module's runspace): -JobId from the real
/// scheduler, -Cluster from the real accounting, -ComputerName from an ssh config, -RunId from a repository
/// on disk, for the binary cmdlets and the script function alike.
/// </summary>
[Collection(RunspaceCollection.Name)]
public sealed class CompletionTests(ModuleRunspace module, SlurmJobs jobs) : ModuleTest(module, jobs)
{
    [Fact]
    public void GetSlurmJobState_JobIdPrefix_TheUsersHeldJobWithNameAndState()
    {
        var held = SlurmJobs.Submit("xunit-complete", "true", "--hold");
        try
        {
            var matches = Complete($"Get-SlurmJobState -JobId {held[..^1]}");

            var match = Assert.Single(matches, m => m.CompletionText == held);
            Assert.Equal(CompletionResultType.ParameterValue, match.ResultType);
            Assert.Equal($"{held} xunit-complete (PENDING, JobHeldUser)", match.ToolTip);
            // Positional too: Get-SlurmJobState <Tab>.
            Assert.Contains(Complete($"Get-SlurmJobState {held}"), m => m.CompletionText == held);
        }
        finally
        {
            SlurmJobs.Run("scancel", held);
        }
    }

    [Fact]
    public void GetSlurmJobState_Cluster_TheClustersOfTheAccounting()
    {
        var match = Assert.Single(Complete("Get-SlurmJobState -JobId 1 -Cluster auto"));

        Assert.Equal("autolab", match.CompletionText);
        Assert.StartsWith("Slurm cluster autolab", match.ToolTip, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Get-SlurmJobState -JobId 1")]
    [InlineData("Sync-RunArtifacts -ManifestPath x")]
    public void ComputerName_SshConfigPathTyped_ItsHostAliasesWithoutPatterns(string command)
    {
        var config = Path.Combine(Repo.Root, "ssh_config");
        File.WriteAllText(config, "Host login1 *.example.org\n    HostName 10.1.2.3\n    User alice\nHost gpu?\nHost login2\n");

        var matches = Complete($"{command} -SshConfigPath '{config}' -ComputerName ");

        Assert.Equal(new[] { "login1", "login2" }, matches.Select(m => m.CompletionText));
        Assert.Equal($"login1: alice@10.1.2.3 ({config})", matches[0].ToolTip);
    }

    [Theory]
    [InlineData("Invoke-SlurmMonitorStage")]
    [InlineData("New-SlurmMonitorPass")]
    public void RunId_RepositoryRootTyped_TheRunsUnderIt(string command)
    {
        Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        Repo.WriteManifest("run_002", Jobs.CompletedJobId, Jobs.SubmittedAt);

        var matches = Complete($"{command} -RepositoryRoot '{Repo.Root}' -RunId run_");

        Assert.Equal(new[] { "run_002", "run_001" }, matches.Select(m => m.CompletionText));
        Assert.Equal("experiments/plan/iter1/runs/run_002", matches[0].ToolTip);
    }

    [Theory]
    [InlineData("Invoke-SlurmMonitorStage")]
    [InlineData("New-SlurmMonitorPass")]
    public void RunId_NoRepositoryRoot_TheRunsOfTheRepositoryHoldingTheCurrentLocation(string command)
    {
        Repo.WriteManifest("run_007", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var inside = Path.Combine(Repo.Root, "experiments", "plan");
        var before = Module.Invoke("(Get-Location).ProviderPath").Output.Single().ToString();
        try
        {
            Module.Invoke("param($Path) Set-Location -LiteralPath $Path", new Hashtable { ["Path"] = inside }).AssertNoErrors();

            var matches = Complete($"{command} -RunId ");

            Assert.Equal(new[] { "run_007" }, matches.Select(m => m.CompletionText));
        }
        finally
        {
            Module.Invoke("param($Path) Set-Location -LiteralPath $Path", new Hashtable { ["Path"] = before }).AssertNoErrors();
        }
    }

    private List<CompletionResult> Complete(string line)
    {
        var result = Module.Invoke("param($Line) TabExpansion2 -inputScript $Line -cursorColumn $Line.Length", new Hashtable { ["Line"] = line }).AssertNoErrors();
        return ((CommandCompletion)Assert.Single(result.Output).BaseObject).CompletionMatches.ToList();
    }
}
