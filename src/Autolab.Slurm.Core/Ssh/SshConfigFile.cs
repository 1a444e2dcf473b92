using System.Globalization;
using System.Text.RegularExpressions;

namespace Autolab.Slurm.Ssh;

/// <summary>What an ssh config says about one host alias.</summary>
public sealed record SshHostSettings(string Alias, string HostName, int? Port, string? User, IReadOnlyList<string> IdentityFiles, string? UserKnownHostsFile);

/// <summary>
/// Reads the parts of an OpenSSH client config that matter for reaching a login node: <c>Host</c>
/// blocks (patterns with <c>*</c>, <c>?</c> and <c>!</c>), HostName, User, Port, IdentityFile (all of
/// them, in order) and UserKnownHostsFile, following <c>Include</c> lines. As in ssh, the first value found
/// for a keyword wins. <c>Match</c> blocks are not evaluated (their settings are ignored).
/// </summary>
public static class SshConfigFile
{
    /// <summary>How deep Include may nest, as in OpenSSH (READCONF_MAX_DEPTH); deeper Include lines are ignored.</summary>
    public const int MaxIncludeDepth = 16;

    public static SshHostSettings Resolve(string alias, string? configPath)
    {
        var found = new Found();
        if (configPath is not null && File.Exists(configPath))
        {
            var active = true; // settings before the first Host line apply to every host
            Read(configPath, alias, found, ref active, neverMatch: false, depth: 0);
        }

        var resolvedHost = Expand(found.HostName ?? alias, alias, alias, found.User);
        return new SshHostSettings(
            alias,
            resolvedHost,
            found.Port,
            found.User,
            found.Identities.Select(i => Expand(i, alias, resolvedHost, found.User)).ToArray(),
            found.KnownHosts is null ? null : Expand(found.KnownHosts, alias, resolvedHost, found.User));
    }

    /// <summary>The values found so far (the first one of each keyword wins; IdentityFile accumulates).</summary>
    private sealed class Found
    {
        public string? HostName { get; set; }

        public string? User { get; set; }

        public string? KnownHosts { get; set; }

        public int? Port { get; set; }

        public List<string> Identities { get; } = new();
    }

    /// <summary>
    /// One file of the config, as OpenSSH's readconf reads it: an Include is read in place with the current
    /// Host block's state (a file included from a block that does not apply never applies), and that state is
    /// restored after it; a Host line inside the included file changes the state within that file only.
    /// </summary>
    private static void Read(string path, string alias, Found found, ref bool active, bool neverMatch, int depth)
    {
        foreach (var raw in ReadLinesOrNone(path))
        {
            var (keyword, value) = Split(raw);
            if (keyword is null)
            {
                continue;
            }

            switch (keyword)
            {
                case "host":
                    active = !neverMatch && Matches(alias, Words(value));
                    continue;
                case "match":
                    active = false;
                    continue;
                case "include":
                    if (depth < MaxIncludeDepth)
                    {
                        var outer = active;
                        foreach (var included in IncludedFiles(value))
                        {
                            Read(included, alias, found, ref active, neverMatch || !outer, depth + 1);
                        }

                        active = outer;
                    }

                    continue;
            }

            if (!active)
            {
                continue;
            }

            switch (keyword)
            {
                case "hostname":
                    found.HostName ??= Unquote(value);
                    break;
                case "user":
                    found.User ??= Unquote(value);
                    break;
                case "port":
                    found.Port ??= int.TryParse(Unquote(value), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
                    break;
                case "identityfile":
                    found.Identities.Add(Unquote(value));
                    break;
                case "userknownhostsfile":
                    // A quoted value may hold spaces; an unquoted one lists files, the first counts.
                    found.KnownHosts ??= value.TrimStart().StartsWith('"') ? Unquote(value.Trim()[..(value.Trim().IndexOf('"', 1) + 1)]) : Words(value).FirstOrDefault();
                    break;
            }
        }
    }

    /// <summary>
    /// The host aliases a user can type: the words of every <c>Host</c> line that are not patterns (no <c>*</c>,
    /// <c>?</c> or <c>!</c>), in file order (included files in place), each once. No file: none.
    /// </summary>
    public static IReadOnlyList<string> HostAliases(string configPath)
    {
        var aliases = new List<string>();
        if (File.Exists(configPath))
        {
            CollectAliases(configPath, aliases, new HashSet<string>(StringComparer.OrdinalIgnoreCase), depth: 0);
        }

        return aliases;
    }

    private static void CollectAliases(string path, List<string> aliases, HashSet<string> seen, int depth)
    {
        foreach (var raw in ReadLinesOrNone(path))
        {
            var (keyword, value) = Split(raw);
            if (keyword == "include" && depth < MaxIncludeDepth)
            {
                foreach (var included in IncludedFiles(value))
                {
                    CollectAliases(included, aliases, seen, depth + 1);
                }
            }

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
    }

    /// <summary>
    /// The files an Include line names, as ssh_config(5) says for a user config: each word may start with ~,
    /// a relative one is under ~/.ssh, wildcards (* ? [...]) in any part are expanded and the matches taken in
    /// lexical order; a word matching no file adds nothing.
    /// </summary>
    private static IEnumerable<string> IncludedFiles(string value)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var word in Words(value))
        {
            var path = word.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, word[2..])
                : Path.IsPathRooted(word) ? word
                : Path.Combine(SshConnectionOptions.DefaultSshDirectory, word);
            foreach (var file in Glob(path).Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
    }

    /// <summary>The existing files an absolute path with wildcards in any of its parts names.</summary>
    private static IEnumerable<string> Glob(string path)
    {
        if (path.IndexOfAny(new[] { '*', '?', '[' }) < 0)
        {
            return File.Exists(path) ? new[] { path } : Array.Empty<string>();
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> current = new[] { "/" };
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var last = i == parts.Length - 1;
            if (part.IndexOfAny(new[] { '*', '?', '[' }) < 0)
            {
                current = current.Select(d => Path.Combine(d, part)).Where(p => last ? File.Exists(p) : Directory.Exists(p)).ToArray();
                continue;
            }

            // One path part holds no '/', so the profiles' glob dialect is glob(7) here ([...] classes, an unclosed '[' literal).
            var pattern = new Artifacts.GlobPattern(part);
            current = current.SelectMany(d => SafeEntries(d, last))
                .Where(p => pattern.IsMatch(Path.GetFileName(p)) && (part.StartsWith('.') || !Path.GetFileName(p).StartsWith('.')))
                .ToArray();
        }

        return current;
    }

    private static IEnumerable<string> SafeEntries(string directory, bool files)
    {
        try
        {
            return files ? Directory.EnumerateFiles(directory).ToArray() : Directory.EnumerateDirectories(directory).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private static IEnumerable<string> ReadLinesOrNone(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
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
