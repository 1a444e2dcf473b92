using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Ssh;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Ssh;

[CollectionDefinition(Name)]
public sealed class SshdCollection
{
    /// <summary>The live SSH classes run one after the other (they share one sshd and its log).</summary>
    public const string Name = "sshd";
}

/// <summary>Helpers the live SSH tests share: options for the testbed, sessions disposed at the end.</summary>
internal sealed class LiveSsh : IDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly List<IDisposable> _owned = new();

    public Testbed Testbed { get; } = Testbed.Current;

    public TempDir Dir { get; } = new();

    /// <summary>An empty ssh config, so the user's ~/.ssh/config never takes part.</summary>
    public string EmptyConfig => File.Exists(Dir.Combine("empty_ssh_config")) ? Dir.Combine("empty_ssh_config") : Dir.Write("empty_ssh_config", string.Empty);

    public SshConnectionOptions Options(string key = "ed25519", string? knownHosts = null, bool accept = false, string? passphrase = null, int? port = null) => new()
    {
        ComputerName = Testbed.Host,
        Port = port ?? Testbed.Port,
        UserName = Testbed.User,
        KeyFilePath = Testbed.Key(key),
        KeyPassphrase = passphrase,
        KnownHostsPath = knownHosts ?? Testbed.KnownHosts,
        SshConfigPath = EmptyConfig,
        AcceptNewHostKey = accept,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    public SshSession Session(SshConnectionOptions options) => Own(new SshSession(SshTarget.Resolve(options)));

    public T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>
    /// Connects and runs a command with a hard bound, so a deadlock in the connect path fails the test instead of
    /// hanging the whole run. A session that never finished is abandoned (disposing it could block as well).
    /// </summary>
    public async Task<CommandResult> RunBoundedAsync(SshConnectionOptions options, string program, params string[] arguments)
    {
        var session = new SshSession(SshTarget.Resolve(options));
        var work = Task.Run(() => Run(session, program, arguments));
        try
        {
            var result = await work.WaitAsync(TimeSpan.FromSeconds(60));
            _owned.Add(session);
            return result;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"connecting to {session.Target} and running '{program}' did not finish within 60 s (a deadlock in the connect path?)");
            throw;
        }
        catch
        {
            _owned.Add(session);
            throw;
        }
    }

    public static CommandResult Run(SshSession session, string program, params string[] arguments) =>
        new SshCommandRunner(session).Run(new CommandSpec(program, arguments), CommandTimeout, CancellationToken.None);

    /// <summary>A copy of a testbed file in the temp dir: the test bed's own files are never written.</summary>
    public string CopyOf(string path, string name)
    {
        var copy = Dir.Combine(name);
        File.Copy(path, copy);
        return copy;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static string RunLocal(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), program + " did not finish");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        return output;
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        Dir.Dispose();
    }
}

/// <summary>
/// SshSession, SshCommandRunner and SshConnectionPool against the real key-only sshd of tests/infra
/// (interface.md: SSH parameters, HostKeyUnknown/HostKeyMismatch/SshAuthenticationFailed/SshConnectionFailed;
/// STYLE.md: remote command lines from validated tokens with POSIX single quotes).
/// </summary>
[Collection(SshdCollection.Name)]
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SshLiveTests : IDisposable
{
    private readonly LiveSsh _ssh = new();

    public void Dispose() => _ssh.Dispose();

    private Testbed Tb => _ssh.Testbed;

    private static AutolabException ConnectFails(SshSession session) =>
        Assert.Throws<AutolabException>(() => session.Commands);

    // ---- keys and trust ----------------------------------------------------------------------------

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsaPem")]
    [InlineData("ecdsa")]
    public void Connect_KeyType_LoggedIn(string key)
    {
        var session = _ssh.Session(_ssh.Options(key));

        var result = LiveSsh.Run(session, "id", "-un");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Tb.User + "\n", result.StandardOutput);
    }

    [Fact]
    public void Connect_PassphraseKeyWithPassphrase_LoggedIn()
    {
        var session = _ssh.Session(_ssh.Options("ed25519Passphrase", passphrase: Tb.Passphrase));

        Assert.Equal(Tb.User + "\n", LiveSsh.Run(session, "id", "-un").StandardOutput);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-passphrase")]
    public void Connect_PassphraseKeyWithoutRightPassphrase_SshAuthenticationFailed(string? passphrase)
    {
        var session = _ssh.Session(_ssh.Options("ed25519Passphrase", passphrase: passphrase));

        var error = ConnectFails(session);

        Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
        Assert.Contains(Tb.KeyEd25519Passphrase, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_SshConfigAlias_ResolvedAndLoggedIn()
    {
        var options = new SshConnectionOptions { ComputerName = Tb.Alias, SshConfigPath = Tb.SshConfig, ConnectTimeout = TimeSpan.FromSeconds(15) };
        var target = SshTarget.Resolve(options);

        Assert.Equal((Tb.Alias, Tb.Host, Tb.Port, Tb.User), (target.Alias, target.HostName, target.Port, target.UserName));
        Assert.Equal(new[] { Tb.KeyEd25519 }, target.KeyFiles);
        Assert.Equal(Tb.KnownHosts, target.KnownHostsPath);
        var session = _ssh.Own(new SshSession(target));
        Assert.Equal(Tb.User + "\n", LiveSsh.Run(session, "id", "-un").StandardOutput);
    }

    [Fact]
    public void Connect_EmptyKnownHosts_HostKeyUnknownFileUntouched()
    {
        var knownHosts = _ssh.Dir.Write("known_hosts", string.Empty);
        var session = _ssh.Session(_ssh.Options(knownHosts: knownHosts));

        var error = ConnectFails(session);

        Assert.Equal(ErrorIds.HostKeyUnknown, error.ErrorId);
        Assert.Equal(AutolabErrorCategory.SecurityError, error.Category);
        Assert.Contains(knownHosts, error.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, File.ReadAllText(knownHosts));
    }

    [Fact]
    public void Connect_MissingKnownHostsFile_HostKeyUnknownNotCreated()
    {
        var knownHosts = _ssh.Dir.Combine("nope", "known_hosts");

        var error = ConnectFails(_ssh.Session(_ssh.Options(knownHosts: knownHosts)));

        Assert.Equal(ErrorIds.HostKeyUnknown, error.ErrorId);
        Assert.False(File.Exists(knownHosts));
    }

    [Fact]
    public async Task Connect_AcceptNewHostKey_OneCorrectLineAppendedThenTrusted()
    {
        var knownHosts = _ssh.Dir.Write("known_hosts", string.Empty);

        var first = await _ssh.RunBoundedAsync(_ssh.Options(knownHosts: knownHosts, accept: true), "id", "-un");
        Assert.Equal(Tb.User + "\n", first.StandardOutput);

        var lines = File.ReadAllLines(knownHosts);
        var line = Assert.Single(lines);
        var fields = line.Split(' ');
        Assert.Equal(3, fields.Length);
        Assert.Equal(KnownHosts.IdentityOf(Tb.Host, Tb.Port), fields[0]);
        Assert.Contains((fields[1], fields[2]), Tb.HostKeys());

        var second = await _ssh.RunBoundedAsync(_ssh.Options(knownHosts: knownHosts), "id", "-un");
        Assert.Equal(Tb.User + "\n", second.StandardOutput);
        Assert.Single(File.ReadAllLines(knownHosts));
        Assert.Contains(fields[2], LiveSsh.RunLocal("ssh-keygen", "-F", fields[0], "-f", knownHosts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_AcceptNewHostKeyNotRecorded_TrustedForThisConnectionAndFileUntouched()
    {
        var knownHosts = _ssh.Dir.Write("known_hosts_whatif", string.Empty);
        var before = File.GetLastWriteTimeUtc(knownHosts);

        var run = await _ssh.RunBoundedAsync(_ssh.Options(knownHosts: knownHosts, accept: true) with { RecordNewHostKey = false }, "id", "-un");

        Assert.Equal(Tb.User + "\n", run.StandardOutput);
        Assert.Equal(string.Empty, File.ReadAllText(knownHosts));
        Assert.Equal(before, File.GetLastWriteTimeUtc(knownHosts));
        Assert.NotEqual(
            SshTarget.Resolve(_ssh.Options(knownHosts: knownHosts, accept: true)).Key,
            SshTarget.Resolve(_ssh.Options(knownHosts: knownHosts, accept: true) with { RecordNewHostKey = false }).Key);
    }

    [Fact]
    public async Task Connect_AcceptNewHostKeyWithOtherHostsListed_ExistingLinesKept()
    {
        var existing = "# my hosts\nlogin.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGWBNDo6a4EiYsUtSTjPG5F0WfjhrOMNlVgvjGzgiYMI\n";
        var knownHosts = _ssh.Dir.Write("known_hosts", existing);

        await _ssh.RunBoundedAsync(_ssh.Options(knownHosts: knownHosts, accept: true), "true");

        var text = File.ReadAllText(knownHosts);
        Assert.StartsWith(existing, text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Connect_ChangedHostKey_HostKeyMismatchEvenWithAccept(bool accept)
    {
        var knownHosts = _ssh.CopyOf(Tb.KnownHostsWrong, "known_hosts_wrong");
        var before = File.ReadAllBytes(knownHosts);

        var error = ConnectFails(_ssh.Session(_ssh.Options(knownHosts: knownHosts, accept: accept)));

        Assert.Equal(ErrorIds.HostKeyMismatch, error.ErrorId);
        Assert.Contains("CHANGED", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(knownHosts));
    }

    [Fact]
    public void Connect_HashedKnownHosts_Trusted()
    {
        var session = _ssh.Session(_ssh.Options(knownHosts: Tb.KnownHostsHashed));

        Assert.Equal(0, LiveSsh.Run(session, "true").ExitCode);
    }

    [Fact]
    public void Connect_KnownHostsHashedBySshKeygen_Trusted()
    {
        var knownHosts = _ssh.CopyOf(Tb.KnownHosts, "known_hosts");
        LiveSsh.RunLocal("ssh-keygen", "-H", "-f", knownHosts);

        Assert.Equal(0, LiveSsh.Run(_ssh.Session(_ssh.Options(knownHosts: knownHosts)), "true").ExitCode);
    }

    [Theory]
    [InlineData("ssh-ed25519")]
    [InlineData("ecdsa-sha2-nistp256")]
    [InlineData("ssh-rsa")]
    public void Connect_KnownHostsHoldsOneKeyType_ThatTypeNegotiatedAndTrusted(string keyType)
    {
        var line = File.ReadAllLines(Tb.KnownHosts).Single(l => l.Split(' ')[1] == keyType);
        var knownHosts = _ssh.Dir.Write("known_hosts", line + "\n");

        Assert.Equal(0, LiveSsh.Run(_ssh.Session(_ssh.Options(knownHosts: knownHosts)), "true").ExitCode);
    }

    [Fact]
    public void Connect_EveryHostKeyRevoked_RefusedEvenWithAccept()
    {
        var revoked = string.Concat(File.ReadAllLines(Tb.KnownHosts).Select(l => "@revoked " + l + "\n"));
        var knownHosts = _ssh.Dir.Write("known_hosts", revoked);

        var error = ConnectFails(_ssh.Session(_ssh.Options(knownHosts: knownHosts, accept: true)));

        Assert.Equal(ErrorIds.HostKeyMismatch, error.ErrorId);
        Assert.Contains("revoked", error.Message, StringComparison.Ordinal);
        Assert.Equal(revoked, File.ReadAllText(knownHosts));
    }

    [Fact]
    public void Connect_WrongKey_SshAuthenticationFailed()
    {
        var error = ConnectFails(_ssh.Session(_ssh.Options("wrong")));

        Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
        Assert.Contains(Tb.KeyWrong, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_KeyFileMissing_SshAuthenticationFailed()
    {
        var options = _ssh.Options() with { KeyFilePath = _ssh.Dir.Combine("no_such_key") };

        var error = ConnectFails(_ssh.Session(options));

        Assert.Equal(ErrorIds.SshAuthenticationFailed, error.ErrorId);
    }

    [Fact]
    public void Connect_FreePort_SshConnectionFailed()
    {
        var port = LiveSsh.FreePort();
        var watch = Stopwatch.StartNew();

        var error = ConnectFails(_ssh.Session(_ssh.Options(port: port)));

        Assert.Equal(ErrorIds.SshConnectionFailed, error.ErrorId);
        Assert.Equal(AutolabErrorCategory.ConnectionError, error.Category);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        // A hang guard only: a refused connection must not wait for a long connect timeout.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"a refused connection took {watch.Elapsed}");
    }

    [Fact]
    public void Connect_UnresolvableHost_SshConnectionFailed()
    {
        var options = _ssh.Options() with { ComputerName = "no-such-host.invalid" };

        Assert.Equal(ErrorIds.SshConnectionFailed, ConnectFails(_ssh.Session(options)).ErrorId);
    }

    // ---- commands ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("'")]
    [InlineData("''")]
    [InlineData("\"double\"")]
    [InlineData("$(id)")]
    [InlineData("`id`")]
    [InlineData("${HOME}")]
    [InlineData("$HOME")]
    [InlineData("a b  c")]
    [InlineData(" leading and trailing ")]
    [InlineData("line1\nline2")]
    [InlineData("a; echo injected")]
    [InlineData("a && echo injected")]
    [InlineData("a | cat")]
    [InlineData("a > /dev/null")]
    [InlineData("*")]
    [InlineData("~")]
    [InlineData("\\")]
    [InlineData("\\n")]
    [InlineData("!")]
    [InlineData("#not a comment")]
    [InlineData("-n")]
    [InlineData("--")]
    [InlineData("\t")]
    [InlineData("ünïcødé ✓")]
    [InlineData("'\"'\"$(id)`id`;|&<>*?[]{}()!#~\\")]
    public void Run_NastyArgument_ReturnedVerbatim(string argument)
    {
        var session = _ssh.Session(_ssh.Options());

        var result = LiveSsh.Run(session, "printf", "%s\n", argument);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(argument + "\n", result.StandardOutput);
        Assert.Equal(string.Empty, result.StandardError);
    }

    [Fact]
    public void Run_EmptyArgument_KeptAsOneArgument()
    {
        var result = LiveSsh.Run(_ssh.Session(_ssh.Options()), "printf", "[%s]", "a", string.Empty, "b");

        Assert.Equal("[a][][b]", result.StandardOutput);
    }

    [Fact]
    public void Run_ShellSyntaxInArguments_NeverExecuted()
    {
        var canary = _ssh.Dir.Combine("canary");
        var session = _ssh.Session(_ssh.Options());

        LiveSsh.Run(session, "printf", "%s\n", $"$(touch {canary})", $"`touch {canary}`", $"; touch {canary}", $"\ntouch {canary}", $"' ; touch {canary} ; '");

        Assert.False(File.Exists(canary), "an argument was interpreted by the remote shell");
    }

    [Fact]
    public void Run_ProgramNameWithShellSyntax_NotInterpreted()
    {
        var canary = _ssh.Dir.Combine("canary");

        Assert.Throws<CommandStartException>(() => LiveSsh.Run(_ssh.Session(_ssh.Options()), $"true; touch {canary}"));
        Assert.False(File.Exists(canary));
    }

    [Fact]
    public void Run_EnvironmentAndUnset_Applied()
    {
        var session = _ssh.Session(_ssh.Options());
        var spec = new CommandSpec("sh", new[] { "-c", "printf '%s|%s' \"$AUTOLAB_A\" \"${HOME-unset}\"" })
        {
            Environment = new Dictionary<string, string> { ["AUTOLAB_A"] = "it's $(id) `x`" },
            UnsetVariables = new[] { "HOME" },
        };

        var result = new SshCommandRunner(session).Run(spec, LiveSsh.CommandTimeout, CancellationToken.None);

        Assert.Equal("it's $(id) `x`|unset", result.StandardOutput);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(126)]
    [InlineData(255)]
    public void Run_ExitCodeAndStderr_Returned(int code)
    {
        var result = LiveSsh.Run(_ssh.Session(_ssh.Options()), "sh", "-c", $"echo out; echo err >&2; exit {code}");

        Assert.Equal(code, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
    }

    [Fact]
    public void Run_MissingProgram_CommandStartException()
    {
        var error = Assert.Throws<CommandStartException>(() => LiveSsh.Run(_ssh.Session(_ssh.Options()), "autolab-no-such-program", "x"));

        Assert.Contains("autolab-no-such-program", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SessionCannotConnect_CommandStartException()
    {
        var session = _ssh.Session(_ssh.Options(port: LiveSsh.FreePort()));

        var error = Assert.Throws<CommandStartException>(() => LiveSsh.Run(session, "true"));

        Assert.Equal(ErrorIds.SshConnectionFailed, Assert.IsType<AutolabException>(error.InnerException).ErrorId);
    }

    [Fact]
    public void Run_Timeout_CommandTimeoutExceptionSessionStillUsable()
    {
        var session = _ssh.Session(_ssh.Options());
        var runner = new SshCommandRunner(session);
        var watch = Stopwatch.StartNew();

        Assert.Throws<CommandTimeoutException>(() => runner.Run(new CommandSpec("sleep", new[] { "600" }), TimeSpan.FromSeconds(1), CancellationToken.None));

        // The command would take 10 minutes: finishing far sooner shows the timeout ended it (a hang guard, not a figure).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"the timeout took {watch.Elapsed}");
        Assert.Equal(0, LiveSsh.Run(session, "true").ExitCode);
    }

    /// <summary>STYLE.md: "a cancelled or timed-out child process is killed with its whole tree".</summary>
    [Fact]
    public void Run_Timeout_RemoteProcessEnded()
    {
        var marker = "47." + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var runner = new SshCommandRunner(_ssh.Session(_ssh.Options()));

        Assert.Throws<CommandTimeoutException>(() => runner.Run(new CommandSpec("sleep", new[] { marker }), TimeSpan.FromSeconds(1), CancellationToken.None));

        var left = WaitForNoProcess("sleep " + marker, TimeSpan.FromSeconds(10));
        Assert.True(left.Count == 0, $"the remote 'sleep {marker}' still runs after the timeout (pids {string.Join(',', left)})");
    }

    [Fact]
    public void Run_Cancelled_OperationCanceledQuickly()
    {
        var runner = new SshCommandRunner(_ssh.Session(_ssh.Options()));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() => runner.Run(new CommandSpec("sleep", new[] { "600" }), TimeSpan.FromSeconds(900), cts.Token));

        // The command would take 10 minutes: finishing far sooner shows the cancellation ended it.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"cancellation took {watch.Elapsed}");
    }

    [Fact]
    public void Run_LargeOutput_Complete()
    {
        var result = LiveSsh.Run(_ssh.Session(_ssh.Options()), "seq", "1", "200000");

        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(200_000, lines.Length);
        Assert.Equal("200000", lines[^1]);
    }

    // ---- the pool ----------------------------------------------------------------------------------

    [Fact]
    public void Pool_SameTarget_OneSessionOneConnection()
    {
        using var pool = new SshConnectionPool();

        var a = pool.Get(_ssh.Options());
        var b = pool.Get(_ssh.Options());
        var clientA = a.Commands;
        LiveSsh.Run(a, "true");
        LiveSsh.Run(b, "true");

        Assert.Same(a, b);
        Assert.Equal(1, pool.Count);
        Assert.Same(clientA, b.Commands);
    }

    [Fact]
    public void Pool_AliasAndExplicitOptionsForSameTarget_SameSession()
    {
        using var pool = new SshConnectionPool();

        var viaAlias = pool.Get(new SshConnectionOptions { ComputerName = Tb.Alias, SshConfigPath = Tb.SshConfig });
        var explicitly = pool.Get(_ssh.Options() with { SshConfigPath = Tb.SshConfig });

        Assert.Same(viaAlias, explicitly);
    }

    [Fact]
    public void Pool_OtherKey_OtherSession()
    {
        using var pool = new SshConnectionPool();

        var a = pool.Get(_ssh.Options("ed25519"));
        var b = pool.Get(_ssh.Options("ecdsa"));

        Assert.NotSame(a, b);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void Pool_Dispose_SessionsClosed()
    {
        var pool = new SshConnectionPool();
        var session = pool.Get(_ssh.Options());
        var client = session.Commands;
        var sftp = session.RentSftp();
        session.ReturnSftp(sftp);
        Assert.True(client.IsConnected);

        pool.Dispose();

        Assert.Equal(0, pool.Count);
        Assert.Throws<ObjectDisposedException>(() => session.Commands);
        Assert.Throws<ObjectDisposedException>(() => session.RentSftp());
        Assert.False(IsConnected(client));
        Assert.False(IsConnected(sftp));
    }

    [Fact]
    public void Pool_Remove_NextGetConnectsAfresh()
    {
        using var pool = new SshConnectionPool();
        var first = pool.Get(_ssh.Options());
        LiveSsh.Run(first, "true");

        pool.Remove(first);
        var second = pool.Get(_ssh.Options());

        Assert.NotSame(first, second);
        Assert.Throws<ObjectDisposedException>(() => first.Commands);
        Assert.Equal(0, LiveSsh.Run(second, "true").ExitCode);
    }

    [Fact]
    public void Session_CommandClientDropped_ReconnectedOnNextUse()
    {
        var session = _ssh.Session(_ssh.Options());
        var first = session.Commands;
        first.Disconnect();

        var result = LiveSsh.Run(session, "id", "-un");

        Assert.Equal(Tb.User + "\n", result.StandardOutput);
        Assert.NotSame(first, session.Commands);
    }

    [Fact]
    public void Session_IdleSftpClientDropped_NewOneRented()
    {
        var session = _ssh.Session(_ssh.Options());
        var first = session.RentSftp();
        session.ReturnSftp(first);
        first.Disconnect();

        var second = session.RentSftp();

        Assert.NotSame(first, second);
        Assert.True(second.IsConnected);
        session.ReturnSftp(second);
    }

    [Fact]
    public void Session_RentReturnSftp_ClientReused()
    {
        var session = _ssh.Session(_ssh.Options());

        var a = session.RentSftp();
        session.ReturnSftp(a);
        var b = session.RentSftp();
        var c = session.RentSftp();

        Assert.Same(a, b);
        Assert.NotSame(b, c);
        Assert.True(c.IsConnected);
        session.ReturnSftp(b);
        session.ReturnSftp(c);
    }

    private static bool IsConnected(Renci.SshNet.BaseClient client)
    {
        try
        {
            return client.IsConnected;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Waits for no local process to match <paramref name="pattern"/> (the sshd runs here); ends any left (by pid) and returns their pids.</summary>
    private static List<int> WaitForNoProcess(string pattern, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        List<int> pids;
        do
        {
            pids = Pgrep(pattern);
            if (pids.Count == 0)
            {
                return pids;
            }

            Thread.Sleep(200);
        }
        while (DateTime.UtcNow < deadline);

        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        return pids;
    }

    private static List<int> Pgrep(string pattern)
    {
        var info = new ProcessStartInfo("pgrep") { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add("^" + pattern + "$");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(10_000);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }
}
