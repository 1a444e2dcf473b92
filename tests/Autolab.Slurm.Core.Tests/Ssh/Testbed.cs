using System.Text.Json;

namespace Autolab.Slurm.Core.Tests.Ssh;

/// <summary>
/// The loopback sshd of tests/infra, as described by its testbed.json (never hard-coded here). The files it
/// names are only read: tests copy known_hosts into a TempDir before anything could append to it.
/// </summary>
internal sealed record Testbed(
    string Host,
    int Port,
    string User,
    string Alias,
    string SshConfig,
    string KnownHosts,
    string KnownHostsHashed,
    string KnownHostsWrong,
    string KeyEd25519,
    string KeyRsaPem,
    string KeyEcdsa,
    string KeyEd25519Passphrase,
    string Passphrase,
    string KeyWrong)
{
    private static readonly Lazy<Testbed> Loaded = new(Load);

    public static Testbed Current => Loaded.Value;

    public static string JsonPath =>
        Path.Combine(Environment.GetEnvironmentVariable("AUTOLAB_TESTBED_DIR") is { Length: > 0 } dir ? dir : "/var/tmp/autolab-testbed", "testbed.json");

    public string Key(string name) => name switch
    {
        "ed25519" => KeyEd25519,
        "rsaPem" => KeyRsaPem,
        "ecdsa" => KeyEcdsa,
        "ed25519Passphrase" => KeyEd25519Passphrase,
        "wrong" => KeyWrong,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such testbed key"),
    };

    /// <summary>(key type, base64) of every host key line in the testbed's plain known_hosts.</summary>
    public IReadOnlyList<(string Type, string Base64)> HostKeys() =>
        File.ReadAllLines(KnownHosts)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (f[1], f[2]))
            .ToArray();

    private static Testbed Load()
    {
        var path = JsonPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"'{path}' does not exist: bring the test bed up with 'bash tests/infra/up.sh' first.");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var keys = root.GetProperty("keys");
        string S(JsonElement e, string name) => e.GetProperty(name).GetString() ?? throw new InvalidOperationException($"testbed.json: '{name}' is null");
        return new Testbed(
            S(root, "sshHost"),
            root.GetProperty("sshPort").GetInt32(),
            S(root, "sshUser"),
            S(root, "sshAlias"),
            S(root, "sshConfig"),
            S(root, "knownHosts"),
            S(root, "knownHostsHashed"),
            S(root, "knownHostsWrong"),
            S(keys, "ed25519"),
            S(keys, "rsaPem"),
            S(keys, "ecdsa"),
            S(keys, "ed25519Passphrase"),
            S(keys, "ed25519PassphraseValue"),
            S(keys, "wrong"));
    }
}
