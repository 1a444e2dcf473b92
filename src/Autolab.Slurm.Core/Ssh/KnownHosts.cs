using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Autolab.Slurm.IO;

namespace Autolab.Slurm.Ssh;

/// <summary>A host key as known_hosts stores it: the algorithm name and the base64 public key blob.</summary>
public sealed record KnownHostKey(string KeyType, string KeyBase64, bool Revoked);

/// <summary>
/// An OpenSSH known_hosts file: plain and hashed (<c>|1|salt|hash</c>) host names, <c>[host]:port</c>,
/// patterns with <c>*</c>, <c>?</c> and negation, and the <c>@revoked</c> marker (<c>@cert-authority</c>
/// lines are not used). A host's identity is <c>host</c> on port 22 and <c>[host]:port</c> otherwise.
/// </summary>
public sealed class KnownHosts
{
    private readonly List<(string[] Patterns, KnownHostKey Key)> _entries = new();

    private KnownHosts(string path) => Path = path;

    public string Path { get; }

    public static KnownHosts Load(string path)
    {
        var file = new KnownHosts(path);
        if (!File.Exists(path))
        {
            return file;
        }

        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var revoked = false;
            var index = 0;
            if (fields[0].StartsWith('@'))
            {
                if (fields[0] == "@cert-authority")
                {
                    continue;
                }

                revoked = fields[0] == "@revoked";
                index = 1;
            }

            if (fields.Length < index + 3)
            {
                continue;
            }

            file._entries.Add((fields[index].Split(','), new KnownHostKey(fields[index + 1], fields[index + 2], revoked)));
        }

        return file;
    }

    /// <summary><c>host</c> for port 22, else <c>[host]:port</c>: how ssh names a host in known_hosts.</summary>
    public static string IdentityOf(string host, int port) =>
        port == 22 ? host : string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}");

    /// <summary>The keys recorded for the host (revoked ones flagged).</summary>
    public IReadOnlyList<KnownHostKey> Find(string host, int port)
    {
        var identity = IdentityOf(host, port);
        var keys = new List<KnownHostKey>();
        foreach (var (patterns, key) in _entries)
        {
            if (Matches(identity, patterns))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    private static bool Matches(string identity, string[] patterns)
    {
        var matched = false;
        foreach (var pattern in patterns)
        {
            var negated = pattern.StartsWith('!');
            var body = negated ? pattern[1..] : pattern;
            bool hit;
            if (body.StartsWith("|1|", StringComparison.Ordinal))
            {
                hit = HashedMatches(identity, body);
            }
            else if (body.Contains('*', StringComparison.Ordinal) || body.Contains('?', StringComparison.Ordinal))
            {
                hit = SshConfigFile.Wildcard(body).IsMatch(identity);
            }
            else
            {
                hit = string.Equals(body, identity, StringComparison.OrdinalIgnoreCase);
            }

            if (hit && negated)
            {
                return false;
            }

            matched |= hit;
        }

        return matched;
    }

    private static bool HashedMatches(string identity, string hashed)
    {
        var parts = hashed.Split('|');
        if (parts.Length != 4)
        {
            return false;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            var actual = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(identity));
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Adds the host's key (as -AcceptNewHostKey does), rewriting the file atomically.</summary>
    public static void Append(string path, string host, int port, string keyType, byte[] keyBlob)
    {
        var line = IdentityOf(host, port) + " " + keyType + " " + Convert.ToBase64String(keyBlob) + "\n";
        var existing = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        if (existing.Length > 0 && !existing.EndsWith('\n'))
        {
            existing += "\n";
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, existing + line);
    }
}
