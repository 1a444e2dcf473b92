using Autolab.Slurm.Ssh;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>
/// SshConfigFile against ssh_config(5): Host patterns, first obtained value wins, IdentityFile accumulates,
/// tokens, Match blocks (not evaluated here, so never applied), "keyword=value", quoted arguments.
/// </summary>
public sealed class SshConfigFileTests : IDisposable
{
    private static readonly string Home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private SshHostSettings Resolve(string alias, string config) => SshConfigFile.Resolve(alias, _dir.Write("config", config));

    [Fact]
    public void Resolve_AliasBlock_AllSettings()
    {
        var settings = Resolve("cluster", """
            Host cluster
                HostName login1.example.org
                Port 2200
                User alice
                IdentityFile /keys/id_ed25519
                UserKnownHostsFile /keys/known_hosts
            """);

        Assert.Equal("cluster", settings.Alias);
        Assert.Equal("login1.example.org", settings.HostName);
        Assert.Equal(2200, settings.Port);
        Assert.Equal("alice", settings.User);
        Assert.Equal(new[] { "/keys/id_ed25519" }, settings.IdentityFiles);
        Assert.Equal("/keys/known_hosts", settings.UserKnownHostsFile);
    }

    [Fact]
    public void Resolve_NoMatchingHost_AliasIsHostNameRestUnset()
    {
        var settings = Resolve("other", "Host cluster\n  HostName login1\n  Port 2200\n");

        Assert.Equal("other", settings.HostName);
        Assert.Null(settings.Port);
        Assert.Null(settings.User);
        Assert.Empty(settings.IdentityFiles);
        Assert.Null(settings.UserKnownHostsFile);
    }

    [Fact]
    public void Resolve_MissingConfigFile_Defaults()
    {
        var settings = SshConfigFile.Resolve("login1", _dir.Combine("does-not-exist"));

        Assert.Equal(("login1", null, null), (settings.HostName, settings.Port, settings.User));
    }

    [Theory]
    [InlineData("*.cluster", "login.cluster", true)]
    [InlineData("*.cluster", "cluster", false)]
    [InlineData("login?", "login1", true)]
    [InlineData("login?", "login12", false)]
    [InlineData("*.cluster !bad.cluster", "bad.cluster", false)]
    [InlineData("*.cluster !bad.cluster", "good.cluster", true)]
    [InlineData("!bad.cluster *.cluster", "bad.cluster", false)]
    [InlineData("!bad.cluster", "anything", false)]
    [InlineData("a b c", "b", true)]
    [InlineData("*", "whatever.example", true)]
    [InlineData("LOGIN1", "login1", true)]
    [InlineData("10.0.0.*", "10.0.0.7", true)]
    [InlineData("10.0.0.*", "10.0.1.7", false)]
    [InlineData("a.b", "axb", false)]
    public void Resolve_HostPatterns_OpenSshMatching(string patterns, string alias, bool applies)
    {
        var settings = Resolve(alias, $"Host {patterns}\n  User matched\n");

        Assert.Equal(applies ? "matched" : null, settings.User);
    }

    [Fact]
    public void Resolve_SeveralMatchingBlocks_FirstValueWins()
    {
        var settings = Resolve("login1", """
            Host login1
                User first
                Port 2201
            Host login*
                User second
                Port 2202
                HostName from-wildcard
            Host *
                User third
                HostName from-star
            """);

        Assert.Equal("first", settings.User);
        Assert.Equal(2201, settings.Port);
        Assert.Equal("from-wildcard", settings.HostName);
    }

    [Fact]
    public void Resolve_SettingsBeforeFirstHost_ApplyToAllAndWinFirst()
    {
        var settings = Resolve("login1", "User global\nHost login1\n  User specific\n  Port 2222\n");

        Assert.Equal("global", settings.User);
        Assert.Equal(2222, settings.Port);
    }

    [Fact]
    public void Resolve_IdentityFileInSeveralBlocks_AllInOrder()
    {
        var settings = Resolve("login1", """
            Host login1
                IdentityFile /k/one
                IdentityFile /k/two
            Host *
                IdentityFile /k/three
            Host other
                IdentityFile /k/never
            """);

        Assert.Equal(new[] { "/k/one", "/k/two", "/k/three" }, settings.IdentityFiles);
    }

    [Fact]
    public void Resolve_Tokens_Expanded()
    {
        var settings = Resolve("login1", """
            Host login1
                HostName %h.example.org
                User bob
                IdentityFile ~/.ssh/id_%h_%r
                IdentityFile %d/keys/%u/%n
                IdentityFile /k/100%%
                UserKnownHostsFile ~/kh/%h
            """);

        Assert.Equal("login1.example.org", settings.HostName);
        Assert.Equal(
            new[]
            {
                Path.Combine(Home, ".ssh", "id_login1.example.org_bob"),
                Home + "/keys/" + Environment.UserName + "/login1",
                "/k/100%",
            },
            settings.IdentityFiles);
        Assert.Equal(Path.Combine(Home, "kh", "login1.example.org"), settings.UserKnownHostsFile);
    }

    [Fact]
    public void Resolve_RemoteUserTokenWithoutUser_LocalUserName()
    {
        var settings = Resolve("h", "Host h\n  IdentityFile /k/%r\n");

        Assert.Equal(new[] { "/k/" + Environment.UserName }, settings.IdentityFiles);
    }

    [Fact]
    public void Resolve_MatchBlock_Ignored()
    {
        var settings = Resolve("login1", """
            Match host login1
                User from-match
                Port 9999
                IdentityFile /k/match
            Host login1
                User from-host
            """);

        Assert.Equal("from-host", settings.User);
        Assert.Null(settings.Port);
        Assert.DoesNotContain("/k/match", settings.IdentityFiles);
    }

    [Fact]
    public void Resolve_MatchAllAfterHost_SettingsNotLeakedIntoHost()
    {
        var settings = Resolve("login1", "Host login1\n  Port 2200\nMatch all\n  User from-match\n");

        Assert.Equal(2200, settings.Port);
        Assert.Null(settings.User);
    }

    [Theory]
    [InlineData("HostName=10.1.2.3\nPort=2022\nUser=carol")]
    [InlineData("HostName = 10.1.2.3\nPort = 2022\nUser = carol")]
    [InlineData("HostName =10.1.2.3\n\tPort\t2022\nUser= carol")]
    [InlineData("HOSTNAME 10.1.2.3\nport 2022\nuSeR carol")]
    public void Resolve_KeyValueFormsAndCase_Read(string body)
    {
        var settings = Resolve("h", "Host=h\n" + body + "\n");

        Assert.Equal(("10.1.2.3", (int?)2022, "carol"), (settings.HostName, settings.Port, settings.User));
    }

    [Fact]
    public void Resolve_CommentsAndBlankLines_Skipped()
    {
        var settings = Resolve("h", "# a comment\n\nHost h\n    # HostName commented-out\n    HostName real\n\n");

        Assert.Equal("real", settings.HostName);
    }

    [Fact]
    public void Resolve_QuotedIdentityFileWithSpaces_Unquoted()
    {
        var settings = Resolve("h", "Host h\n  IdentityFile \"/my keys/id ed25519\"\n");

        Assert.Equal(new[] { "/my keys/id ed25519" }, settings.IdentityFiles);
    }

    [Fact]
    public void Resolve_QuotedKnownHostsFileWithSpaces_WholePath()
    {
        var settings = Resolve("h", "Host h\n  UserKnownHostsFile \"/my dir/known_hosts\" /second/file\n");

        Assert.Equal("/my dir/known_hosts", settings.UserKnownHostsFile);
    }

    [Fact]
    public void Resolve_QuotedHostPattern_Matches()
    {
        var settings = Resolve("login1", "Host \"login1\"\n  User quoted\n");

        Assert.Equal("quoted", settings.User);
    }

    [Fact]
    public void Resolve_BadPort_Ignored()
    {
        var settings = Resolve("h", "Host h\n  Port ssh\n");

        Assert.Null(settings.Port);
    }

    [Fact]
    public void Resolve_TestbedConfig_AliasResolved()
    {
        var testbed = Testbed.Current;

        var settings = SshConfigFile.Resolve(testbed.Alias, testbed.SshConfig);

        Assert.Equal(testbed.Host, settings.HostName);
        Assert.Equal(testbed.Port, settings.Port);
        Assert.Equal(testbed.User, settings.User);
        Assert.Equal(new[] { testbed.KeyEd25519 }, settings.IdentityFiles);
        Assert.Equal(testbed.KnownHosts, settings.UserKnownHostsFile);
    }

    [Theory]
    [InlineData("x", "~", "/HOME")]
    [InlineData("x", "~/a", "/HOME/a")]
    [InlineData("x", "a~b", "a~b")]
    [InlineData("x", "%%h", "%h")]
    [InlineData("x", "100%", "100%")]
    [InlineData("x", "%q", "%q")]
    [InlineData("alias1", "%n-%h", "alias1-host1")]
    public void Expand_Tokens_Replaced(string alias, string value, string expected)
    {
        Assert.Equal(expected.Replace("/HOME", Home, StringComparison.Ordinal), SshConfigFile.Expand(value, alias, "host1", "ruser"));
    }

    [Fact]
    public void SshTarget_ExplicitOptionsOverConfig_ExplicitWin()
    {
        var config = _dir.Write("config", "Host c\n  HostName real-host\n  Port 2200\n  User alice\n  UserKnownHostsFile /kh/from-config\n");
        var key = _dir.Write("k/id", "not really a key");

        var target = SshTarget.Resolve(new SshConnectionOptions
        {
            ComputerName = "c",
            Port = 2300,
            UserName = "bob",
            KeyFilePath = key,
            KnownHostsPath = "/kh/explicit",
            SshConfigPath = config,
        });

        Assert.Equal(("c", "real-host", 2300, "bob"), (target.Alias, target.HostName, target.Port, target.UserName));
        Assert.Equal(new[] { key }, target.KeyFiles);
        Assert.Equal("/kh/explicit", target.KnownHostsPath);
    }

    [Fact]
    public void SshTarget_FromConfig_ConfigValuesExistingIdentityFilesOnly()
    {
        var present = _dir.Write("k/present", "key");
        var config = _dir.Write("config", $"Host c\n  HostName real-host\n  Port 2200\n  User alice\n  IdentityFile {_dir.Combine("k", "absent")}\n  IdentityFile {present}\n  UserKnownHostsFile /kh/from-config\n");

        var target = SshTarget.Resolve(new SshConnectionOptions { ComputerName = "c", SshConfigPath = config });

        Assert.Equal(("real-host", 2200, "alice"), (target.HostName, target.Port, target.UserName));
        Assert.Equal(new[] { present }, target.KeyFiles);
        Assert.Equal("/kh/from-config", target.KnownHostsPath);
        Assert.Equal("alice@real-host:2200", target.ToString());
    }

    [Fact]
    public void SshTarget_NothingConfigured_Port22LocalUser()
    {
        var target = SshTarget.Resolve(new SshConnectionOptions { ComputerName = "h", SshConfigPath = _dir.Write("config", string.Empty) });

        Assert.Equal(("h", 22, Environment.UserName), (target.HostName, target.Port, target.UserName));
        Assert.Equal(Path.Combine(Home, ".ssh", "known_hosts"), target.KnownHostsPath);
    }
}
