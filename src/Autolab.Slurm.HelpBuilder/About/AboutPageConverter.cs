using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Autolab.Slurm.HelpBuilder.Markdown;
using Autolab.Slurm.HelpBuilder.Model;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace Autolab.Slurm.HelpBuilder.About;

/// <summary>
/// Turns an about_ page (PlatyPS v1's about layout: `# about_X`, then `## SHORT DESCRIPTION`,
/// `## LONG DESCRIPTION` and any further sections) into the classic about_X.help.txt text: section titles in
/// capitals at the margin, text indented four spaces and wrapped, code indented four more.
/// </summary>
public static class AboutPageConverter
{
    /// <summary>Longest line written; one short of 80 so an 80-column console never wraps a line itself.</summary>
    public const int Width = 79;

    private const int TextIndent = 4;
    private const int CodeIndent = 8;

    private static readonly string[] RequiredSections = ["SHORT DESCRIPTION", "LONG DESCRIPTION"];

    /// <summary>The file name Get-Help looks for: about_X.md becomes about_X.help.txt.</summary>
    public static string OutputFileName(string path) => Path.GetFileNameWithoutExtension(path) + ".help.txt";

    public static PageResult<string> Convert(string path, string text)
    {
        var source = MarkdownSource.Parse(path, text);
        var diagnostics = Placeholders.Find(source).ToList();
        var blocks = source.Document.Where(b => b is not YamlFrontMatterBlock and not LinkReferenceDefinitionGroup and not BlankLineBlock).ToList();

        var expected = Path.GetFileNameWithoutExtension(path);
        if (blocks.Count == 0 || blocks[0] is not HeadingBlock { Level: 1 } title)
        {
            diagnostics.Add(new HelpDiagnostic("MissingTitle", path, blocks.Count == 0 ? 1 : MarkdownSource.LineOf(blocks[0]), $"an about page starts with '# {expected}'."));
            return new PageResult<string>(null, diagnostics);
        }

        var topic = MarkdownText.HeadingText(title, source.Text);
        if (!topic.StartsWith("about_", StringComparison.OrdinalIgnoreCase) || !string.Equals(topic, expected, StringComparison.OrdinalIgnoreCase))
        {
            diagnostics.Add(new HelpDiagnostic("TitleMismatch", path, MarkdownSource.LineOf(title), $"the title '# {topic}' must be the file's name, '{expected}', which starts with 'about_'."));
        }

        var body = blocks.Skip(1).ToList();

        // PlatyPS's about template repeats the topic name as a second heading (the lookup name); it is not a section.
        if (body.Count > 0 && body[0] is HeadingBlock repeat && string.Equals(MarkdownText.HeadingText(repeat, source.Text), topic, StringComparison.OrdinalIgnoreCase))
        {
            body.RemoveAt(0);
        }

        // The template has used both '#' and '##' for its sections; the first section heading decides which.
        var sectionLevel = body.OfType<HeadingBlock>().Select(h => h.Level).DefaultIfEmpty(2).First();
        var found = body.OfType<HeadingBlock>()
            .Where(h => h.Level <= sectionLevel)
            .Select(h => MarkdownText.HeadingText(h, source.Text).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        foreach (var missing in RequiredSections.Where(r => !found.Contains(r)))
        {
            diagnostics.Add(new HelpDiagnostic("MissingSection", path, MarkdownSource.LineOf(title), $"the about page has no '## {missing}' section."));
        }

        if (body.Count > 0 && body[0] is not HeadingBlock)
        {
            diagnostics.Add(new HelpDiagnostic("UnexpectedContent", path, MarkdownSource.LineOf(body[0]), "text before the first section; start with '## SHORT DESCRIPTION'."));
        }

        if (diagnostics.Count > 0)
        {
            return new PageResult<string>(null, diagnostics);
        }

        var output = new StringBuilder();
        output.Append("TOPIC\n").Append(' ', TextIndent).Append(topic).Append('\n');
        var afterHeading = false;
        foreach (var block in body)
        {
            if (block is HeadingBlock heading)
            {
                var headingText = MarkdownText.HeadingText(heading, source.Text);
                output.Append('\n').Append(heading.Level <= sectionLevel ? headingText.ToUpperInvariant() : "  " + headingText).Append('\n');
                afterHeading = true;
                continue;
            }

            foreach (var rendered in MarkdownText.RenderBlocks([block], source.Text))
            {
                if (!afterHeading && !rendered.Continues)
                {
                    output.Append('\n');
                }

                AppendBlock(output, rendered);
                afterHeading = false;
            }
        }

        var textOut = string.Join('\n', output.ToString().Split('\n').Select(l => l.TrimEnd()));
        return new PageResult<string>(textOut.TrimEnd('\n') + "\n", diagnostics);
    }

    private static void AppendBlock(StringBuilder output, TextBlock block)
    {
        var indent = TextIndent + (2 * block.Depth);
        switch (block.Kind)
        {
            case TextKind.Code:
                AppendLines(output, block.Text, CodeIndent + (2 * block.Depth));
                break;
            case TextKind.Preformatted:
                AppendLines(output, block.Text, indent);
                break;
            case TextKind.ListItem:
                Wrap(output, block.Marker + block.Text, indent, indent + block.Marker.Length);
                break;
            default:
                Wrap(output, block.Text, indent, indent);
                break;
        }
    }

    private static void AppendLines(StringBuilder output, string text, int indent)
    {
        foreach (var line in text.Split('\n'))
        {
            output.Append(line.Length == 0 ? string.Empty : new string(' ', indent) + line).Append('\n');
        }
    }

    /// <summary>Greedy word wrap; a hard line break in the markdown starts a new line, a word longer than a line stands alone.</summary>
    public static void Wrap(StringBuilder output, string text, int firstIndent, int restIndent)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(text);
        var indent = firstIndent;
        foreach (var hardLine in text.Split('\n'))
        {
            var line = new StringBuilder();
            foreach (var word in hardLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > 0 && indent + line.Length + 1 + word.Length > Width)
                {
                    output.Append(' ', indent).Append(line).Append('\n');
                    line.Clear();
                    indent = restIndent;
                }

                if (line.Length > 0)
                {
                    line.Append(' ');
                }

                line.Append(word);
            }

            output.Append(' ', indent).Append(line).Append('\n');
            indent = restIndent;
        }
    }
}
