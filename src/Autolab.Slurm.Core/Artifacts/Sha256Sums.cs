using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Autolab.Slurm.Artifacts;

/// <summary>A SHA256SUMS file in sha256sum's format: <c>&lt;64 hex&gt;  name</c> (text) or <c>&lt;64 hex&gt; *name</c> (binary).</summary>
public static class Sha256Sums
{
    public const string FileName = "SHA256SUMS";

    /// <summary>Parses the listing into relative name -> lower-case hex digest; malformed lines are reported in <paramref name="problems"/>.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text, List<string> problems)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            // sha256sum escapes names holding '\' or a newline and marks the line with a leading '\'.
            var escaped = line.StartsWith('\\');
            if (escaped)
            {
                line = line[1..];
            }

            if (line.Length < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') || !IsHex(line.AsSpan(0, 64)))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{FileName} line {number} is not '<sha256>  <name>'"));
                continue;
            }

            var name = line[66..];
            if (escaped)
            {
                name = Unescape(name);
            }

            if (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }

            sums[name] = line[..64].ToLowerInvariant();
        }

        return sums;
    }

    /// <summary>Undoes sha256sum's escaping left to right: <c>\\</c> is a backslash, <c>\n</c> a newline.</summary>
    private static string Unescape(string name)
    {
        var sb = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '\\' && i + 1 < name.Length)
            {
                var next = name[++i];
                sb.Append(next switch { 'n' => '\n', 'r' => '\r', _ => next });
            }
            else
            {
                sb.Append(name[i]);
            }
        }

        return sb.ToString();
    }

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static string Format(IEnumerable<(string Name, string Hash)> entries)
    {
        var sb = new StringBuilder();
        foreach (var (name, hash) in entries)
        {
            sb.Append(hash).Append("  ").Append(name).Append('\n');
        }

        return sb.ToString();
    }
}
