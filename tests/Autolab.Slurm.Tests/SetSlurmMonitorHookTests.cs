using System.Collections;
using System.Management.Automation;

namespace Autolab.Slurm.Tests;

/// <summary>
/// Set-SlurmMonitorHook on a policy file shaped as autolab init writes it (the slurm.monitor section of its
/// scaffold, mode 0444): both templates written once and then unchanged, the mode kept with -Force, a
/// read-only file refused without it, -WhatIf and a missing policy writing nothing.
/// </summary>
[Collection(RunspaceCollection.Name)]
public sealed class SetSlurmMonitorHookTests(ModuleRunspace module, SlurmJobs jobs) : ModuleTest(module, jobs)
{
    private const string Policy = """
        # autolab verifier policy (excerpt of the scaffold's shape)
        slurm:
          lifecycle_strict: true
          monitor:
            # One-shot scheduler poll command. Leave blank to skip polling.
            poll_command_template: ""
            poll_timeout_seconds: 30
            # Optional one-shot sync command after a completed scheduler state.
            sync_command_template: ""
            sync_timeout_seconds: 120

        """;

    private string PolicyPath => Path.Combine(Repo.Root, ".autolab", "verifier_policy.yaml");

    private PsResult Set(string extra = "") =>
        Module.Invoke("param($Root) Set-SlurmMonitorHook -RepositoryRoot $Root -PassThru " + extra, new Hashtable { ["Root"] = Repo.Root });

    private void WritePolicy(UnixFileMode mode)
    {
        File.WriteAllText(PolicyPath, Policy);
        File.SetUnixFileMode(PolicyPath, mode);
    }

    [Fact]
    public void Force_ReadOnlyPolicy_BothTemplatesWrittenModeKeptAndASecondRunChangesNothing()
    {
        WritePolicy(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var first = Assert.Single(Set("-Force").AssertNoErrors().Output);

        Assert.Equal(true, first.Prop("Changed"));
        var text = File.ReadAllText(PolicyPath);
        Assert.Contains("-Hook Poll -RunDirectory {run_dir} -RepositoryRoot {repo_root}", first.Text("PollCommandTemplate"), StringComparison.Ordinal);
        Assert.Contains("-Hook Sync -RunDirectory {run_dir} -RepositoryRoot {repo_root}", first.Text("SyncCommandTemplate"), StringComparison.Ordinal);
        Assert.Contains("# One-shot scheduler poll command. Leave blank to skip polling.", text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(PolicyPath));

        var again = Assert.Single(Set("-Force").AssertNoErrors().Output);
        Assert.Equal(false, again.Prop("Changed"));
        Assert.Equal(text, File.ReadAllText(PolicyPath));
    }

    [Fact]
    public void NoForce_ReadOnlyPolicy_FileReadOnlyAndTheFileUntouched()
    {
        WritePolicy(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var result = Set();

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("FileReadOnly,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(Policy, File.ReadAllText(PolicyPath));
    }

    [Fact]
    public void WhatIf_WritablePolicy_NothingWrittenAndTheSettingsSayItWouldChange()
    {
        WritePolicy(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = Repo.Snapshot();

        var settings = Assert.Single(Set("-WhatIf").AssertNoErrors().Output);

        Assert.Equal(true, settings.Prop("Changed"));
        Assert.Equal(before, Repo.Snapshot());
    }

    [Theory]
    [InlineData(true, "PolicyNotFound")]
    [InlineData(false, "RepositoryRootNotFound")]
    public void NoPolicyFile_ErrorIdNamesWhatIsMissingAndNothingIsWritten(bool autolabFolder, string id)
    {
        if (!autolabFolder)
        {
            Directory.Delete(Path.Combine(Repo.Root, ".autolab"), recursive: true);
        }

        var before = Repo.Snapshot();

        var error = Assert.Single(Set().Errors);

        Assert.StartsWith(id + ",", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(PolicyPath, error.TargetObject);
        Assert.Equal(before, Repo.Snapshot());
    }
}
