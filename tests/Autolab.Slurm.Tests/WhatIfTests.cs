using System.Collections;

namespace Autolab.Slurm.Tests;

/// <summary>-WhatIf changes nothing on disk (no file, no lock folder, no write time) and emits no result object.</summary>
[Collection(RunspaceCollection.Name)]
public sealed class WhatIfTests(ModuleRunspace module, SlurmJobs jobs) : ModuleTest(module, jobs)
{
    [Theory]
    [InlineData("Update-RunManifest -Path $Path -Status failed -PassThru -WhatIf")]
    [InlineData("Update-RunManifest -Path $Path -SyncStatus ok -PassThru -WhatIf")]
    [InlineData("Get-SlurmJobState -ManifestPath $Path | Update-RunManifest -PassThru -WhatIf")]
    [InlineData("Update-SlurmJobList -ManifestPath $Path -WhatIf")]
    [InlineData("Update-SlurmJobList -ManifestPath $Path -Note 'a note' -WhatIf")]
    [InlineData("Update-RunManifest -Path $Path -Status running -PassThru -WhatIf | Update-SlurmJobList -WhatIf")]
    public void Writer_WhatIf_ChangesNothingOnDiskAndEmitsNothing(string pipeline)
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);
        var before = Repo.Snapshot();

        var result = Module.Invoke("param($Path) " + pipeline, new Hashtable { ["Path"] = manifest }).AssertNoErrors();

        Assert.Equal(before, Repo.Snapshot());
        Assert.False(File.Exists(Repo.LedgerPath));
        Assert.Empty(result.Output);
    }

    [Fact]
    public void UpdateSlurmJobList_WhatIfOnAnExistingLedger_LeavesLedgerAndLocksAlone()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);
        Module.Invoke("param($Path) Update-SlurmJobList -ManifestPath $Path", new Hashtable { ["Path"] = manifest }).AssertNoErrors();
        Module.Invoke("param($Path) Update-RunManifest -Path $Path -Status running", new Hashtable { ["Path"] = manifest }).AssertNoErrors();
        var before = Repo.Snapshot();

        // Without -WhatIf this would rewrite the line (status submitted -> running) and add a note.
        var result = Module.Invoke("param($Path) Update-SlurmJobList -ManifestPath $Path -Note 'probe limitation' -WhatIf", new Hashtable { ["Path"] = manifest }).AssertNoErrors();

        Assert.Empty(result.Output);
        Assert.Equal(before, Repo.Snapshot());
        var applied = Module.Invoke("param($Path) Update-SlurmJobList -ManifestPath $Path -Note 'probe limitation'", new Hashtable { ["Path"] = manifest }).AssertNoErrors();
        Assert.Equal("Updated", Assert.Single(applied.Output).Text("Action"));
    }

    private const string StageResultType = "Autolab.Slurm.Models.MonitorStageResult";

    /// <summary>The stage's steps around one pass, each under -WhatIf (what Invoke-SlurmMonitorStage -WhatIf runs).</summary>
    private const string PassStepsWhatIf = """
        param($Root)
        $pass = New-SlurmMonitorPass -RepositoryRoot $Root
        Get-SlurmJobState -MonitorPass $pass | Update-RunManifest -MonitorPass $pass -WhatIf
        Sync-RunArtifacts -MonitorPass $pass -WhatIf | Update-RunManifest -MonitorPass $pass -WhatIf
        Update-RunManifest -MonitorPass $pass -Settle -WhatIf
        $null = Update-SlurmJobList -MonitorPass $pass -WhatIf
        Complete-SlurmMonitorPass -MonitorPass $pass -UpdateState -WhatIf
        """;

    [Theory]
    [InlineData(PassStepsWhatIf)]
    [InlineData("param($Root) Invoke-SlurmMonitorStage -RepositoryRoot $Root -UpdateState -WhatIf")]
    public void MonitorPassSteps_WhatIfOnAFailedJob_NothingOnDiskChangesAndTheResultIsWhatThePassWouldDo(string script)
    {
        Repo.WriteManifest("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);
        Repo.WriteStageState("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);
        var before = Repo.Snapshot();

        var result = Module.Invoke(script, new Hashtable { ["Root"] = Repo.Root }).AssertNoErrors();

        Assert.Equal(before, Repo.Snapshot());
        var stage = Assert.Single(result.Output, o => o.BaseObject.GetType().FullName == StageResultType);
        Assert.Equal(false, stage.Prop("Applied"));
        Assert.Equal(("failed", "FAILED", "extract_results", true), (stage.Text("Status"), stage.Text("SchedulerState"), stage.Text("NextStage"), (bool)stage.Prop("CanAdvance")!));
        Assert.StartsWith("what if: ", stage.Text("Message"), StringComparison.Ordinal);
        var changed = ((IEnumerable)stage.Prop("ChangedFiles")!).Cast<object>().Select(o => o.ToString()).ToList();
        Assert.Contains("experiments/plan/iter1/runs/run_001/run_manifest.json", changed);
        Assert.Contains("docs/slurm_job_list.md", changed);
        Assert.Contains("experiments/plan/iter1/runs/run_001/logs/slurm_monitor.log", changed);
        Assert.Contains(".autolab/state.json", changed);
        // The same pass without -WhatIf does what the -WhatIf result said.
        var applied = Module.Invoke("param($Root) Invoke-SlurmMonitorStage -RepositoryRoot $Root -UpdateState", new Hashtable { ["Root"] = Repo.Root }).AssertNoErrors();
        var done = Assert.Single(applied.Output);
        Assert.Equal((true, "failed", "extract_results"), ((bool)done.Prop("Applied")!, done.Text("Status"), done.Text("NextStage")));
        var written = ((IEnumerable)done.Prop("ChangedFiles")!).Cast<object>().Select(o => o.ToString()).ToList();
        Assert.Equal(changed.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        Assert.Equal(stage.Text("Message")!["what if: ".Length..].Replace(" (nothing was written)", string.Empty, StringComparison.Ordinal), done.Text("Message"));
    }
}
