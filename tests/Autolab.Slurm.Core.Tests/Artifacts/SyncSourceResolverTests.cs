using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// SyncSourceResolver against interface.md (Sync-RunArtifacts: where the source comes from),
/// autolab-contract.md ("Remote profiles") and docs/Sync-RunArtifacts.md (-Source, -MaxFileSizeMB).
/// </summary>
public sealed class SyncSourceResolverTests : IDisposable
{
    private const string RunDir = "experiments/plan/iter1/runs/run_001";
    private const string IterationPath = "experiments/plan/iter1";
    private const string DisabledSentence = "artifact pull is disabled while local_sync is forbidden";
    private const string NoAllowSentence = "artifact pull allow_patterns must be configured when data_policy.local_sync is forbidden";

    private readonly TempDir _repo = new();

    public void Dispose() => _repo.Dispose();

    private string RunDirectory => _repo.Combine("experiments", "plan", "iter1", "runs", "run_001");

    /// <summary>A repository with .autolab/ (and the profiles file when given) and the run's manifest.</summary>
    private RunManifestDocument Manifest(string? remoteExecution = null, string status = "submitted", string? profilesYaml = null, bool autolab = true)
    {
        if (autolab)
        {
            Directory.CreateDirectory(_repo.Combine(".autolab"));
        }

        if (profilesYaml is not null)
        {
            _repo.Write(".autolab/remote_profiles.yaml", profilesYaml);
        }

        var remote = remoteExecution is null ? string.Empty : $", \"remote_execution\": {remoteExecution}";
        var path = _repo.Write(
            RunDir + "/run_manifest.json",
            $$"""{"schema_version": "1.0", "run_id": "run_001", "iteration_id": "iter1", "host_mode": "slurm", "status": "{{status}}"{{remote}}}""");
        return RunManifestDocument.Load(path);
    }

    private static string Profile(string body) =>
        "schema_version: \"1.0\"\ndefault_profile: cluster\nprofiles:\n  cluster:\n" +
        string.Join('\n', body.Split('\n').Select(l => "    " + l)) + "\n";

    private static readonly string PullProfile = Profile("""
        mode: git_checkout
        login_host: cluster-login
        remote_repo_root: /remote/repo
        artifact_pull:
          enabled: true
          allow_patterns: ["{run_dir}/**"]
          max_file_size_mb: 50
        data_policy:
          local_sync: allowed
          deny_patterns: ["data/**"]
        """);

    private static SyncSourcePlan Resolve(RunManifestDocument manifest, SyncOptions? options = null) =>
        SyncSourceResolver.Resolve(manifest, options ?? new SyncOptions());

    // ---- -Source ---------------------------------------------------------------------------------

    [Fact]
    public void Resolve_SourceLocalDirectory_LocalDirectoryFullPath()
    {
        using var elsewhere = new TempDir();

        var plan = Resolve(Manifest(), new SyncOptions { Source = elsewhere.Path });

        Assert.Equal(SyncSourceKind.LocalDirectory, plan.Kind);
        Assert.Equal(elsewhere.Path, plan.Path);
        Assert.Equal(RunDirectory, plan.Request.RunDirectory);
        Assert.Equal(_repo.Path, plan.Request.PathBase);
    }

    [Theory]
    [InlineData("alice@login1:/scratch/alice/repo/run_001", "alice", "login1", "/scratch/alice/repo/run_001")]
    [InlineData("login1.cluster.example.org:/scratch/x", null, "login1.cluster.example.org", "/scratch/x")]
    [InlineData("autolab-login:/tmp/run dir/with space", null, "autolab-login", "/tmp/run dir/with space")]
    [InlineData("bob@10.0.0.5:/", "bob", "10.0.0.5", "/")]
    public void Resolve_SourceUserHostPath_Remote(string source, string? user, string host, string path)
    {
        var plan = Resolve(Manifest(), new SyncOptions { Source = source });

        Assert.Equal(SyncSourceKind.Remote, plan.Kind);
        Assert.Equal((user, host, path), (plan.User, plan.Host, plan.Path));
        Assert.Equal(source, plan.Display);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public void Resolve_SourceIsTheRunDirectoryItself_SharedFilesystem(string suffix)
    {
        var manifest = Manifest();

        var plan = Resolve(manifest, new SyncOptions { Source = RunDirectory + suffix });

        Assert.Equal(SyncSourceKind.SharedFilesystem, plan.Kind);
    }

    [Fact]
    public void Resolve_SourceOverridesProfile_PolicyStillApplied()
    {
        using var elsewhere = new TempDir();
        var manifest = Manifest("""{"profile": "cluster"}""", profilesYaml: PullProfile);

        var plan = Resolve(manifest, new SyncOptions { Source = elsewhere.Path });

        Assert.Equal(SyncSourceKind.LocalDirectory, plan.Kind);
        Assert.Equal(new[] { RunDir + "/**" }, plan.Request.AllowPatterns.Select(p => p.Pattern));
        Assert.Equal(new[] { "data/**" }, plan.Request.DenyPatterns.Select(p => p.Pattern));
        Assert.Equal(50L * 1024 * 1024, plan.Request.MaxFileBytes);
    }

    // ---- no -Source: remote_execution through the profile ----------------------------------------

    [Fact]
    public void Resolve_NoRemoteExecution_SharedFilesystemRunDirectory()
    {
        var plan = Resolve(Manifest(profilesYaml: PullProfile));

        Assert.Equal(SyncSourceKind.SharedFilesystem, plan.Kind);
        Assert.Equal(RunDirectory, plan.Path);
        Assert.Empty(plan.Request.AllowPatterns);
        Assert.Null(plan.Request.MaxFileBytes);
    }

    [Fact]
    public void Resolve_RemoteExecutionWithProfile_RemoteRepoRootPlusRunPath()
    {
        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: PullProfile));

        Assert.Equal(SyncSourceKind.Remote, plan.Kind);
        Assert.Equal("cluster-login", plan.Host);
        Assert.Null(plan.User);
        Assert.Equal("/remote/repo/" + RunDir, plan.Path);
        Assert.Equal("cluster", plan.Profile!.Name);
        Assert.Equal("cluster-login:/remote/repo/" + RunDir, plan.Display);
    }

    [Fact]
    public void Resolve_RemoteExecutionWithoutProfileName_DefaultProfile()
    {
        var plan = Resolve(Manifest("""{"host": "whatever"}""", profilesYaml: PullProfile));

        Assert.Equal(SyncSourceKind.Remote, plan.Kind);
        Assert.Equal("cluster", plan.Profile!.Name);
    }

    [Fact]
    public void Resolve_RemoteRepoRootWithTrailingSlash_NoDoubleSlash()
    {
        var yaml = PullProfile.Replace("remote_repo_root: /remote/repo", "remote_repo_root: /remote/repo/", StringComparison.Ordinal);

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml));

        Assert.Equal("/remote/repo/" + RunDir, plan.Path);
    }

    [Theory]
    [InlineData("/scratch/alice/it1")]
    [InlineData("/scratch/alice/it1/")]
    public void Resolve_RemoteIterationDir_ReplacesIterationPart(string iterationDir)
    {
        var manifest = Manifest($$"""{"profile": "cluster", "remote_iteration_dir": "{{iterationDir}}"}""", profilesYaml: PullProfile);

        var plan = Resolve(manifest);

        Assert.Equal(SyncSourceKind.Remote, plan.Kind);
        Assert.Equal("/scratch/alice/it1/runs/run_001", plan.Path);
    }

    [Fact]
    public void Resolve_ProfileWithoutRemoteRepoRoot_ProfileInvalid()
    {
        var yaml = Profile("mode: git_checkout\nlogin_host: h\nartifact_pull:\n  enabled: true");

        var error = Assert.Throws<AutolabException>(() => Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml)));

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains("remote_repo_root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownProfile_ProfileNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => Resolve(Manifest("""{"profile": "gpu"}""", profilesYaml: PullProfile)));

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
    }

    [Fact]
    public void Resolve_ProfilesFileMissing_ProfileNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => Resolve(Manifest("""{"profile": "cluster"}""")));

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
    }

    [Fact]
    public void Resolve_SharedFsProfile_SharedFilesystemNoSsh()
    {
        var yaml = Profile("mode: shared_fs\nartifact_pull:\n  enabled: true");

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml));

        Assert.Equal(SyncSourceKind.SharedFilesystem, plan.Kind);
        Assert.Equal(RunDirectory, plan.Path);
        Assert.Null(plan.Host);
    }

    // ---- nothing pulled, or refused --------------------------------------------------------------

    [Theory]
    [InlineData("mode: verify_only\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\n  allow_patterns: [\"{run_dir}/**\"]")]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: false")]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r")]
    [InlineData("mode: standalone\nlogin_host: h\nremote_repo_root: /r\ndata_policy:\n  local_sync: allowed")]
    public void Resolve_PullDisabledOrVerifyOnly_NoPull(string body)
    {
        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: Profile(body)));

        Assert.Equal(SyncSourceKind.NoPull, plan.Kind);
        Assert.Null(plan.FailureReason);
    }

    [Theory]
    [InlineData("mode: verify_only\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\n  allow_patterns: [\"{run_dir}/**\"]\ndata_policy:\n  local_sync: forbidden", DisabledSentence)]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: false\n  allow_patterns: [\"{run_dir}/**\"]\ndata_policy:\n  local_sync: forbidden", DisabledSentence)]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\ndata_policy:\n  local_sync: forbidden", DisabledSentence)]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\ndata_policy:\n  local_sync: forbidden", NoAllowSentence)]
    [InlineData("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\n  allow_patterns: []\ndata_policy:\n  local_sync: forbidden", NoAllowSentence)]
    public void Resolve_ForbiddenVariants_RefusedWithContractSentence(string body, string sentence)
    {
        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: Profile(body)));

        Assert.Equal(SyncSourceKind.Refused, plan.Kind);
        Assert.Equal(sentence, plan.FailureReason);
    }

    [Fact]
    public void Resolve_ForbiddenWithAllowPatterns_RemoteAllowed()
    {
        var yaml = Profile("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\n  allow_patterns: [\"{run_dir}/*.json\"]\ndata_policy:\n  local_sync: forbidden");

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml));

        Assert.Equal(SyncSourceKind.Remote, plan.Kind);
        Assert.Equal(new[] { RunDir + "/*.json" }, plan.Request.AllowPatterns.Select(p => p.Pattern));
    }

    /// <summary>
    /// The help page: "The profile's policy applies ... unless data_policy.local_sync is forbidden (then the sync
    /// fails)". An explicit -Source changes where the files come from, not whether the repository's data policy
    /// lets them come home: a forbidden policy without allow patterns must not turn into "{run_dir}/**".
    /// </summary>
    [Theory]
    [InlineData("alice@login1:/scratch/run_001")]
    [InlineData("LOCAL")]
    public void Resolve_ExplicitSourceWithForbiddenPolicyNoAllowPatterns_Refused(string source)
    {
        using var elsewhere = new TempDir();
        var yaml = Profile("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\ndata_policy:\n  local_sync: forbidden");
        var manifest = Manifest("""{"profile": "cluster"}""", profilesYaml: yaml);

        var plan = Resolve(manifest, new SyncOptions { Source = source == "LOCAL" ? elsewhere.Path : source });

        Assert.Equal(SyncSourceKind.Refused, plan.Kind);
        Assert.Equal(NoAllowSentence, plan.FailureReason);
    }

    // ---- policy: patterns, cap -------------------------------------------------------------------

    [Fact]
    public void Resolve_PlaceholdersInAllowAndDeny_Expanded()
    {
        var yaml = Profile("""
            mode: git_checkout
            login_host: h
            remote_repo_root: /r
            artifact_pull:
              enabled: true
              allow_patterns: ["{run_dir}/*.json", "{iteration_path}/shared/{run_id}.txt", "cache/{iteration_id}/*"]
            data_policy:
              deny_patterns: ["{run_dir}/data/**", "{iteration_path}/big/*"]
            """);

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml));

        Assert.Equal(
            new[] { RunDir + "/*.json", IterationPath + "/shared/run_001.txt", "cache/iter1/*" },
            plan.Request.AllowPatterns.Select(p => p.Pattern));
        Assert.Equal(new[] { RunDir + "/data/**", IterationPath + "/big/*" }, plan.Request.DenyPatterns.Select(p => p.Pattern));
        Assert.True(plan.Request.AllowPatterns[0].IsMatch(RunDir + "/metrics.json"));
        Assert.True(plan.Request.DenyPatterns[0].IsMatch(RunDir + "/data/a/b.bin"));
    }

    [Fact]
    public void Resolve_NoAllowPatterns_RunDirEverything()
    {
        var yaml = Profile("mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true");

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml));

        var allow = Assert.Single(plan.Request.AllowPatterns);
        Assert.Equal(RunDir + "/**", allow.Pattern);
        Assert.True(allow.IsMatch(RunDir + "/logs/deep/x.log"));
        Assert.False(allow.IsMatch("experiments/plan/iter1/runs/run_002/x.log"));
    }

    [Theory]
    [InlineData(null, "50", 50L * 1024 * 1024)]
    [InlineData(null, "2.5", 5L * 1024 * 1024 / 2)]
    [InlineData(null, "0", null)]
    [InlineData(0, "50", null)]
    [InlineData(7, "50", 7L * 1024 * 1024)]
    [InlineData(7, "0", 7L * 1024 * 1024)]
    [InlineData(4096, "50", 4096L * 1024 * 1024)]
    public void Resolve_MaxFileSize_OptionOverridesProfileZeroIsNoCap(int? optionMb, string profileMb, long? expectedBytes)
    {
        var yaml = Profile($"mode: git_checkout\nlogin_host: h\nremote_repo_root: /r\nartifact_pull:\n  enabled: true\n  max_file_size_mb: {profileMb}");

        var plan = Resolve(Manifest("""{"profile": "cluster"}""", profilesYaml: yaml), new SyncOptions { MaxFileSizeMb = optionMb });

        Assert.Equal(expectedBytes, plan.Request.MaxFileBytes);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(0, null)]
    [InlineData(3, 3L * 1024 * 1024)]
    public void Resolve_MaxFileSizeWithoutProfile_OptionOrNoCap(int? optionMb, long? expectedBytes)
    {
        var plan = Resolve(Manifest(), new SyncOptions { MaxFileSizeMb = optionMb });

        Assert.Equal(expectedBytes, plan.Request.MaxFileBytes);
    }

    [Fact]
    public void Resolve_IncludeExcludeThrottle_PassedOn()
    {
        var plan = Resolve(Manifest(), new SyncOptions { Include = new[] { "*.json", "logs/*" }, Exclude = new[] { "*.tmp" }, ThrottleLimit = 9 });

        Assert.Equal(new[] { "*.json", "logs/*" }, plan.Request.Include.Select(p => p.Pattern));
        Assert.Equal(new[] { "*.tmp" }, plan.Request.Exclude.Select(p => p.Pattern));
        Assert.Equal(9, plan.Request.ThrottleLimit);
        Assert.Equal("run_001", plan.Request.RunId);
        Assert.Equal(Path.Combine(RunDirectory, "run_manifest.json"), plan.Request.ManifestPath);
    }

    [Theory]
    [InlineData("pending", false)]
    [InlineData("submitted", false)]
    [InlineData("running", false)]
    [InlineData("synced", true)]
    [InlineData("completed", true)]
    [InlineData("failed", true)]
    [InlineData("partial", true)]
    [InlineData("weird", false)]
    public void Resolve_ManifestStatus_RunIsTerminal(string status, bool terminal)
    {
        var plan = Resolve(Manifest(status: status));

        Assert.Equal(terminal, plan.Request.RunIsTerminal);
    }

    [Fact]
    public void Resolve_NoRepositoryRoot_SharedFilesystemPathsRelativeToRunDirectory()
    {
        var manifest = Manifest("""{"profile": "cluster"}""", autolab: false);

        var plan = Resolve(manifest);

        Assert.Equal(SyncSourceKind.SharedFilesystem, plan.Kind);
        Assert.Equal(RunDirectory, plan.Request.PathBase);
    }
}
