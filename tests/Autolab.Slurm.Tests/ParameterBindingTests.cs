using System.Collections;
using System.Management.Automation;

namespace Autolab.Slurm.Tests;

/// <summary>Parameter sets and pipeline binding by property name, with real manifests and real jobs.</summary>
[Collection(RunspaceCollection.Name)]
public sealed class ParameterBindingTests(ModuleRunspace module, SlurmJobs jobs) : ModuleTest(module, jobs)
{
    private const string SlurmJobStateType = "Autolab.Slurm.Models.SlurmJobState";
    private const string RunManifestUpdateType = "Autolab.Slurm.Models.RunManifestUpdate";
    private const string JobListEntryType = "Autolab.Slurm.Models.JobListEntry";

    [Theory]
    [InlineData("Get-SlurmJobState", "ByJobId", new[] { "ByJobId", "ByManifest", "ByMonitorPass" })]
    [InlineData("Update-RunManifest", "ByJobState", new[] { "ByJobState", "ByMonitorPass", "ByStatus", "BySyncResult" })]
    [InlineData("Sync-RunArtifacts", "ByManifest", new[] { "ByManifest", "ByMonitorPass" })]
    [InlineData("Update-SlurmJobList", "ByManifest", new[] { "ByManifest", "ByMonitorPass" })]
    public void GetCommand_Cmdlet_HasTheContractsParameterSets(string command, string defaultSet, string[] sets)
    {
        var info = (CmdletInfo)Assert.Single(Module.Invoke("param($Name) Get-Command $Name", new Hashtable { ["Name"] = command }).AssertNoErrors().Output).BaseObject;

        Assert.Equal(defaultSet, info.DefaultParameterSet);
        Assert.Equal(sets, info.ParameterSets.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void GetSlurmJobState_JobIdAndManifestPathTogether_IsRefusedAsAmbiguous()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);

        var result = Module.Invoke(
            "param($Path, $Id) Get-SlurmJobState -JobId $Id -ManifestPath $Path",
            new Hashtable { ["Path"] = manifest, ["Id"] = Jobs.CompletedJobId });

        var error = Assert.Single(result.Errors);
        Assert.IsType<ParameterBindingException>(error.Exception);
        Assert.Equal("AmbiguousParameterSet,Autolab.Slurm.Commands.GetSlurmJobStateCommand", error.FullyQualifiedErrorId);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void GetSlurmJobState_FilesFromGetChildItem_BindManifestPathByPropertyName()
    {
        var ok = Repo.WriteManifest("run_ok", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var bad = Repo.WriteManifest("run_bad", Jobs.FailedJobId, Jobs.SubmittedAt);
        Repo.WriteManifest("run_local", null, Jobs.SubmittedAt, hostMode: "local");

        var result = Module.Invoke(
            "param($Root) Get-ChildItem $Root -Recurse -Filter run_manifest.json | Get-SlurmJobState -Verbose",
            new Hashtable { ["Root"] = Repo.Root }).AssertNoErrors();

        var states = result.OfType(SlurmJobStateType).ToDictionary(s => s.Text("ManifestPath")!);
        Assert.Equal(new[] { bad, ok }.Order(StringComparer.Ordinal), states.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Jobs.CompletedJobId, states[ok].Text("JobId"));
        Assert.Equal("completed", states[ok].Text("Status"));
        Assert.Equal(Jobs.FailedJobId, states[bad].Text("JobId"));
        Assert.Equal("failed", states[bad].Text("Status"));
        // The local run is skipped with a word, not an error.
        Assert.Contains(result.Verbose, v => v.Contains("run_local", StringComparison.Ordinal) && v.Contains("not a SLURM run", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("job_id")]
    [InlineData("Id")]
    [InlineData("JobId")]
    public void GetSlurmJobState_ObjectWithJobIdProperty_BindsJobIdByPropertyName(string property)
    {
        var result = Module.Invoke(
            "param($Property, $Id) [pscustomobject]@{ $Property = $Id } | Get-SlurmJobState",
            new Hashtable { ["Property"] = property, ["Id"] = Jobs.CompletedJobId }).AssertNoErrors();

        var state = Assert.Single(result.OfType(SlurmJobStateType));
        Assert.Equal(Jobs.CompletedJobId, state.Text("JobId"));
        Assert.Null(state.Prop("ManifestPath"));
        Assert.Equal("COMPLETED", state.Text("State"));
    }

    [Fact]
    public void UpdateRunManifest_JobStateFromManifest_BindsJobStateByValueAndPathByPropertyName()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);

        var result = Module.Invoke(
            "param($Path) Get-SlurmJobState -ManifestPath $Path | Update-RunManifest -PassThru",
            new Hashtable { ["Path"] = manifest }).AssertNoErrors();

        var update = Assert.Single(result.OfType(RunManifestUpdateType));
        Assert.Equal(manifest, update.Text("ManifestPath"));
        Assert.Equal("submitted", update.Text("PreviousStatus"));
        // Transition row 9: the job is done, its artifacts are not home yet.
        Assert.Equal("running", update.Text("Status"));
        Assert.Equal(true, update.Prop("Changed"));
        var written = TestRepository.Read(manifest);
        Assert.Equal("running", written["status"]!.GetValue<string>());
        Assert.Equal("COMPLETED", written["slurm"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public void UpdateRunManifest_PassThruIntoUpdateSlurmJobList_BindsManifestPathByPropertyName()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);

        var result = Module.Invoke(
            "param($Path) Update-RunManifest -Path $Path -Status running -PassThru | Update-SlurmJobList",
            new Hashtable { ["Path"] = manifest }).AssertNoErrors();

        var entry = Assert.Single(result.OfType(JobListEntryType));
        Assert.Equal(Repo.LedgerPath, entry.Text("LedgerPath"));
        Assert.Equal("Added", entry.Text("Action"));
        Assert.Equal("run_001", entry.Text("RunId"));
        var expected = $"- {Jobs.SubmittedAt.UtcDateTime:yyyy-MM-dd} | job_id={Jobs.CompletedJobId} | iteration_id=iter1 | run_id=run_001 | status=running";
        Assert.Equal(expected, entry.Text("Line"));
        Assert.Contains(expected, File.ReadAllLines(Repo.LedgerPath));
    }

    [Fact]
    public void UpdateRunManifest_FileFromGetItemWithStatus_BindsPathByPropertyNameInTheStatusSet()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);

        var result = Module.Invoke(
            "param($Path) Get-Item $Path | Update-RunManifest -Status failed -PassThru",
            new Hashtable { ["Path"] = manifest }).AssertNoErrors();

        var update = Assert.Single(result.OfType(RunManifestUpdateType));
        Assert.Equal(manifest, update.Text("ManifestPath"));
        Assert.Equal("failed", update.Text("Status"));
        var written = TestRepository.Read(manifest);
        Assert.Equal("failed", written["status"]!.GetValue<string>());
        // An explicit status that needs completed_at gets one (the schema requires it for failed).
        Assert.NotNull(written["timestamps"]!["completed_at"]);
    }

    [Fact]
    public void UpdateRunManifest_StringPiped_DoesNotBindPath()
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var before = Repo.Snapshot();

        // -Path binds by property name only (interface.md): a bare string binds to nothing, the file stays.
        var result = Module.Invoke("param($Path) $Path | Update-RunManifest -Status failed", new Hashtable { ["Path"] = manifest });

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("InputObjectNotBound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(result.Output);
        Assert.Equal(before, Repo.Snapshot());
    }
}
