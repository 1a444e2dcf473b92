using System.Collections.Concurrent;
using System.Net.Sockets;
using Autolab.Slurm.Errors;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Autolab.Slurm.Ssh;

/// <summary>
/// One authenticated connection to a login node (an SSH client for commands, SFTP clients for files),
/// opened on first use. Host keys are checked against known_hosts before anything is sent: an unknown
/// host is refused unless AcceptNewHostKey (then its key is recorded, unless RecordNewHostKey is off), a changed key always.
/// </summary>
public sealed class SshSession : IDisposable
{
    private readonly object _gate = new();

    // Separate from _gate: the host key callback runs on SSH.NET's thread while Commands holds _gate.
    private static readonly object KnownHostsWrite = new();
    private readonly List<SftpClient> _sftpClients = new();
    private readonly ConcurrentBag<SftpClient> _idleSftp = new();
    private SshClient? _ssh;
    private bool _disposed;

    public SshSession(SshTarget target) => Target = target;

    public SshTarget Target { get; }

    /// <summary>The command client, connected (and reconnected after a drop).</summary>
    public SshClient Commands
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_ssh is { IsConnected: true })
                {
                    return _ssh;
                }

                _ssh?.Dispose();
                _ssh = null;
                var client = new SshClient(BuildConnectionInfo()) { KeepAliveInterval = TimeSpan.FromSeconds(30) };
                Connect(client);
                _ssh = client;
                return client;
            }
        }
    }

    /// <summary>Borrows a connected SFTP client; give it back with <see cref="ReturnSftp"/>. Several may be open for parallel transfers.</summary>
    public SftpClient RentSftp()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (_idleSftp.TryTake(out var idle))
        {
            if (idle.IsConnected)
            {
                return idle;
            }

            Forget(idle);
        }

        // 64 KiB is the most a READ can carry (larger buffers change nothing); a stalled server fails a
        // request after a minute instead of hanging forever (SSH.NET's default).
        var client = new SftpClient(BuildConnectionInfo())
        {
            OperationTimeout = TimeSpan.FromSeconds(60),
            BufferSize = 64 * 1024,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        };
        Connect(client);
        lock (_gate)
        {
            _sftpClients.Add(client);
        }

        return client;
    }

    public void ReturnSftp(SftpClient client)
    {
        if (!_disposed && client.IsConnected)
        {
            _idleSftp.Add(client);
        }
        else
        {
            Forget(client);
        }
    }

    private void Forget(SftpClient client)
    {
        lock (_gate)
        {
            _sftpClients.Remove(client);
        }

        client.Dispose();
    }

    private ConnectionInfo BuildConnectionInfo()
    {
        // The host first: a mistyped name must say so, not complain about keys it never got to use.
        if (!System.Net.IPAddress.TryParse(Target.HostName, out _))
        {
            try
            {
                System.Net.Dns.GetHostAddresses(Target.HostName);
            }
            catch (SocketException ex)
            {
                throw new AutolabException(
                    ErrorIds.SshConnectionFailed,
                    AutolabErrorCategory.ConnectionError,
                    $"Cannot connect to {Target}: the host name '{Target.HostName}' does not resolve ({ErrorText.Clause(ex.Message)}). Check the name (or the HostName of the ssh config entry) and the network.",
                    Target.ToString(),
                    ex)
                {
                    Detail = $"the host name '{Target.HostName}' does not resolve",
                };
            }
        }

        var methods = new List<AuthenticationMethod>();
        var keys = new List<IPrivateKeySource>();
        foreach (var keyFile in Target.KeyFiles)
        {
            try
            {
                keys.Add(Target.KeyPassphrase is null ? new PrivateKeyFile(keyFile) : new PrivateKeyFile(keyFile, Target.KeyPassphrase));
            }
            catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                throw new AutolabException(
                    ErrorIds.SshAuthenticationFailed,
                    AutolabErrorCategory.SecurityError,
                    $"The private key '{keyFile}' cannot be used for {Target}: {ErrorText.Clause(ex.Message)}. Check the file (OpenSSH or PEM; ed25519, RSA or ECDSA) and -KeyPassphrase.",
                    Target.ToString(),
                    ex);
            }
        }

        if (keys.Count == 0)
        {
            throw new AutolabException(
                ErrorIds.SshAuthenticationFailed,
                AutolabErrorCategory.SecurityError,
                $"No private key to log in to {Target} with: none given (-KeyFilePath), none in the ssh config (IdentityFile), and no ~/.ssh/id_ed25519, id_ecdsa or id_rsa.",
                Target.ToString());
        }

        methods.Add(new PrivateKeyAuthenticationMethod(Target.UserName, keys.ToArray()));
        var info = new ConnectionInfo(Target.HostName, Target.Port, Target.UserName, methods.ToArray())
        {
            Timeout = Target.ConnectTimeout,
        };
        SshAlgorithms.Prefer(info, KnownHosts.Load(Target.KnownHostsPath).Find(Target.HostName, Target.Port));
        return info;
    }

    private void Connect(BaseClient client)
    {
        // Each attempt judges the host key on its own (parallel SFTP connects must not share a verdict).
        var verdict = new HostKeyVerdict();
        client.HostKeyReceived += (_, e) => Judge(e, verdict);
        try
        {
            client.Connect();
        }
        catch (Exception ex) when (verdict.Problem is not null)
        {
            client.Dispose();
            throw new AutolabException(verdict.ErrorId!, AutolabErrorCategory.SecurityError, verdict.Problem, Target.ToString(), ex);
        }
        catch (SshAuthenticationException ex)
        {
            client.Dispose();
            throw new AutolabException(
                ErrorIds.SshAuthenticationFailed,
                AutolabErrorCategory.SecurityError,
                $"{Target} refused the login with {string.Join(", ", Target.KeyFiles)}: {ErrorText.Clause(ex.Message)}. Check -UserName and -KeyFilePath (is the public key in the login node's authorized_keys?).",
                Target.ToString(),
                ex);
        }
        catch (Exception ex) when (ex is SocketException or SshConnectionException or SshOperationTimeoutException or SshException or IOException or TimeoutException)
        {
            client.Dispose();
            throw new AutolabException(
                ErrorIds.SshConnectionFailed,
                AutolabErrorCategory.ConnectionError,
                $"Cannot connect to {Target}: {ErrorText.Clause(ex.Message)}. Check the host name, -Port and that the login node accepts SSH from here.",
                Target.ToString(),
                ex);
        }
    }

    private sealed class HostKeyVerdict
    {
        public string? ErrorId { get; set; }

        public string? Problem { get; set; }
    }

    private void Judge(HostKeyEventArgs e, HostKeyVerdict verdict)
    {
        var offered = Convert.ToBase64String(e.HostKey);

        // HostKeyName is the signature algorithm (rsa-sha2-512 for an ssh-rsa key): the key type that
        // known_hosts records is the first string inside the key blob.
        var keyType = SshAlgorithms.KeyTypeOfBlob(e.HostKey) ?? SshAlgorithms.KeyTypeOf(e.HostKeyName);
        var known = KnownHosts.Load(Target.KnownHostsPath).Find(Target.HostName, Target.Port);
        var identity = KnownHosts.IdentityOf(Target.HostName, Target.Port);
        void Refuse(string errorId, string message)
        {
            verdict.ErrorId = errorId;
            verdict.Problem = message;
            e.CanTrust = false;
        }

        if (known.Any(k => k.Revoked && k.KeyBase64 == offered))
        {
            Refuse(ErrorIds.HostKeyMismatch, $"The host key {keyType} SHA256:{e.FingerPrintSHA256} of {identity} is marked @revoked in '{Target.KnownHostsPath}'. Nothing was sent; ask the cluster's administrators.");
            return;
        }

        if (known.Any(k => !k.Revoked && k.KeyType == keyType && k.KeyBase64 == offered))
        {
            e.CanTrust = true;
            return;
        }

        if (known.Any(k => !k.Revoked && k.KeyType == keyType))
        {
            Refuse(ErrorIds.HostKeyMismatch, $"The host key of {identity} has CHANGED: it offered {keyType} SHA256:{e.FingerPrintSHA256}, which is not the key recorded in '{Target.KnownHostsPath}'. Nothing was sent. If the login node was really re-keyed, remove the old line (ssh-keygen -R '{identity}' -f '{Target.KnownHostsPath}') and connect again; otherwise someone may be intercepting the connection.");
            return;
        }

        if (Target.AcceptNewHostKey && known.Count == 0)
        {
            if (!Target.RecordNewHostKey)
            {
                // -WhatIf: trusted for this connection, recorded by the run that really pulls.
                e.CanTrust = true;
                return;
            }

            lock (KnownHostsWrite)
            {
                // Parallel connects see the same new host: record it once.
                if (!KnownHosts.Load(Target.KnownHostsPath).Find(Target.HostName, Target.Port).Any(k => k.KeyBase64 == offered))
                {
                    KnownHosts.Append(Target.KnownHostsPath, Target.HostName, Target.Port, keyType, e.HostKey);
                }
            }

            e.CanTrust = true;
            return;
        }

        Refuse(ErrorIds.HostKeyUnknown, $"The host {identity} is not in '{Target.KnownHostsPath}' (it offered {keyType} SHA256:{e.FingerPrintSHA256}). Nothing was sent. Check the fingerprint with the cluster's documentation, then run again with -AcceptNewHostKey to record it (or add it with ssh-keyscan).");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _ssh?.Dispose();
            foreach (var client in _sftpClients)
            {
                client.Dispose();
            }

            _sftpClients.Clear();
        }
    }
}

/// <summary>
/// One session per host, user, port and key set, shared by every command of the PowerShell session and
/// closed when the module is removed.
/// </summary>
public sealed class SshConnectionPool : IDisposable
{
    private readonly ConcurrentDictionary<string, SshSession> _sessions = new(StringComparer.Ordinal);

    public static SshConnectionPool Shared { get; } = new();

    public SshSession Get(SshConnectionOptions options)
    {
        var target = SshTarget.Resolve(options);
        return _sessions.GetOrAdd(target.Key, _ => new SshSession(target));
    }

    /// <summary>Drops a session (after a connection failure), so the next call connects afresh.</summary>
    public void Remove(SshSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, SshSession>(session.Target.Key, session)))
        {
            session.Dispose();
        }
    }

    public int Count => _sessions.Count;

    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _sessions.Clear();
    }
}
