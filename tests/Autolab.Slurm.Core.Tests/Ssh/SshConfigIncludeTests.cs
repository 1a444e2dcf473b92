using System.Diagnostics;
using Autolab.Slurm.Ssh;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>
/// Include in an ssh config (ssh_config(5)): each case is a small tree of config files, resolved by
/// SshConfigFile and by the real OpenSSH client (<c>ssh -G -F</c>, which prints the configuration it would
/// use without connecting); the two must agree on HostName, Port, User and the IdentityFile list.
/// </summary>
public sealed class SshConfigIncludeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string, string[]> Cases => new()
    {
        {
            "an included file's Host block",
            "login1",
            new[] { "config=Include {dir}/extra\nHost *\n  User fallback\n", "extra=Host login1\n  HostName 10.9.8.7\n  Port 2201\n  User alice\n" }
        },
        {
            "a glob: every match, in lexical order, first value wins",
            "login1",
            new[] { "config=Include {dir}/conf.d/*.conf\n", "conf.d/20-b.conf=Host login1\n  Port 2202\n  User bob\n", "conf.d/10-a.conf=Host login1\n  Port 2201\n  IdentityFile /k/a\n", "conf.d/30-c.txt=Host login1\n  User never\n" }
        },
        {
            "settings before the Include win over the included file's",
            "login1",
            new[] { "config=Host login1\n  Port 2300\nInclude {dir}/extra\n", "extra=Host login1\n  Port 2201\n  User alice\n" }
        },
        {
            "an Include inside a Host block that does not apply adds nothing",
            "login1",
            new[] { "config=Host other\n  Include {dir}/extra\nHost login1\n  User carol\n", "extra=Port 2209\nHost *\n  HostName wrong\n" }
        },
        {
            "an Include inside the matching Host block: its top lines apply",
            "login1",
            new[] { "config=Host login1\n  Include {dir}/extra\n", "extra=Port 2209\nUser dave\n" }
        },
        {
            "the including block applies again after the included file's own Host lines",
            "login1",
            new[] { "config=Host login1\n  Include {dir}/extra\n  User erin\n", "extra=Host nothing-matches\n  Port 2209\n" }
        },
        {
            "nested includes",
            "login1",
            new[] { "config=Include {dir}/a\n", "a=Include {dir}/b\nHost login1\n  User frank\n", "b=Host login1\n  HostName nested.example.org\n  IdentityFile /k/nested\n" }
        },
        {
            "an Include matching no file adds nothing",
            "login1",
            new[] { "config=Include {dir}/missing {dir}/none-*.conf\nHost login1\n  Port 2203\n" }
        },
        {
            "a character class, and an unclosed '[' taken literally",
            "login1",
            new[] { "config=Include {dir}/p[0-9].conf {dir}/odd[\n", "p1.conf=Host login1\n  Port 2207\n", "px.conf=Host login1\n  User never\n", "odd[=Host login1\n  User henry\n" }
        },
        {
            "several words on one Include line",
            "login1",
            new[] { "config=Include {dir}/x {dir}/y\n", "x=Host login1\n  IdentityFile /k/x\n", "y=Host login1\n  IdentityFile /k/y\n  Port 2204\n" }
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resolve_Include_AgreesWithOpenSsh(string label, string alias, string[] files)
    {
        foreach (var file in files)
        {
            var split = file.IndexOf('=', StringComparison.Ordinal);
            _dir.Write(file[..split], file[(split + 1)..].Replace("{dir}", _dir.Path, StringComparison.Ordinal));
        }

        var config = _dir.Combine("config");
        var ours = SshConfigFile.Resolve(alias, config);
        var openSsh = SshG(config, alias);

        Assert.True(openSsh["hostname"][0] == ours.HostName, $"{label}: HostName ours {ours.HostName}, ssh -G {openSsh["hostname"][0]}");
        Assert.True(openSsh["port"][0] == (ours.Port ?? 22).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{label}: Port ours {ours.Port}, ssh -G {openSsh["port"][0]}");
        Assert.True(openSsh["user"][0] == (ours.User ?? Environment.UserName), $"{label}: User ours {ours.User}, ssh -G {openSsh["user"][0]}");
        if (ours.IdentityFiles.Count > 0)
        {
            Assert.Equal(openSsh["identityfile"], ours.IdentityFiles);
        }
    }

    [Fact]
    public void Resolve_IncludeLoop_StopsAtOpenSshDepth()
    {
        var config = _dir.Write("config", $"Include {_dir.Combine("config")}\nHost login1\n  Port 2205\n");

        var settings = SshConfigFile.Resolve("login1", config);

        Assert.Equal(2205, settings.Port);
    }

    [Fact]
    public void HostAliases_IncludedFiles_AliasesInPlace()
    {
        _dir.Write("conf.d/b.conf", "Host beta *.wild\n");
        _dir.Write("conf.d/a.conf", "Host alpha\n");
        var config = _dir.Write("config", $"Host first\nInclude {_dir.Combine("conf.d", "*.conf")}\nHost last\n");

        Assert.Equal(new[] { "first", "alpha", "beta", "last" }, SshConfigFile.HostAliases(config));
    }

    [Fact]
    public void Resolve_RelativeAndTildeInclude_UnderTheUsersSshFolderAsOpenSsh()
    {
        var sshDirectory = SshConnectionOptions.DefaultSshDirectory;
        var created = !Directory.Exists(sshDirectory);
        Directory.CreateDirectory(sshDirectory);
        var name = "autolab-include-test-" + Guid.NewGuid().ToString("N");
        var relative = Path.Combine(sshDirectory, name + "-rel");
        var tilde = Path.Combine(sshDirectory, name + "-tilde");
        try
        {
            File.WriteAllText(relative, "Host login1\n  Port 2206\n");
            File.WriteAllText(tilde, "Host login1\n  User grace\n  HostName tilde.example.org\n");
            var config = _dir.Write("config", $"Include {name}-rel ~/.ssh/{name}-tilde\n");

            var ours = SshConfigFile.Resolve("login1", config);
            var openSsh = SshG(config, "login1");

            Assert.Equal((2206, "grace", "tilde.example.org"), (ours.Port, ours.User, ours.HostName));
            Assert.Equal(new[] { "2206" }, openSsh["port"]);
            Assert.Equal(new[] { "grace" }, openSsh["user"]);
            Assert.Equal(new[] { "tilde.example.org" }, openSsh["hostname"]);
        }
        finally
        {
            File.Delete(relative);
            File.Delete(tilde);
            if (created)
            {
                Directory.Delete(sshDirectory);
            }
        }
    }

    /// <summary>What <c>ssh -G</c> says, keyword -> values in order.</summary>
    private static Dictionary<string, List<string>> SshG(string config, string alias)
    {
        var start = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-G", "-F", config, alias })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "ssh -G did not finish");
        Assert.True(process.ExitCode == 0, "ssh -G failed: " + error.Result);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var key = space < 0 ? line : line[..space];
            if (!values.TryGetValue(key, out var list))
            {
                values[key] = list = new List<string>();
            }

            list.Add(space < 0 ? string.Empty : line[(space + 1)..]);
        }

        return values;
    }
}
