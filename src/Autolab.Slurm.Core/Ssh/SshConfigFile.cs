using System.Globalization;
using System.Text.RegularExpressions;

namespace Autolab.Slurm.Ssh;

/// <summary>What an ssh config says about one host alias.</summary>
public sealed record SshHostSettings(string Alias, string HostName, int? Port, string? User, IReadOnlyList<string> IdentityFiles, string? UserKnownHostsFile);

/// <summary>
/// Reads the parts of an OpenSSH client config that matter for reaching a login node: <c>Host</c>
/// blocks (patterns with <c>*</c>, <c>?</c> and <c>!</c>), HostName, User, Port, IdentityFile (all of
/// them, in order) and UserKnownHostsFile. As in ssh, the first value found for a keyword wins.
/// <c>Match</c> blocks are not evaluated (their settings are ignored).
/// </summary>
public static class SshConfigFile
{
    public static SshHostSettings Resolve(string alias, string? configPath)
    {
        string? hostName = null;
        string? user = null;
        string? knownHosts = null;
        int? port = null;
        var identities = new List<string>();
        if (configPath is not null && File.Exists(configPath))
        {
            var active = true; // settings before the first Host line apply to every host
            foreach (var raw in File.ReadAllLines(configPath))
            {
                var (keyword, value) = Split(raw);
                if (keyword is null)
                {
                    continue;
                }

                switch (keyword)
                {
                    case "host":
                        active = Matches(alias, Words(value));
                        continue;
                    case "match":
                        active = false;
                        continue;
                }

                if (!active)
                {
                    continue;
                }

                switch (keyword)
                {
                    case "hostname":
                        hostName ??= Unquote(value);
                        break;
                    case "user":
                        user ??= Unquote(value);
                        break;
                    case "port":
                        port ??= int.TryParse(Unquote(value), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
                        break;
                    case "identityfile":
                        identities.Add(Unquote(value));
                        break;
                    case "userknownhostsfile":
                        // A quoted value may hold spaces; an unquoted one lists files, the first counts.
                        knownHosts ??= value.TrimStart().StartsWith('"') ? Unquote(value.Trim()[..(value.Trim().IndexOf('"', 1) + 1)]) : Words(value).FirstOrDefault();
                        break;
                }
            }
        }

        var resolvedHost = Expand(hostName ?? alias, alias, alias, user);
        return new SshHostSettings(
            alias,
            resolvedHost,
            port,
            user,
            identities.Select(i => Expand(i, alias, resolvedHost, user)).ToArray(),
            knownHosts is null ? null : Expand(knownHosts, alias, resolvedHost, user));
    }

    /// <summary>
    /// The host aliases a user can type: the words of every <c>Host</c> line that are not patterns (no <c>*</c>,
    /// <c>?</c> or <c>!</c>), in file order, each once. No file: none.
    /// </summary>
    public static IReadOnlyList<string> HostAliases(string configPath)
    {
        if (!File.Exists(configPath))
        {
            return Array.Empty<string>();
        }

        var aliases = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in File.ReadLines(configPath))
        {
            var (keyword, value) = Split(raw);
            if (keyword != "host")
            {
                continue;
            }

            foreach (var word in Words(value))
            {
                if (word.Length > 0 && word.IndexOfAny(new[] { '*', '?', '!' }) < 0 && seen.Add(word))
                {
                    aliases.Add(word);
                }
            }
        }

        return aliases;
    }

    /// <summary>OpenSSH's Host matching: any positive pattern matches and no negated one does.</summary>
    public static bool Matches(string host, IEnumerable<string> patterns)
    {
        var matched = false;
        foreach (var pattern in patterns)
        {
            if (pattern.StartsWith('!'))
            {
                if (Wildcard(pattern[1..]).IsMatch(host))
                {
                    return false;
                }
            }
            else if (Wildcard(pattern).IsMatch(host))
            {
                matched = true;
            }
        }

        return matched;
    }

    internal static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static (string? Keyword, string Value) Split(string line)
    {
        var text = line.Trim();
        if (text.Length == 0 || text.StartsWith('#'))
        {
            return (null, string.Empty);
        }

        var end = 0;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] != '=')
        {
            end++;
        }

        var rest = text[end..].TrimStart();
        if (rest.StartsWith('='))
        {
            rest = rest[1..].TrimStart();
        }

        return (text[..end].ToLowerInvariant(), rest);
    }

    private static IEnumerable<string> Words(string value) => value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Unquote);

    private static string Unquote(string value)
    {
        var text = value.Trim();
        return text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;
    }

    /// <summary>Expands ~ and the tokens %d (home), %u (local user), %h (host name), %n (alias), %r (remote user), %%.</summary>
    public static string Expand(string value, string alias, string hostName, string? remoteUser)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var text = value.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, value[2..]) : value == "~" ? home : value;
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%' || i + 1 == text.Length)
            {
                result.Append(text[i]);
                continue;
            }

            i++;
            result.Append(text[i] switch
            {
                'd' => home,
                'u' => Environment.UserName,
                'h' => hostName,
                'n' => alias,
                'r' => remoteUser ?? Environment.UserName,
                '%' => "%",
                _ => "%" + text[i],
            });
        }

        return result.ToString();
    }
}
