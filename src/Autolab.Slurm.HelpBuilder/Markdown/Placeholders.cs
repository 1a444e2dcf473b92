using System.Collections.Generic;
using System.Text.RegularExpressions;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Markdown;

/// <summary>Finds the `{{ ... }}` placeholders PlatyPS templates leave for the author to replace.</summary>
public static partial class Placeholders
{
    [GeneratedRegex(@"\{\{\s*(Fill|Add|Insert|Update)\b[^}]*\}\}|\{\{[^}]*\bPlaceholder\b[^}]*\}\}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static IEnumerable<HelpDiagnostic> Find(MarkdownSource source)
    {
        var lines = source.Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var match = Pattern().Match(lines[i]);
            if (match.Success)
            {
                yield return new HelpDiagnostic("UnfilledPlaceholder", source.Path, i + 1, $"PlatyPS placeholder '{match.Value}' was never filled in.");
            }
        }
    }
}
