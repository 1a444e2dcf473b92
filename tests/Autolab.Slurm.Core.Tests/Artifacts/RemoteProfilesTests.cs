using Autolab.Slurm.Errors;
using Autolab.Slurm.Remote;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>RemoteProfiles against autolab-contract.md, "Remote profiles (.autolab/remote_profiles.yaml)".</summary>
public sealed class RemoteProfilesTests : IDisposable
{
    /// <summary>The contract's example, verbatim.</summary>
    public const string ContractExample = """
        schema_version: "1.0"
        default_profile: cluster
        profiles:
          cluster:
            mode: git_checkout            # shared_fs | git_checkout | verify_only ("standalone" = git_checkout)
            login_host: cluster-login     # ssh target (may be an alias from ~/.ssh/config)
            remote_repo_root: /remote/repo
            artifact_pull:
              enabled: true
              allow_patterns: ["{run_dir}/**"]
              max_file_size_mb: 50        # 0 = no cap
            data_policy:
              local_sync: allowed         # allowed | forbidden
              deny_patterns: ["data/**"]
        """;

    private readonly TempDir _repo = new();

    public void Dispose() => _repo.Dispose();

    private string ProfilesPath => _repo.Combine(".autolab", "remote_profiles.yaml");

    private RemoteProfile Load(string yaml, string? name = null)
    {
        _repo.Write(".autolab/remote_profiles.yaml", yaml);
        return RemoteProfiles.Resolve(_repo.Path, name);
    }

    private AutolabException LoadFails(string yaml, string? name = null)
    {
        _repo.Write(".autolab/remote_profiles.yaml", yaml);
        return Assert.Throws<AutolabException>(() => RemoteProfiles.Resolve(_repo.Path, name));
    }

    [Fact]
    public void Resolve_ContractExampleDefaultProfile_EveryField()
    {
        var profile = Load(ContractExample);

        Assert.Equal("cluster", profile.Name);
        Assert.Equal(ProfileMode.GitCheckout, profile.Mode);
        Assert.False(profile.IsSharedFilesystem);
        Assert.Equal("cluster-login", profile.LoginHost);
        Assert.Equal("/remote/repo", profile.RemoteRepoRoot);
        Assert.True(profile.ArtifactPull.Enabled);
        Assert.Equal(new[] { "{run_dir}/**" }, profile.ArtifactPull.AllowPatterns);
        Assert.Equal(50.0, profile.ArtifactPull.MaxFileSizeMb);
        Assert.Equal("allowed", profile.DataPolicy.LocalSync);
        Assert.False(profile.DataPolicy.Forbidden);
        Assert.Equal(new[] { "data/**" }, profile.DataPolicy.DenyPatterns);
    }

    [Fact]
    public void Resolve_ContractExampleByName_SameProfile()
    {
        Assert.Equal("cluster-login", Load(ContractExample, "cluster").LoginHost);
    }

    [Fact]
    public void Resolve_NamedProfileOverDefault_NamedOneReturned()
    {
        var profile = Load("""
            default_profile: a
            profiles:
              a: {mode: git_checkout, login_host: host-a}
              b: {mode: git_checkout, login_host: host-b}
            """, "b");

        Assert.Equal(("b", "host-b"), (profile.Name, profile.LoginHost));
    }

    [Fact]
    public void Resolve_MinimalProfile_AutolabDefaults()
    {
        var profile = Load("""
            default_profile: c
            profiles:
              c:
                mode: git_checkout
                login_host: login1
            """);

        Assert.False(profile.ArtifactPull.Enabled);
        Assert.Empty(profile.ArtifactPull.AllowPatterns);
        Assert.Equal(50.0, profile.ArtifactPull.MaxFileSizeMb);
        Assert.Equal("allowed", profile.DataPolicy.LocalSync);
        Assert.False(profile.DataPolicy.Forbidden);
        Assert.Empty(profile.DataPolicy.DenyPatterns);
        Assert.Null(profile.RemoteRepoRoot);
    }

    [Fact]
    public void Resolve_ArtifactPullWithoutCap_Cap50()
    {
        var profile = Load("""
            default_profile: c
            profiles:
              c:
                mode: git_checkout
                login_host: login1
                artifact_pull:
                  enabled: true
            """);

        Assert.True(profile.ArtifactPull.Enabled);
        Assert.Equal(50.0, profile.ArtifactPull.MaxFileSizeMb);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("7", 7.0)]
    [InlineData("2.5", 2.5)]
    [InlineData("1000", 1000.0)]
    public void Resolve_MaxFileSize_Read(string written, double expected)
    {
        var profile = Load($"""
            default_profile: c
            profiles:
              c:
                mode: git_checkout
                login_host: login1
                artifact_pull:
                  enabled: true
                  max_file_size_mb: {written}
            """);

        Assert.Equal(expected, profile.ArtifactPull.MaxFileSizeMb);
    }

    [Theory]
    [InlineData("standalone", ProfileMode.GitCheckout)]
    [InlineData("git_checkout", ProfileMode.GitCheckout)]
    [InlineData("verify_only", ProfileMode.VerifyOnly)]
    [InlineData("shared_fs", ProfileMode.SharedFs)]
    public void Resolve_Mode_Canonical(string written, string expected)
    {
        var profile = Load($"""
            default_profile: c
            profiles:
              c:
                mode: {written}
                login_host: login1
            """);

        Assert.Equal(expected, profile.Mode);
        Assert.Equal(expected == ProfileMode.SharedFs, profile.IsSharedFilesystem);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    public void Resolve_EnabledBooleanSpellings_Read(string written, bool expected)
    {
        var profile = Load($"""
            default_profile: c
            profiles:
              c:
                mode: git_checkout
                login_host: login1
                artifact_pull:
                  enabled: {written}
            """);

        Assert.Equal(expected, profile.ArtifactPull.Enabled);
    }

    [Fact]
    public void Resolve_Forbidden_FlagSet()
    {
        var profile = Load("""
            default_profile: c
            profiles:
              c:
                mode: git_checkout
                login_host: login1
                data_policy:
                  local_sync: forbidden
                  deny_patterns:
                    - data/**
                    - "{run_dir}/raw/*"
            """);

        Assert.True(profile.DataPolicy.Forbidden);
        Assert.Equal(new[] { "data/**", "{run_dir}/raw/*" }, profile.DataPolicy.DenyPatterns);
    }

    [Fact]
    public void Resolve_SharedFsWithoutLoginHost_Accepted()
    {
        var profile = Load("""
            default_profile: nfs
            profiles:
              nfs:
                mode: shared_fs
            """);

        Assert.True(profile.IsSharedFilesystem);
        Assert.Null(profile.LoginHost);
    }

    [Theory]
    [InlineData("git_checkout")]
    [InlineData("standalone")]
    [InlineData("verify_only")]
    public void Resolve_RemoteModeWithoutLoginHost_ProfileInvalid(string mode)
    {
        var error = LoadFails($"""
            default_profile: c
            profiles:
              c:
                mode: {mode}
                remote_repo_root: /r
            """);

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains("login_host", error.Message, StringComparison.Ordinal);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each bad value sits on the first line of its mapping, so "the line" is unambiguous: the message must
    /// name the file and that line.
    /// </summary>
    [Theory]
    [InlineData("mode: rsync\n    login_host: h", 4, "rsync")]
    [InlineData("mode: git_checkout\n    login_host: h\n    data_policy:\n      local_sync: sometimes", 7, "local_sync")]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      enabled: maybe", 7, "enabled")]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      max_file_size_mb: lots", 7, "max_file_size_mb")]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      max_file_size_mb: -1", 7, "max_file_size_mb")]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      allow_patterns: \"{run_dir}/**\"", 7, "allow_patterns")]
    [InlineData("mode: git_checkout\n    login_host: [a, b]", 5, "login_host")]
    [InlineData("mode: [git_checkout]\n    login_host: h", 4, "mode")]
    public void Resolve_BadValue_ProfileInvalidWithFileAndLine(string body, int line, string mentioned)
    {
        var error = LoadFails("default_profile: c\nprofiles:\n  c:\n    " + body + "\n");

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Equal(AutolabErrorCategory.InvalidData, error.Category);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
        Assert.Contains($"line {line}", error.Message, StringComparison.Ordinal);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
    }

    /// <summary>When the bad key is not the first of its mapping, the line must still be the bad key's own line.</summary>
    [Theory]
    [InlineData("login_host: h\n    remote_repo_root: /r\n    mode: rsync", 6)]
    [InlineData("mode: git_checkout\n    login_host: h\n    data_policy:\n      deny_patterns: []\n      local_sync: sometimes", 8)]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      allow_patterns: []\n      enabled: maybe", 8)]
    [InlineData("mode: git_checkout\n    login_host: h\n    artifact_pull:\n      enabled: true\n      max_file_size_mb: lots", 8)]
    public void Resolve_BadValueAfterOtherKeys_LineOfTheBadKey(string body, int line)
    {
        var error = LoadFails("default_profile: c\nprofiles:\n  c:\n    " + body + "\n");

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains($"line {line}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("profiles: [unclosed\n")]
    [InlineData("default_profile: c\nprofiles:\n  c:\n    mode: git_checkout\n   login_host: bad-indent\n")]
    [InlineData("default_profile: c\nprofiles:\n  c: {mode: git_checkout, login_host: h\n")]
    [InlineData("default_profile: c\nprofiles:\n  c:\n    mode: git_checkout\n    mode: shared_fs\n")]
    [InlineData("default_profile: c\nprofiles:\n  c:\n    login_host: \"unterminated\n")]
    public void Resolve_BrokenYaml_ProfileInvalidWithFileAndLine(string yaml)
    {
        var error = LoadFails(yaml);

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
        Assert.Matches(@"line [1-9][0-9]*", error.Message);
    }

    [Theory]
    [InlineData("- just\n- a list\n")]
    [InlineData("plain scalar\n")]
    [InlineData("")]
    public void Resolve_NotAMapping_ProfileInvalid(string yaml)
    {
        var error = LoadFails(yaml);

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ProfileIsAScalar_ProfileInvalid()
    {
        var error = LoadFails("default_profile: c\nprofiles:\n  c: git_checkout\n");

        Assert.Equal(ErrorIds.ProfileInvalid, error.ErrorId);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_MissingFile_ProfileNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => RemoteProfiles.Resolve(_repo.Path, "cluster"));

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_UnknownProfileName_ProfileNotFound()
    {
        var error = LoadFails(ContractExample, "gpu-cluster");

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.Contains("gpu-cluster", error.Message, StringComparison.Ordinal);
        Assert.Contains(ProfilesPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoNameAndNoDefault_ProfileNotFound()
    {
        var error = LoadFails("profiles:\n  c: {mode: git_checkout, login_host: h}\n");

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.Contains("default_profile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_DefaultNamesMissingProfile_ProfileNotFound()
    {
        var error = LoadFails("default_profile: gone\nprofiles:\n  c: {mode: git_checkout, login_host: h}\n");

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
        Assert.Contains("gone", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoProfilesSection_ProfileNotFound()
    {
        var error = LoadFails("default_profile: c\n");

        Assert.Equal(ErrorIds.ProfileNotFound, error.ErrorId);
    }

    [Fact]
    public void PathFor_Repository_DotAutolabFile()
    {
        Assert.Equal(ProfilesPath, RemoteProfiles.PathFor(_repo.Path));
        Assert.Equal(".autolab/remote_profiles.yaml", RemoteProfiles.RelativePath);
    }
}
