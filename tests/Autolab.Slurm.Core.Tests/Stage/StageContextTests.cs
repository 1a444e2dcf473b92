using System.Text.Json.Nodes;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.Stage.StageTestSupport;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// StageContext against autolab-contract.md ("Repository layout", "state.json", run_group) and interface.md
/// ("Invoke-SlurmMonitorStage": -RunId, else pending_run_id, else last_run_id; stage errors).
/// </summary>
public sealed class StageContextTests : IDisposable
{
    private readonly TempDir _repo = new();

    public void Dispose() => _repo.Dispose();

    private StageContext Resolve(string? runId = null) => StageContext.Resolve(_repo.Path, runId, StateSchema);

    private AutolabException ResolveFails(string? runId = null) => Assert.Throws<AutolabException>(() => Resolve(runId));

    private void Iteration(string type, string iterationId = "iter1") =>
        Directory.CreateDirectory(_repo.Combine("experiments", type, iterationId));

    private string ManifestPath(string type, string runId) =>
        _repo.Combine("experiments", type, "iter1", "runs", runId, "run_manifest.json");

    private string WriteManifest(string type, string runId)
    {
        var manifest = TestManifests.Launch();
        manifest["run_id"] = runId;
        return _repo.Write(Path.Combine("experiments", type, "iter1", "runs", runId, "run_manifest.json"), TestManifests.ToText(manifest));
    }

    private void WriteRepositorySchema() =>
        _repo.Write(".autolab/schemas/run_manifest.schema.json", File.ReadAllText(TestPaths.AutolabManifestSchema));

    private static JsonObject StateWith(string? pending = null, string last = "run_001", params string[] runGroup)
    {
        var state = State(lastRunId: last);
        if (pending is not null)
        {
            state["pending_run_id"] = pending;
        }

        if (runGroup.Length > 0)
        {
            state["run_group"] = new JsonArray(runGroup.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray());
        }

        return state;
    }

    // ---- Run id resolution ----

    [Theory]
    [InlineData("run_cli", "run_pending", "run_last", "run_cli")] // -RunId wins
    [InlineData("  run_cli  ", "run_pending", "run_last", "run_cli")] // -RunId is trimmed
    [InlineData(null, "run_pending", "run_last", "run_pending")] // else pending_run_id
    [InlineData("", "run_pending", "run_last", "run_pending")] // an empty -RunId is no -RunId
    [InlineData("   ", "run_pending", "run_last", "run_pending")]
    [InlineData(null, null, "run_last", "run_last")] // else last_run_id
    [InlineData(null, "", "run_last", "run_last")] // an empty pending_run_id is none
    [InlineData("run_cli", null, "", "run_cli")]
    public void Resolve_RunIdSources_MostSpecificWins(string? cli, string? pending, string last, string expected)
    {
        Iteration("in_progress");
        WriteState(_repo, StateWith(pending, last));

        var context = Resolve(cli);

        Assert.Equal(expected, context.RunId);
        Assert.NotNull(context.BaseRun);
        Assert.Equal(expected, context.BaseRun!.RunId);
        Assert.False(context.BaseRun.IsReplicate);
        Assert.Equal(ManifestPath("in_progress", expected), context.BaseRun.ManifestPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Resolve_NoRunIdAnywhere_RunIdNullAndNoError(bool iterationExists)
    {
        if (iterationExists)
        {
            Iteration("plan");
        }

        WriteState(_repo, StateWith(pending: "", last: ""));

        var context = Resolve();

        Assert.Null(context.RunId);
        Assert.Null(context.BaseRun);
        Assert.Empty(context.Replicates);
        Assert.Equal("iter1", context.IterationId);
    }

    [Fact]
    public void Resolve_RelativeRoot_FullPaths()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _repo.Path);

        var context = StageContext.Resolve(relative, null, StateSchema);

        Assert.Equal(Path.GetFullPath(_repo.Path), context.RepositoryRoot);
        Assert.True(Path.IsPathFullyQualified(context.BaseRun!.ManifestPath));
    }

    // ---- Iteration folder ----

    [Theory]
    [InlineData("in_progress", "in_progress")]
    [InlineData("plan", "plan")]
    [InlineData("done", "done")]
    [InlineData("in_progress,plan,done", "in_progress")]
    [InlineData("done,plan,in_progress", "in_progress")]
    [InlineData("plan,done", "plan")]
    [InlineData("done,plan", "plan")]
    [InlineData("in_progress,done", "in_progress")]
    public void Resolve_IterationFolders_PreferInProgressThenPlanThenDone(string existing, string expected)
    {
        foreach (var type in existing.Split(','))
        {
            Iteration(type);
        }

        WriteState(_repo, StateWith());

        var context = Resolve();

        Assert.Equal(_repo.Combine("experiments", expected, "iter1"), context.IterationPath);
        Assert.Equal(ManifestPath(expected, "run_001"), context.BaseRun!.ManifestPath);
    }

    [Fact]
    public void Resolve_OtherIterationsOnly_ManifestNotFound()
    {
        // Folders for other iterations do not count: only experiments/<type>/<iteration_id>.
        Iteration("in_progress", "iter0");
        Iteration("plan", "iter2");
        Directory.CreateDirectory(_repo.Combine("experiments", "archive", "iter1"));
        WriteState(_repo, StateWith());

        var ex = ResolveFails();

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
    }

    [Fact]
    public void Resolve_NoIterationFolderWithRunId_ManifestNotFoundNamingIterationAndRun()
    {
        WriteState(_repo, StateWith());

        var ex = ResolveFails();

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.Contains("iter1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("run_001", ex.Message, StringComparison.Ordinal);
        Assert.Contains("launch", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Resolve_NoState_StateNotFound()
    {
        Iteration("plan");

        Assert.Equal(ErrorIds.StateNotFound, ResolveFails().ErrorId);
    }

    [Fact]
    public void Resolve_InvalidState_StateInvalid()
    {
        Iteration("plan");
        WriteStateText(_repo, "{\"iteration_id\": \"iter1\"}");

        Assert.Equal(ErrorIds.StateInvalid, ResolveFails().ErrorId);
    }

    // ---- Invalid run ids ----

    public static TheoryData<string> InvalidRunIds() => new()
    {
        "-run",
        ".run",
        "_run",
        "run/001",
        "../run_001",
        "run 001",
        "run:001",
        "run\\001",
        "rün",
        "r" + new string('x', 128), // 129 characters
    };

    [Theory]
    [MemberData(nameof(InvalidRunIds))]
    public void Resolve_InvalidRunIdFromParameter_StateInvalid(string runId)
    {
        Iteration("plan");
        WriteState(_repo, StateWith());

        var ex = ResolveFails(runId);

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
    }

    [Theory]
    [MemberData(nameof(InvalidRunIds))]
    public void Resolve_InvalidRunIdFromState_StateInvalid(string runId)
    {
        Iteration("plan");
        WriteState(_repo, StateWith(pending: runId));

        Assert.Equal(ErrorIds.StateInvalid, ResolveFails().ErrorId);
    }

    [Theory]
    [InlineData("r")]
    [InlineData("0")]
    [InlineData("run.001_a-b")]
    [InlineData("RUN_20260101T000000Z")]
    public void Resolve_ValidRunIdShapes_Accepted(string runId)
    {
        Iteration("plan");
        WriteState(_repo, StateWith(pending: runId));

        Assert.Equal(runId, Resolve().RunId);
    }

    [Fact]
    public void Resolve_RunIdOf128Characters_Accepted()
    {
        var runId = "r" + new string('x', 127);
        Iteration("plan");
        WriteState(_repo, StateWith(pending: runId));

        Assert.Equal(runId, Resolve().RunId);
    }

    // ---- Replicates ----

    [Fact]
    public void Resolve_RunGroup_ReplicatesExcludeBaseRunDuplicatesAndEmptyEntries()
    {
        Iteration("in_progress");
        WriteState(_repo, StateWith("run_001", "run_000", "run_001", "rep_a", "rep_b", "rep_a", ""));

        var context = Resolve();

        Assert.Equal(new[] { "rep_a", "rep_b" }, context.Replicates.Select(r => r.RunId).ToArray());
        Assert.All(context.Replicates, r => Assert.True(r.IsReplicate));
        Assert.Equal(
            new[] { ManifestPath("in_progress", "rep_a"), ManifestPath("in_progress", "rep_b") },
            context.Replicates.Select(r => r.ManifestPath).ToArray());
        Assert.Equal("run_001", context.BaseRun!.RunId);
        Assert.False(context.BaseRun.IsReplicate);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("rep a")]
    [InlineData("-x")]
    public void Resolve_RunGroupEntryNotARunId_StateInvalidNothingSilentlyDropped(string entry)
    {
        Iteration("in_progress");
        WriteState(_repo, StateWith("run_001", "run_000", "rep_a", entry));

        var ex = Assert.Throws<AutolabException>(() => Resolve());

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains(entry, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_RunGroupWithRunIdParameter_BaseIsTheParameter()
    {
        Iteration("plan");
        WriteState(_repo, StateWith(null, "run_001", "rep_a", "rep_b"));

        var context = Resolve("rep_a");

        Assert.Equal("rep_a", context.BaseRun!.RunId);
        Assert.Equal(new[] { "rep_b" }, context.Replicates.Select(r => r.RunId).ToArray());
    }

    [Fact]
    public void Resolve_NoRunGroup_NoReplicates()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());

        Assert.Empty(Resolve().Replicates);
    }

    // ---- RequireManifestsAndSchema ----

    [Fact]
    public void RequireManifestsAndSchema_AllPresent_NoError()
    {
        Iteration("plan");
        WriteState(_repo, StateWith(null, "run_001", "rep_a"));
        WriteManifest("plan", "run_001");
        WriteManifest("plan", "rep_a");
        WriteRepositorySchema();

        var context = Resolve();
        context.RequireManifestsAndSchema();

        Assert.Equal(_repo.Combine(".autolab", "schemas", "run_manifest.schema.json"), context.ManifestSchemaPath);
    }

    [Fact]
    public void RequireManifestsAndSchema_BaseManifestMissing_ManifestNotFoundNamingPathAndLaunch()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        WriteRepositorySchema();
        var context = Resolve();

        var ex = Assert.Throws<AutolabException>(context.RequireManifestsAndSchema);

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.Contains(ManifestPath("plan", "run_001"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("launch stage", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("complete", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RequireManifestsAndSchema_ReplicateManifestMissing_ManifestNotFoundNamingItsPath()
    {
        Iteration("plan");
        WriteState(_repo, StateWith(null, "run_001", "rep_a", "rep_b"));
        WriteManifest("plan", "run_001");
        WriteManifest("plan", "rep_a");
        WriteRepositorySchema();
        var context = Resolve();

        var ex = Assert.Throws<AutolabException>(context.RequireManifestsAndSchema);

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.Contains(ManifestPath("plan", "rep_b"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("launch stage", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RequireManifestsAndSchema_RepositorySchemaMissing_SchemaNotFoundSayingRestoreTheScaffold()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        WriteManifest("plan", "run_001");
        var context = Resolve();

        var ex = Assert.Throws<AutolabException>(context.RequireManifestsAndSchema);

        Assert.Equal(ErrorIds.SchemaNotFound, ex.ErrorId);
        Assert.Contains(_repo.Combine(".autolab", "schemas", "run_manifest.schema.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("scaffold", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RequireManifestsAndSchema_SchemaMissing_NothingWritten()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        var manifest = WriteManifest("plan", "run_001");
        var before = File.ReadAllBytes(manifest);
        var context = Resolve();

        Assert.Throws<AutolabException>(context.RequireManifestsAndSchema);

        Assert.Equal(before, File.ReadAllBytes(manifest));
        Assert.False(Directory.Exists(_repo.Combine(".autolab", "schemas")));
        Assert.False(File.Exists(_repo.Combine("docs", "slurm_job_list.md")));
    }

    // ---- RemoteHostFor ----

    private const string Profiles = """
        schema_version: "1.0"
        default_profile: cluster
        profiles:
          cluster:
            mode: git_checkout
            login_host: cluster-login
            remote_repo_root: /remote/repo
          shared:
            mode: shared_fs
            remote_repo_root: /shared/repo
          shared_with_host:
            mode: shared_fs
            login_host: should-not-be-used
          legacy:
            mode: standalone
            login_host: legacy-login
          verify:
            mode: verify_only
            login_host: verify-login
        """;

    private StageContext ContextWithProfiles()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        _repo.Write(".autolab/remote_profiles.yaml", Profiles);
        return Resolve();
    }

    private static Autolab.Slurm.Manifest.RunManifestDocument RemoteManifest(string remoteExecutionJson) =>
        RunManifest("submitted", "pending", edit: m => m["remote_execution"] = JsonNode.Parse(remoteExecutionJson));

    [Theory]
    [InlineData("{\"profile\": \"cluster\", \"mode\": \"git_checkout\", \"remote_repo_root\": \"/remote/repo\"}", "cluster-login")]
    [InlineData("{\"profile\": \"legacy\"}", "legacy-login")] // standalone = git_checkout
    [InlineData("{\"profile\": \"verify\"}", "verify-login")] // verify_only still polls over SSH
    [InlineData("{\"mode\": \"git_checkout\"}", "cluster-login")] // no profile named: default_profile
    [InlineData("{\"profile\": \"\"}", "cluster-login")]
    public void RemoteHostFor_ProfileNotSharedFs_LoginHost(string remoteExecution, string expected)
    {
        var context = ContextWithProfiles();

        Assert.Equal(expected, context.RemoteHostFor(RemoteManifest(remoteExecution)));
    }

    [Theory]
    [InlineData("{\"profile\": \"shared\", \"mode\": \"shared_fs\"}")]
    [InlineData("{\"profile\": \"shared_with_host\"}")]
    [InlineData("{\"profile\": \"shared\", \"mode\": \"git_checkout\"}")] // the profile's mode decides
    public void RemoteHostFor_SharedFsProfile_Null(string remoteExecution)
    {
        var context = ContextWithProfiles();

        Assert.Null(context.RemoteHostFor(RemoteManifest(remoteExecution)));
    }

    [Fact]
    public void RemoteHostFor_NoRemoteExecution_Null()
    {
        var context = ContextWithProfiles();

        Assert.Null(context.RemoteHostFor(RunManifest("submitted", "pending")));
    }

    [Fact]
    public void RemoteHostFor_NoRemoteExecutionAndNoProfilesFile_Null()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        var context = Resolve();

        Assert.Null(context.RemoteHostFor(RunManifest("submitted", "pending")));
    }

    [Fact]
    public void RemoteHostFor_UnknownProfile_ProfileNotFound()
    {
        var context = ContextWithProfiles();

        var ex = Assert.Throws<AutolabException>(() => context.RemoteHostFor(RemoteManifest("{\"profile\": \"nope\"}")));

        Assert.Equal(ErrorIds.ProfileNotFound, ex.ErrorId);
    }

    [Fact]
    public void RepoRelative_PathInsideRepository_ForwardSlashes()
    {
        Iteration("plan");
        WriteState(_repo, StateWith());
        var context = Resolve();

        Assert.Equal("experiments/plan/iter1/runs/run_001/run_manifest.json", context.RepoRelative(context.BaseRun!.ManifestPath));
    }
}
