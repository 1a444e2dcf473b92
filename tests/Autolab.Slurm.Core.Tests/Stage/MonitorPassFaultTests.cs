using System.Text.Json.Nodes;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// Hostile input and faults a pass must refuse before its first write (issue "faults and hostile input"):
/// names from state.json and manifests that would lead outside the repository, symlinks that would, targets
/// it could not write; and the two rules that must not leave a run stuck: LOST is not forever, and a start
/// time in the future is said, not silently waited on.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MonitorPassFaultTests : IDisposable
{
    private readonly TempDir _outside = new();
    private readonly List<PassRepo> _repos = new();

    private PassRepo Repo(Action<JsonObject>? state = null)
    {
        var repo = new PassRepo(state: state);
        _repos.Add(repo);
        return repo;
    }

    public void Dispose()
    {
        foreach (var repo in _repos)
        {
            repo.Dispose();
        }

        _outside.Dispose();
    }

    private static string[] Snapshot(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => p + ":" + (File.Exists(p) ? File.ReadAllText(p) : "dir"))
            .Order(StringComparer.Ordinal)
            .ToArray();

    [Theory]
    [InlineData("../outside")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void Open_IterationIdNotAFolderName_StateInvalidBeforeAnythingIsRead(string iterationId)
    {
        var repo = Repo(s => s["iteration_id"] = iterationId);
        var before = Snapshot(repo.Root);

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains(iterationId, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(repo.Root));
    }

    [Fact]
    public void Open_RunGroupEntryNotARunId_StateInvalidNotSilentlyDropped()
    {
        var repo = Repo(s => s["run_group"] = new JsonArray("run_001", "../../etc"));

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains("../../etc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ManifestRunIdNotARunId_ManifestSchemaViolation()
    {
        var repo = Repo();
        repo.Manifest("run_001", edit: m => m["run_id"] = "../escape");

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.ManifestSchemaViolation, ex.ErrorId);
    }

    [Theory]
    [InlineData("docs/slurm_job_list.md")]
    [InlineData("experiments/plan/iter1/runs/run_001/logs/slurm_monitor.log")]
    public void Open_TargetIsASymlinkLeadingOutside_PathOutsideRepositoryAndTheOutsideFileUntouched(string relative)
    {
        var repo = Repo();
        var victim = _outside.Write("victim.txt", "precious\n");
        var link = Path.Combine(repo.Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, victim);

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.PathOutsideRepository, ex.ErrorId);
        Assert.Contains(link, ex.Message, StringComparison.Ordinal);
        Assert.Equal("precious\n", File.ReadAllText(victim));
    }

    [Fact]
    public void Open_ManifestIsASymlinkLeadingOutside_PathOutsideRepository()
    {
        var repo = Repo();
        var manifest = repo.ManifestPath("run_001");
        var outside = _outside.Write("run_manifest.json", File.ReadAllText(manifest));
        File.Delete(manifest);
        File.CreateSymbolicLink(manifest, outside);
        var before = File.ReadAllText(outside);

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.PathOutsideRepository, ex.ErrorId);
        Assert.Equal(before, File.ReadAllText(outside));
    }

    [Fact]
    public void Open_LedgerReadOnly_FileReadOnlyBeforeTheManifestIsTouched()
    {
        var repo = Repo();
        var ledger = repo.Write("docs/slurm_job_list.md", "# SLURM Job Ledger\n\n");
        File.SetUnixFileMode(ledger, UnixFileMode.UserRead | UnixFileMode.GroupRead);

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Contains(ledger, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_LocksFolderIsAFile_FileWriteFailedNamingIt()
    {
        var repo = Repo();
        var locks = repo.Write(".autolab/locks", "not a folder");

        var ex = Assert.Throws<AutolabException>(() => repo.Open());

        Assert.Equal(ErrorIds.FileWriteFailed, ex.ErrorId);
        Assert.Contains(locks, ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was written", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanJobState_LostRunWhoseJobReappears_FollowsTheSchedulerAgainWithANote()
    {
        var repo = Repo();
        repo.Manifest("run_001", status: "failed", edit: m =>
        {
            m["failure"] = new JsonObject { ["state"] = "LOST", ["reason"] = "the job vanished from sacct and squeue", ["exit_code"] = null, ["signal"] = null };
            m["timestamps"]!["completed_at"] = "2026-01-01T01:10:00Z";
            m["completed_at"] = "2026-01-01T01:10:00Z";
            m["slurm"]!["state"] = "UNKNOWN";
        });
        var pass = repo.Open();
        Assert.Single(pass.PlanPolls());
        var state = Job(JobStatus.Completed, "COMPLETED", exitCode: 0, end: new DateTimeOffset(2026, 1, 1, 0, 15, 0, TimeSpan.Zero)) with { ManifestPath = pass.Runs[0].ManifestPath };

        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(state) });

        var m = Parse(File.ReadAllText(repo.ManifestPath("run_001")));
        Assert.Equal("running", Str(m["status"]));
        Assert.Null(m["failure"]);
        Assert.Null(m["completed_at"]);
        Assert.Equal("COMPLETED", Str(m["slurm"]!["state"]));
        Assert.Contains("reappeared", pass.Runs[0].Note, StringComparison.Ordinal);
        Assert.Single(pass.PlanSyncs());
    }

    [Fact]
    public void PlanJobState_FailedForAnotherReason_StaysFailed()
    {
        var repo = Repo();
        repo.Manifest("run_001", status: "failed", edit: m =>
        {
            m["failure"] = new JsonObject { ["state"] = "FAILED", ["reason"] = null, ["exit_code"] = 3, ["signal"] = 0 };
            m["timestamps"]!["completed_at"] = "2026-01-01T01:10:00Z";
        });

        var pass = repo.Open();

        Assert.Empty(pass.PlanPolls());
    }

    [Fact]
    public void PlanJobState_UnknownJobStartedInTheFuture_ProbeLimitationAndNoteNotLost()
    {
        var repo = Repo();
        repo.Manifest("run_001", edit: m =>
        {
            m["timestamps"]!["started_at"] = "2027-06-01T00:00:00Z";
            m["started_at"] = "2027-06-01T00:00:00Z";
        });
        var pass = repo.Open();
        var unknown = Job(JobStatus.Unknown, "UNKNOWN", source: JobSource.None) with { ManifestPath = pass.Runs[0].ManifestPath };

        PassAnswers.ApplyAll(pass, new[] { pass.PlanJobState(unknown) });

        Assert.NotEqual("failed", Str(Parse(File.ReadAllText(repo.ManifestPath("run_001")))["status"]));
        var result = pass.BuildResult();
        Assert.Contains("in the future", result.ProbeLimitation, StringComparison.Ordinal);
        Assert.Contains("2027-06-01T00:00:00Z", pass.Runs[0].Note, StringComparison.Ordinal);
    }
}
