using System;
using System.Collections.Generic;
using System.Linq;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;

namespace Autolab.Slurm.HelpBuilder.Markdown;

/// <summary>A parsed page: its text with LF line ends, its top-level blocks and its front matter.</summary>
public sealed class MarkdownSource
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .Build();

    private MarkdownSource(string path, string text, MarkdownDocument document)
    {
        Path = path;
        Text = text;
        Document = document;
    }

    public string Path { get; }

    public string Text { get; }

    public MarkdownDocument Document { get; }

    public static MarkdownSource Parse(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (normalized.Length > 0 && normalized[0] == '\uFEFF')
        {
            normalized = normalized[1..];
        }

        return new MarkdownSource(path, normalized, Markdig.Markdown.Parse(normalized, Pipeline));
    }

    public YamlFrontMatterBlock? FrontMatter => Document.OfType<YamlFrontMatterBlock>().FirstOrDefault();

    /// <summary>Markdig counts lines from 0; people and editors count from 1.</summary>
    public static int LineOf(Block block) => block.Line + 1;

    /// <summary>Front matter as ordered key/value pairs with 1-based line numbers (flat `key: value` lines only).</summary>
    public IReadOnlyList<(string Key, string Value, int Line)> FrontMatterEntries()
    {
        var block = FrontMatter;
        if (block is null)
        {
            return [];
        }

        var entries = new List<(string, string, int)>();
        var lines = Text.Split('\n');
        var first = block.Line;
        for (var i = first + 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimEnd() is "---" or "...")
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.StartsWith(' ') || line.StartsWith('#'))
            {
                continue;
            }

            entries.Add((line[..colon].Trim(), Unquote(line[(colon + 1)..].Trim()), i + 1));
        }

        return entries;
    }

    public static string Unquote(string value) =>
        value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\''))
            ? value[1..^1]
            : value;
}
