using System.Diagnostics;
using System.Net.Sockets;
using Autolab.Slurm.Ssh;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>
/// A private sshd, started by the test on a free loopback port, that has only an RSA host key: the server then
/// signs with rsa-sha2-512, an algorithm name that is not a known_hosts key type. -AcceptNewHostKey must
/// record "ssh-rsa" (what OpenSSH writes) so the next connection, and ssh itself, trust the line.
/// </summary>
[Collection(SshdCollection.Name)]
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RsaOnlySshdTests : IDisposable
{
    private readonly LiveSsh _ssh = new();
    private readonly Process _sshd;
    private readonly int _port;
    private readonly string _hostKeyBase64;

    public RsaOnlySshdTests()
    {
        var dir = _ssh.Dir.Combine("sshd");
        Directory.CreateDirectory(dir);
        var hostKey = Path.Combine(dir, "host_rsa");
        LiveSsh.RunLocal("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", string.Empty, "-f", hostKey);
        _hostKeyBase64 = File.ReadAllText(hostKey + ".pub").Split(' ')[1];
        File.Copy(_ssh.Testbed.KeyEd25519 + ".pub", Path.Combine(dir, "authorized_keys"));
        _port = LiveSsh.FreePort();
        var config = _ssh.Dir.Write("sshd/sshd_config", $"""
            ListenAddress 127.0.0.1
            Port {_port}
            HostKey {hostKey}
            HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {dir}/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            Subsystem sftp internal-sftp
            """);
        var info = new ProcessStartInfo(SshdPath()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-D", "-e", "-f", config })
        {
            info.ArgumentList.Add(argument);
        }

        _sshd = Process.Start(info)!;
        _sshd.BeginErrorReadLine();
        _sshd.BeginOutputReadLine();
        try
        {
            WaitUntilListening(_port, TimeSpan.FromSeconds(15));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _ssh.Dispose();
        if (!_sshd.HasExited)
        {
            _sshd.Kill(entireProcessTree: true);
            _sshd.WaitForExit(10_000);
        }

        _sshd.Dispose();
    }

    private SshConnectionOptions Options(string knownHosts, bool accept) => _ssh.Options(knownHosts: knownHosts, accept: accept, port: _port);

    [Fact]
    public async Task Connect_AcceptNewRsaHostKey_SshRsaLineRecordedAndTrustedNextTime()
    {
        var knownHosts = _ssh.Dir.Write("known_hosts", string.Empty);

        Assert.Equal(0, (await _ssh.RunBoundedAsync(Options(knownHosts, accept: true), "true")).ExitCode);

        var line = Assert.Single(File.ReadAllLines(knownHosts));
        Assert.Equal($"[127.0.0.1]:{_port} ssh-rsa {_hostKeyBase64}", line);
        Assert.Equal(0, (await _ssh.RunBoundedAsync(Options(knownHosts, accept: false), "true")).ExitCode);
        Assert.Contains(_hostKeyBase64, LiveSsh.RunLocal("ssh-keygen", "-F", $"[127.0.0.1]:{_port}", "-f", knownHosts), StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_KnownSshRsaLine_Trusted()
    {
        var knownHosts = _ssh.Dir.Write("known_hosts", $"[127.0.0.1]:{_port} ssh-rsa {_hostKeyBase64}\n");

        Assert.Equal(0, LiveSsh.Run(_ssh.Session(Options(knownHosts, accept: false)), "true").ExitCode);
    }

    private static string SshdPath()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/sbin").Append("/usr/local/sbin"))
        {
            var candidate = Path.Combine(directory, "sshd");
            if (Path.IsPathRooted(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("sshd is not installed (tests/infra/install-deps.sh installs it)");
    }

    private void WaitUntilListening(int port, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (_sshd.HasExited)
            {
                throw new InvalidOperationException($"the private sshd exited with {_sshd.ExitCode}");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException($"the private sshd did not listen on {port} within {limit}");
    }
}
