using System.Text;
using System.Text.RegularExpressions;

namespace Autolab.Slurm.Artifacts;

/// <summary>
/// The glob dialect of autolab's profiles: Python's fnmatch on repo-relative paths with '/', where
/// <c>*</c> matches any run of characters (a '/' included, so <c>data/*</c> covers <c>data/a/b</c>),
/// <c>**</c> is the same as <c>*</c>, <c>?</c> one character and <c>[...]</c> a class (<c>[!...]</c> negated).
/// Placeholders <c>{iteration_id}</c>, <c>{run_id}</c>, <c>{iteration_path}</c> and <c>{run_dir}</c> are filled first.
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    public GlobPattern(string pattern)
    {
        Pattern = pattern;
        _regex = new Regex(ToRegex(pattern), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath);

    public override string ToString() => Pattern;

    /// <summary>Fills the placeholders; an unknown placeholder is left as written (and will then match nothing sensible).</summary>
    public static string Expand(string pattern, IReadOnlyDictionary<string, string> values)
    {
        var result = pattern;
        foreach (var (key, value) in values)
        {
            result = result.Replace("{" + key + "}", value, StringComparison.Ordinal);
        }

        return result;
    }

    private static string ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    while (i + 1 < pattern.Length && pattern[i + 1] == '*')
                    {
                        i++;
                    }

                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    {
                        // Python's fnmatch: '!' negates (a '^' is literal), a ']' right after the opening
                        // bracket (or '!') is part of the class, and an unclosed '[' is a literal bracket.
                        var j = i + 1;
                        if (j < pattern.Length && pattern[j] == '!')
                        {
                            j++;
                        }

                        if (j < pattern.Length && pattern[j] == ']')
                        {
                            j++;
                        }

                        while (j < pattern.Length && pattern[j] != ']')
                        {
                            j++;
                        }

                        if (j >= pattern.Length)
                        {
                            sb.Append("\\[");
                            break;
                        }

                        var body = pattern[(i + 1)..j];
                        var negated = body.StartsWith('!');
                        if (negated)
                        {
                            body = body[1..];
                        }

                        var escaped = body.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("^", "\\^", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
                        sb.Append('[').Append(negated ? "^" : string.Empty).Append(escaped).Append(']');
                        i = j;
                        break;
                    }

                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.Append('$').ToString();
    }
}
