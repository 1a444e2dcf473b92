using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Autolab.Slurm.HelpBuilder.Markdown;

/// <summary>
/// Turns markdown blocks into plain text. Inline code keeps its backticks (a literal value stays visibly
/// literal in a console); emphasis markers are dropped; a link to a web address shows the address after its
/// text, a link to another page (Get-Foo.md) shows only its text.
/// </summary>
public static class MarkdownText
{
    public static IReadOnlyList<TextBlock> RenderBlocks(IEnumerable<Block> blocks, string source)
    {
        var result = new List<TextBlock>();
        foreach (var block in blocks)
        {
            RenderBlock(block, source, 0, result);
        }

        return result;
    }

    public static string RenderInlines(ContainerInline? container)
    {
        if (container is null)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        AppendInlines(sb, container);
        return TidyLines(sb.ToString());
    }

    /// <summary>Code block lines exactly as written (no trailing blank lines).</summary>
    public static string CodeText(LeafBlock block)
    {
        var lines = new List<string>();
        foreach (var line in block.Lines.Lines.Take(block.Lines.Count))
        {
            lines.Add(line.Slice.ToString().TrimEnd());
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return string.Join('\n', lines);
    }

    /// <summary>The block's source text with the indentation common to its lines removed.</summary>
    public static string RawText(Block block, string source)
    {
        var start = Math.Clamp(block.Span.Start, 0, source.Length);
        var end = Math.Clamp(block.Span.End + 1, start, source.Length);
        var lines = source[start..end].Split('\n').Select(l => l.TrimEnd()).ToList();

        // The span starts at the block's first character, so only later lines carry the indentation of an
        // enclosing list item.
        var indent = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        for (var i = 1; i < lines.Count; i++)
        {
            lines[i] = lines[i].Length >= indent ? lines[i][indent..] : lines[i].TrimStart();
        }

        return string.Join('\n', lines).Trim('\n');
    }

    /// <summary>A heading's text as written, without the leading #'s (escapes and emphasis not interpreted).</summary>
    public static string HeadingText(HeadingBlock heading, string source)
    {
        var raw = RawText(heading, source).Trim();
        if (heading.IsSetext)
        {
            // The second line is the ==== or ---- underline.
            return raw.Split('\n')[0].Trim();
        }

        raw = raw.TrimStart('#').Trim();

        // A closing sequence of #'s is part of the ATX syntax, not of the text.
        var closing = raw.TrimEnd('#');
        if (closing.Length != raw.Length && (closing.Length == 0 || closing[^1] == ' '))
        {
            raw = closing.TrimEnd();
        }

        return raw;
    }

    private static void RenderBlock(Block block, string source, int depth, List<TextBlock> result)
    {
        switch (block)
        {
            case HeadingBlock heading:
                result.Add(new TextBlock(TextKind.Heading, RenderInlines(heading.Inline), depth));
                break;
            case ParagraphBlock paragraph:
                var text = RenderInlines(paragraph.Inline);
                if (text.Length > 0)
                {
                    result.Add(new TextBlock(TextKind.Paragraph, text, depth));
                }

                break;
            case CodeBlock code:
                // FencedCodeBlock derives from CodeBlock.
                result.Add(new TextBlock(TextKind.Code, CodeText(code), depth));
                break;
            case ListBlock list:
                RenderList(list, source, depth, result);
                break;
            case Table:
                result.Add(new TextBlock(TextKind.Preformatted, RawText(block, source), depth));
                break;
            case HtmlBlock html:
                var raw = RawText(html, source);
                if (!raw.StartsWith("<!--", StringComparison.Ordinal))
                {
                    result.Add(new TextBlock(TextKind.Preformatted, raw, depth));
                }

                break;
            case ThematicBreakBlock:
            case LinkReferenceDefinitionGroup:
            case BlankLineBlock:
                break;
            case ContainerBlock container:
                // Quote blocks and extension containers: their content is what matters in plain text.
                foreach (var child in container)
                {
                    RenderBlock(child, source, depth, result);
                }

                break;
            default:
                result.Add(new TextBlock(TextKind.Preformatted, RawText(block, source), depth));
                break;
        }
    }

    private static void RenderList(ListBlock list, string source, int depth, List<TextBlock> result)
    {
        var first = result.Count;
        RenderListItems(list, source, depth, result);
        if (!list.IsLoose)
        {
            for (var i = first + 1; i < result.Count; i++)
            {
                result[i] = result[i] with { Continues = true };
            }
        }
    }

    private static void RenderListItems(ListBlock list, string source, int depth, List<TextBlock> result)
    {
        var number = 1;
        if (list.IsOrdered && int.TryParse(list.OrderedStart, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            number = start;
        }

        foreach (var item in list.OfType<ListItemBlock>())
        {
            var marker = list.IsOrdered
                ? string.Create(CultureInfo.InvariantCulture, $"{number}{list.OrderedDelimiter} ")
                : "- ";
            number++;

            var first = true;
            foreach (var child in item)
            {
                if (first && child is ParagraphBlock paragraph)
                {
                    result.Add(new TextBlock(TextKind.ListItem, RenderInlines(paragraph.Inline), depth, marker));
                }
                else
                {
                    if (first)
                    {
                        // An item that starts with something other than text still needs its marker.
                        result.Add(new TextBlock(TextKind.ListItem, string.Empty, depth, marker));
                    }

                    RenderBlock(child, source, depth + 1, result);
                }

                first = false;
            }

            if (first)
            {
                result.Add(new TextBlock(TextKind.ListItem, string.Empty, depth, marker));
            }
        }
    }

    private static void AppendInlines(StringBuilder sb, ContainerInline container)
    {
        foreach (var inline in container)
        {
            AppendInline(sb, inline);
        }
    }

    private static void AppendInline(StringBuilder sb, Inline inline)
    {
        switch (inline)
        {
            case LiteralInline literal:
                sb.Append(literal.Content.ToString());
                break;
            case CodeInline code:
                // A code span that itself holds a backtick needs a longer fence to stay readable as one span.
                if (code.Content.Contains('`', StringComparison.Ordinal))
                {
                    sb.Append("`` ").Append(code.Content).Append(" ``");
                }
                else
                {
                    sb.Append('`').Append(code.Content).Append('`');
                }

                break;
            case LineBreakInline lineBreak:
                sb.Append(lineBreak.IsHard ? '\n' : ' ');
                break;
            case AutolinkInline autolink:
                sb.Append(autolink.Url);
                break;
            case LinkInline link:
                AppendLink(sb, link);
                break;
            case HtmlEntityInline entity:
                sb.Append(entity.Transcoded.ToString());
                break;
            case HtmlInline html:
                if (html.Tag.StartsWith("<br", StringComparison.OrdinalIgnoreCase))
                {
                    sb.Append('\n');
                }
                else if (!html.Tag.StartsWith("<!--", StringComparison.Ordinal))
                {
                    sb.Append(html.Tag);
                }

                break;
            case ContainerInline nested:
                // Emphasis and any extension container: keep the words, drop the markers.
                AppendInlines(sb, nested);
                break;
            default:
                sb.Append(inline.ToString());
                break;
        }
    }

    private static void AppendLink(StringBuilder sb, LinkInline link)
    {
        var text = new StringBuilder();
        AppendInlines(text, link);
        var label = text.ToString();
        var url = link.GetDynamicUrl?.Invoke() ?? link.Url ?? string.Empty;

        sb.Append(label);
        if (link.IsImage)
        {
            return;
        }

        if (IsAbsoluteWebAddress(url) && !string.Equals(label, url, StringComparison.Ordinal))
        {
            sb.Append(" (").Append(url).Append(')');
        }
    }

    public static bool IsAbsoluteWebAddress(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeMailto);

    private static string TidyLines(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.Trim())).Trim();
}
