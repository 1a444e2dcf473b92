using System;
using System.Collections.Generic;
using System.Linq;
using Autolab.Slurm.HelpBuilder.Markdown;

namespace Autolab.Slurm.HelpBuilder.Maml;

/// <summary>
/// Lays text blocks out as MAML paragraphs. Get-Help wraps each para to the console width but keeps the line
/// breaks inside it, so running text is one line per para and code keeps its lines.
/// </summary>
public static class MamlText
{
    /// <summary>
    /// Get-Help trims the start of each para but keeps the lines after its first as written, so nesting shows
    /// only as the hanging indent of a list item's later lines, and a code block keeps its own indentation.
    /// The items of a tight list share one para so that Get-Help prints them without blank lines between.
    /// </summary>
    public static IReadOnlyList<string> ToParagraphs(IEnumerable<TextBlock> blocks)
    {
        var paragraphs = new List<string>();
        foreach (var block in blocks)
        {
            var indent = new string(' ', 2 * block.Depth);
            var text = block.Kind == TextKind.ListItem
                ? Indent(block.Marker + block.Text, indent, indent + new string(' ', block.Marker.Length))
                : Indent(block.Text, indent, indent);

            if (text.Trim().Length == 0)
            {
                continue;
            }

            if (block.Continues && paragraphs.Count > 0)
            {
                paragraphs[^1] += "\n" + text;
            }
            else
            {
                paragraphs.Add(text);
            }
        }

        return paragraphs;
    }

    private static string Indent(string text, string first, string rest) =>
        string.Join('\n', text.Split('\n').Select((line, i) => line.Length == 0 ? line : (i == 0 ? first : rest) + line));
}
