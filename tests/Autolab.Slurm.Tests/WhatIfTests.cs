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
}
