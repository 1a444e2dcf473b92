namespace Autolab.Slurm.Ssh;

/// <summary>
/// How to reach a login node: the SSH parameters of Get-SlurmJobState and Sync-RunArtifacts. Anything
/// not given comes from the ssh config (HostName, User, Port, IdentityFile, UserKnownHostsFile) and then
/// from the user's ~/.ssh defaults.
/// </summary>
public sealed record SshConnectionOptions
{
    /// <summary>A host name, an address, or a Host alias from the ssh config.</summary>
    public required string ComputerName { get; init; }

    public int? Port { get; init; }

    public string? UserName { get; init; }

    public string? KeyFilePath { get; init; }

    /// <summary>The key's passphrase (the cmdlet converts its SecureString only here, at the last moment).</summary>
    public string? KeyPassphrase { get; init; }

    public string? KnownHostsPath { get; init; }

    public string? SshConfigPath { get; init; }

    /// <summary>Trust and record a host key seen for the first time (never a changed one).</summary>
    public bool AcceptNewHostKey { get; init; }

    /// <summary>
    /// Whether a new host key trusted through AcceptNewHostKey is written to known_hosts. False under -WhatIf:
    /// the key is then trusted for this connection only (the listing -WhatIf needs) and nothing is written.
    /// </summary>
    public bool RecordNewHostKey { get; init; } = true;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public static string DefaultSshDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
}

/// <summary>The options with the ssh config and defaults applied: what a connection really uses.</summary>
public sealed record SshTarget(
    string Alias,
    string HostName,
    int Port,
    string UserName,
    IReadOnlyList<string> KeyFiles,
    string? KeyPassphrase,
    string KnownHostsPath,
    bool AcceptNewHostKey,
    TimeSpan ConnectTimeout,
    bool RecordNewHostKey = true)
{
    /// <summary>The pool key: one connection per host, user, port and key set.</summary>
    public string Key =>
        $"{UserName}@{HostName}:{Port}|{string.Join(';', KeyFiles)}|{KnownHostsPath}|{AcceptNewHostKey}|{RecordNewHostKey}|{PassphraseFingerprint}";

    /// <summary>Tells sessions with different passphrases apart without keeping the passphrase in the key.</summary>
    private string PassphraseFingerprint =>
        KeyPassphrase is null ? "-" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(KeyPassphrase)))[..16];

    public override string ToString() => $"{UserName}@{HostName}:{Port}";

    public static SshTarget Resolve(SshConnectionOptions options)
    {
        var sshDirectory = SshConnectionOptions.DefaultSshDirectory;
        var configPath = options.SshConfigPath ?? Path.Combine(sshDirectory, "config");
        var settings = SshConfigFile.Resolve(options.ComputerName, configPath);
        var keys = new List<string>();
        if (!string.IsNullOrEmpty(options.KeyFilePath))
        {
            keys.Add(Path.GetFullPath(options.KeyFilePath));
        }
        else if (settings.IdentityFiles.Count > 0)
        {
            keys.AddRange(settings.IdentityFiles.Where(File.Exists));
        }
        else
        {
            keys.AddRange(new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(k => Path.Combine(sshDirectory, k)).Where(File.Exists));
        }

        return new SshTarget(
            options.ComputerName,
            settings.HostName,
            options.Port ?? settings.Port ?? 22,
            options.UserName ?? settings.User ?? Environment.UserName,
            keys,
            options.KeyPassphrase,
            options.KnownHostsPath ?? settings.UserKnownHostsFile ?? Path.Combine(sshDirectory, "known_hosts"),
            options.AcceptNewHostKey,
            options.ConnectTimeout,
            options.RecordNewHostKey);
    }
}
