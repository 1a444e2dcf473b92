using System.Collections;
using System.Management.Automation;

namespace Autolab.Slurm.Tests;

/// <summary>
/// Error records as a script sees them: FullyQualifiedErrorId starts with the stable id (then the cmdlet),
/// CategoryInfo.Category says what kind of failure, TargetObject is the file or job id, and the exception
/// is the Core's AutolabException carrying the same id. The files involved stay byte for byte.
/// </summary>
[Collection(RunspaceCollection.Name)]
public sealed class ErrorRecordTests(ModuleRunspace module, SlurmJobs jobs) : ModuleTest(module, jobs)
{
    [Fact]
    public void GetSlurmJobState_InvalidJobIds_OneInvalidJobIdRecordEachWithTheTextAsTarget()
    {
        var result = Module.Invoke("Get-SlurmJobState -JobId 'abc', '12;rm -rf /', $args[0]", null, Jobs.CompletedJobId);

        Assert.Equal(new[] { "abc", "12;rm -rf /" }, result.Errors.Select(e => e.TargetObject));
        Assert.All(result.Errors, e => AssertRecord(e, "InvalidJobId", "GetSlurmJobStateCommand", ErrorCategory.InvalidArgument, e.TargetObject));
        // The valid id in the same call is still answered.
        Assert.Equal(Jobs.CompletedJobId, Assert.Single(result.Output).Text("JobId"));
    }

    [Fact]
    public void UpdateRunManifest_MissingFile_ManifestNotFoundWithTheFullPath()
    {
        var missing = Path.Combine(Repo.Root, "experiments", "plan", "iter1", "runs", "run_404", "run_manifest.json");

        var result = Module.Invoke("param($Path) Update-RunManifest -Path $Path -Status running", new Hashtable { ["Path"] = missing });

        AssertRecord(Assert.Single(result.Errors), "ManifestNotFound", "UpdateRunManifestCommand", ErrorCategory.ObjectNotFound, missing);
        Assert.False(File.Exists(missing));
    }

    [Theory]
    [InlineData("{\"run_id\": \"run_001\",")]
    [InlineData("[1, 2, 3]\n")]
    public void UpdateRunManifest_NotAJsonObject_ManifestInvalidJsonAndTheFileUntouched(string text)
    {
        var path = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        File.WriteAllText(path, text);
        var before = Repo.Snapshot();

        var result = Module.Invoke("param($Path) Update-RunManifest -Path $Path -Status running", new Hashtable { ["Path"] = path });

        AssertRecord(Assert.Single(result.Errors), "ManifestInvalidJson", "UpdateRunManifestCommand", ErrorCategory.InvalidData, path);
        Assert.Equal(before, Repo.Snapshot());
    }

    [Fact]
    public void UpdateRunManifest_JobStateOfAnotherJob_JobIdMismatchAndTheFileUntouched()
    {
        var path = Repo.WriteManifest("run_001", Jobs.FailedJobId, Jobs.SubmittedAt);
        var before = Repo.Snapshot();

        var result = Module.Invoke(
            "param($Path, $Id) Get-SlurmJobState -JobId $Id | Update-RunManifest -Path $Path -PassThru",
            new Hashtable { ["Path"] = path, ["Id"] = Jobs.CompletedJobId });

        AssertRecord(Assert.Single(result.Errors), "JobIdMismatch", "UpdateRunManifestCommand", ErrorCategory.InvalidArgument, path);
        Assert.Empty(result.Output);
        Assert.Equal(before, Repo.Snapshot());
    }

    [Fact]
    public void UpdateRunManifest_ReadOnlyFile_FileReadOnlyAndTheFileUntouched()
    {
        var path = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = Repo.Snapshot();

        // Refused even for root, who could write it anyway (README "Guarantees").
        var result = Module.Invoke("param($Path) Update-RunManifest -Path $Path -Status running -PassThru", new Hashtable { ["Path"] = path });

        AssertRecord(Assert.Single(result.Errors), "FileReadOnly", "UpdateRunManifestCommand", ErrorCategory.PermissionDenied, path);
        Assert.Empty(result.Output);
        Assert.Equal(before, Repo.Snapshot());
    }

    [Fact]
    public void UpdateSlurmJobList_ManifestOutsideAnyRepository_RepositoryRootNotFoundAndNothingWritten()
    {
        using var bare = new TestRepository(Module, autolab: false);
        var path = bare.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var before = bare.Snapshot();

        var result = Module.Invoke("param($Path) Update-SlurmJobList -ManifestPath $Path", new Hashtable { ["Path"] = path });

        AssertRecord(Assert.Single(result.Errors), "RepositoryRootNotFound", "UpdateSlurmJobListCommand", ErrorCategory.ObjectNotFound, path);
        Assert.Empty(result.Output);
        Assert.Equal(before, bare.Snapshot());
    }

    [Fact]
    public void UpdateRunManifest_MissingSchemaPath_SchemaNotFoundWithTheSchemaAsTarget()
    {
        var path = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var schema = Path.Combine(Repo.Root, "no-such.schema.json");
        var before = Repo.Snapshot();

        var result = Module.Invoke(
            "param($Path, $Schema) Update-RunManifest -Path $Path -Status running -SchemaPath $Schema",
            new Hashtable { ["Path"] = path, ["Schema"] = schema });

        AssertRecord(Assert.Single(result.Errors), "SchemaNotFound", "UpdateRunManifestCommand", ErrorCategory.ResourceUnavailable, schema);
        Assert.Equal(before, Repo.Snapshot());
    }

    [Fact]
    public void UpdateRunManifest_OneInvalidManifestInAPipeline_ManifestSchemaViolationForItAndTheOthersUpdated()
    {
        // No "command": the schema requires it, so this manifest's update cannot validate.
        var invalid = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt, edit: m => m.Remove("command"));
        var valid = Repo.WriteManifest("run_002", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var invalidBefore = File.ReadAllBytes(invalid);

        var result = Module.Invoke(
            "param($Paths) Get-Item $Paths | Update-RunManifest -Status running -PassThru",
            new Hashtable { ["Paths"] = new[] { invalid, valid } });

        AssertRecord(Assert.Single(result.Errors), "ManifestSchemaViolation", "UpdateRunManifestCommand", ErrorCategory.InvalidData, invalid);
        Assert.Equal(invalidBefore, File.ReadAllBytes(invalid));
        Assert.Equal(valid, Assert.Single(result.Output).Text("ManifestPath"));
        Assert.Equal("running", TestRepository.Read(valid)["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Update-RunManifest -Path $Path -Status running", "UpdateRunManifestCommand")]
    [InlineData("Get-SlurmJobState -ManifestPath $Path", "GetSlurmJobStateCommand")]
    [InlineData("Update-SlurmJobList -ManifestPath $Path", "UpdateSlurmJobListCommand")]
    public void ManifestPath_TheRunFolder_ManifestNotFoundSayingItIsAFolderAndNamingTheFile(string command, string cmdlet)
    {
        var manifest = Repo.WriteManifest("run_001", Jobs.CompletedJobId, Jobs.SubmittedAt);
        var folder = Path.GetDirectoryName(manifest)!;
        var before = Repo.Snapshot();

        var result = Module.Invoke("param($Path) " + command, new Hashtable { ["Path"] = folder });

        var record = Assert.Single(result.Errors);
        AssertRecord(record, "ManifestNotFound", cmdlet, ErrorCategory.ObjectNotFound, folder);
        Assert.Equal($"'{folder}' is a folder, not a run manifest. Give the manifest file in it: '{manifest}'.", record.Exception.Message);
        Assert.Empty(result.Output);
        Assert.Equal(before, Repo.Snapshot());
    }

    [Fact]
    public void GetSlurmJobState_NoSlurmOnPath_OneSchedulerUnavailableWhoseTargetIsEveryId()
    {
        var result = Module.Invoke("""
            param($Ids)
            $saved = $env:PATH
            $env:PATH = '/nonexistent'
            try { Get-SlurmJobState -JobId $Ids } finally { $env:PATH = $saved }
            """, new Hashtable { ["Ids"] = new[] { Jobs.CompletedJobId, Jobs.FailedJobId, "99999999" } });

        var record = Assert.Single(result.Errors);
        Assert.Equal("SchedulerUnavailable,Autolab.Slurm.Commands.GetSlurmJobStateCommand", record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, record.CategoryInfo.Category);
        Assert.Equal(new[] { Jobs.CompletedJobId, Jobs.FailedJobId, "99999999" }, Assert.IsType<string[]>(record.TargetObject));
        Assert.StartsWith($"Jobs {Jobs.CompletedJobId}, {Jobs.FailedJobId}, 99999999: ", record.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("SchedulerUnavailable", record.Exception.GetType().GetProperty("ErrorId")!.GetValue(record.Exception));
        Assert.Empty(result.Output);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void GetSlurmJobState_ClusterThatIsNoClusterName_OneInvalidJobIdWhoseTargetIsTheCluster()
    {
        var result = Module.Invoke("Get-SlurmJobState -JobId $args[0], $args[1] -Cluster 'a;b'", null, Jobs.CompletedJobId, Jobs.FailedJobId);

        AssertRecord(Assert.Single(result.Errors), "InvalidJobId", "GetSlurmJobStateCommand", ErrorCategory.InvalidArgument, "a;b");
        Assert.Empty(result.Output);
    }

    [Fact]
    public void GetSlurmJobState_IdNoOneKnows_OneUnknownRowAndAWarningSayingWhy()
    {
        var result = Module.Invoke("Get-SlurmJobState -JobId 99999999, $args[0]", null, Jobs.CompletedJobId).AssertNoErrors();

        Assert.Equal(new[] { "UNKNOWN", "COMPLETED" }, result.Output.Select(o => o.Text("State")));
        var warning = Assert.Single(result.Warnings);
        Assert.StartsWith("Job 99999999 is reported UNKNOWN: it is neither in sacct's window (jobs since ", warning, StringComparison.Ordinal);
        Assert.Contains(") nor known to squeue", warning, StringComparison.Ordinal);
    }

    private static void AssertRecord(ErrorRecord record, string id, string cmdlet, ErrorCategory category, object? target)
    {
        Assert.Equal($"{id},Autolab.Slurm.Commands.{cmdlet}", record.FullyQualifiedErrorId);
        Assert.Equal(category, record.CategoryInfo.Category);
        Assert.Equal(target, record.TargetObject);
        Assert.Equal("Autolab.Slurm.Errors.AutolabException", record.Exception.GetType().FullName);
        Assert.Equal(id, record.Exception.GetType().GetProperty("ErrorId")!.GetValue(record.Exception));
        // The message names the file or job id it concerns.
        Assert.Contains(target?.ToString() ?? "\0", record.Exception.Message, StringComparison.Ordinal);
    }
}
