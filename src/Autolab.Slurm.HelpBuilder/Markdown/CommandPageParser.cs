using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Autolab.Slurm.HelpBuilder.Maml;
using Autolab.Slurm.HelpBuilder.Model;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Autolab.Slurm.HelpBuilder.Markdown;

/// <summary>
/// Reads one command page in PlatyPS v1's markdown layout (schema 2.0.0). Every problem found is reported with
/// its line; the page yields a <see cref="CommandHelp"/> only when there are none.
/// </summary>
public static partial class CommandPageParser
{
    public const string SchemaVersion = "2.0.0";

    /// <summary>PowerShell's name for the one parameter set of a command that declares none.</summary>
    public const string AllParameterSets = "__AllParameterSets";

    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS"];

    private static readonly string[] OptionalSections = ["INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    // The yaml keys PlatyPS v1 writes under a parameter, mapped to whether a block must carry them.
    private static readonly Dictionary<string, bool> MetadataKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Type"] = true,
        ["Parameter Sets"] = true,
        ["Aliases"] = false,
        ["Accepted values"] = false,
        ["Required"] = true,
        ["Position"] = true,
        ["Default value"] = false,
        ["Accept pipeline input"] = false,
        ["Accept wildcard characters"] = false,
    };

    /// <param name="path">The page's path, used in messages and compared with its title.</param>
    /// <param name="text">The page's markdown.</param>
    /// <param name="helpFileName">The MAML file the page is being built into; when given, the page's
    /// `external help file:` must name it, or the command would look for its help in another file.</param>
    public static PageResult<CommandHelp> Parse(string path, string text, string? helpFileName = null)
    {
        var source = MarkdownSource.Parse(path, text);
        var page = new PageParser(source, helpFileName);
        var help = page.Run();
        return new PageResult<CommandHelp>(page.Diagnostics.Count == 0 ? help : null, page.Diagnostics);
    }

    // A parameter token in a syntax line: a dash that starts a word, not one inside `{a-b}` or a type name.
    [GeneratedRegex(@"(?<![\w-])-([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex SyntaxParameterPattern();

    [GeneratedRegex(@"^(False|True(\s*\((ByValue|ByPropertyName)(,\s*(ByValue|ByPropertyName))?\))?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PipelineInputPattern();

    [GeneratedRegex(@"\s*\(Default\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DefaultSetSuffix();

    private sealed record Section(string Name, int Line, IReadOnlyList<Block> Body);

    private sealed record Subsection(string Title, int Line, List<Block> Body);

    private sealed class PageParser(MarkdownSource source, string? helpFileName)
    {
        // Every set SYNTAX names, including one whose code block is missing (reported once, there).
        private readonly HashSet<string> declaredSets = new(StringComparer.OrdinalIgnoreCase);

        public List<HelpDiagnostic> Diagnostics { get; } = [];

        private string Path => source.Path;

        public CommandHelp? Run()
        {
            Diagnostics.AddRange(Placeholders.Find(source));
            var externalHelpFile = ReadFrontMatter(out var onlineVersion);

            var blocks = source.Document.Where(b => b is not YamlFrontMatterBlock and not LinkReferenceDefinitionGroup).ToList();
            var titleIndex = blocks.FindIndex(b => b is HeadingBlock { Level: 1 });
            if (titleIndex < 0)
            {
                Error("MissingTitle", 1, "the page has no '# Command-Name' title.");
                return null;
            }

            var titleBlock = (HeadingBlock)blocks[titleIndex];
            var titleLine = MarkdownSource.LineOf(titleBlock);
            var name = MarkdownText.HeadingText(titleBlock, source.Text);
            var expected = System.IO.Path.GetFileNameWithoutExtension(Path);
            if (!string.Equals(name, expected, StringComparison.OrdinalIgnoreCase))
            {
                Error("TitleMismatch", titleLine, $"the title '# {name}' does not match the file name '{expected}.md'.");
            }

            foreach (var stray in blocks.Take(titleIndex))
            {
                Error("UnexpectedContent", MarkdownSource.LineOf(stray), "content before the '# Command-Name' title.");
            }

            var sections = SplitSections(blocks.Skip(titleIndex + 1).ToList());
            foreach (var required in RequiredSections.Where(r => !sections.ContainsKey(r)))
            {
                Error("MissingSection", titleLine, $"the page has no '## {required}' section.");
            }

            var synopsis = ParseSynopsis(Get(sections, "SYNOPSIS"));
            var syntaxSets = ParseSyntax(Get(sections, "SYNTAX"));
            var description = Text(Get(sections, "DESCRIPTION"));
            var examples = ParseExamples(Get(sections, "EXAMPLES"));
            var parameters = ParseParameters(Get(sections, "PARAMETERS"), syntaxSets);
            CheckSyntaxAgainstParameters(syntaxSets, parameters, Get(sections, "SYNTAX"));
            var inputs = ParseTypes(Get(sections, "INPUTS"));
            var outputs = ParseTypes(Get(sections, "OUTPUTS"));
            var notes = Text(Get(sections, "NOTES"));
            var links = ParseLinks(Get(sections, "RELATED LINKS"));

            return new CommandHelp(
                name,
                Path,
                externalHelpFile ?? string.Empty,
                onlineVersion,
                synopsis,
                description,
                syntaxSets.Select(s => s.Set).ToList(),
                parameters,
                examples,
                inputs,
                outputs,
                notes,
                links);
        }

        private static Section? Get(Dictionary<string, Section> sections, string name) =>
            sections.TryGetValue(name, out var section) ? section : null;

        private void Error(string id, int line, string message) =>
            Diagnostics.Add(new HelpDiagnostic(id, Path, line, message));

        private string? ReadFrontMatter(out string? onlineVersion)
        {
            onlineVersion = null;
            if (source.FrontMatter is null)
            {
                Error("MissingFrontMatter", 1, "the page has no front matter; PlatyPS pages start with '---', 'external help file:', 'Module Name:', 'online version:', 'schema: 2.0.0', '---'.");
                return null;
            }

            var entries = source.FrontMatterEntries();
            var frontLine = MarkdownSource.LineOf(source.FrontMatter);
            string? Value(string key) =>
                entries.Where(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)).Select(e => e.Value).FirstOrDefault();

            var schema = entries.FirstOrDefault(e => string.Equals(e.Key, "schema", StringComparison.OrdinalIgnoreCase));
            if (schema.Key is null)
            {
                Error("MissingFrontMatterKey", frontLine, "the front matter has no 'schema: 2.0.0'.");
            }
            else if (schema.Value != SchemaVersion)
            {
                Error("UnsupportedSchema", schema.Line, $"schema '{schema.Value}' is not supported; only PlatyPS v1's '{SchemaVersion}' is.");
            }

            var externalHelpFile = Value("external help file");
            if (string.IsNullOrWhiteSpace(externalHelpFile))
            {
                Error("MissingFrontMatterKey", frontLine, "the front matter has no 'external help file:' naming the MAML file this page goes into.");
                externalHelpFile = null;
            }
            else if (helpFileName is not null && !string.Equals(externalHelpFile, helpFileName, StringComparison.Ordinal))
            {
                var line = entries.First(e => string.Equals(e.Key, "external help file", StringComparison.OrdinalIgnoreCase)).Line;
                Error("ExternalHelpFileMismatch", line, $"'external help file: {externalHelpFile}' but the page is being built into '{helpFileName}'; PowerShell would look for this command's help in the file the page names.");
            }

            var online = Value("online version");
            onlineVersion = string.IsNullOrWhiteSpace(online) ? null : online;
            return externalHelpFile;
        }

        private Dictionary<string, Section> SplitSections(List<Block> blocks)
        {
            var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
            string? current = null;
            var currentLine = 0;
            var skipping = false;
            var body = new List<Block>();

            void Close()
            {
                if (current is not null)
                {
                    if (sections.ContainsKey(current))
                    {
                        Error("DuplicateSection", currentLine, $"'## {current}' appears more than once.");
                    }
                    else
                    {
                        sections[current] = new Section(current, currentLine, body);
                    }
                }

                body = [];
            }

            foreach (var block in blocks)
            {
                if (block is HeadingBlock { Level: <= 2 } heading)
                {
                    var line = MarkdownSource.LineOf(heading);
                    if (heading.Level == 1)
                    {
                        Error("UnexpectedHeading", line, "a page holds one command: only its title may be a '#' heading.");
                        continue;
                    }

                    Close();
                    var name = MarkdownText.HeadingText(heading, source.Text).ToUpperInvariant();
                    if (!RequiredSections.Contains(name) && !OptionalSections.Contains(name))
                    {
                        // Its body is dropped quietly: the heading is the one mistake.
                        Error("UnknownSection", line, $"'## {name}' is not a PlatyPS section; expected one of {string.Join(", ", RequiredSections.Concat(OptionalSections))}.");
                        current = null;
                        skipping = true;
                        continue;
                    }

                    skipping = false;

                    current = name;
                    currentLine = line;
                }
                else if (current is null)
                {
                    if (!skipping && block is not BlankLineBlock)
                    {
                        Error("UnexpectedContent", MarkdownSource.LineOf(block), "content between the title and the first '##' section.");
                    }
                }
                else
                {
                    body.Add(block);
                }
            }

            Close();
            return sections;
        }

        private List<Subsection> SplitSubsections(Section section)
        {
            var result = new List<Subsection>();
            foreach (var block in section.Body)
            {
                if (block is HeadingBlock { Level: 3 } heading)
                {
                    result.Add(new Subsection(MarkdownText.HeadingText(heading, source.Text), MarkdownSource.LineOf(heading), new List<Block>()));
                }
                else if (result.Count > 0)
                {
                    result[^1].Body.Add(block);
                }
                else if (block is not BlankLineBlock)
                {
                    Error("UnexpectedContent", MarkdownSource.LineOf(block), $"text under '## {section.Name}' must follow a '###' heading.");
                }
            }

            return result;
        }

        private IReadOnlyList<string> Text(Section? section) => Text(section?.Body ?? []);

        private IReadOnlyList<string> Text(IEnumerable<Block> blocks) =>
            MamlText.ToParagraphs(MarkdownText.RenderBlocks(blocks, source.Text));

        private string ParseSynopsis(Section? section)
        {
            if (section is null)
            {
                return string.Empty;
            }

            var paragraphs = Text(section);
            if (paragraphs.Count == 0)
            {
                Error("EmptySection", section.Line, "'## SYNOPSIS' is empty.");
            }

            return string.Join("\n\n", paragraphs);
        }

        private List<(SyntaxSet Set, int Line)> ParseSyntax(Section? section)
        {
            var sets = new List<(SyntaxSet, int)>();
            if (section is null)
            {
                return sets;
            }

            // PlatyPS writes a command with one parameter set as a bare code block, without a set heading.
            if (!section.Body.OfType<HeadingBlock>().Any())
            {
                var bare = section.Body.OfType<CodeBlock>().ToList();
                if (bare.Count == 1)
                {
                    sets.Add((new SyntaxSet(AllParameterSets, true, SyntaxParameters(bare[0])), MarkdownSource.LineOf(bare[0])));
                    return sets;
                }
            }

            var subsections = SplitSubsections(section);
            if (subsections.Count == 0)
            {
                Error("MissingSyntaxSet", section.Line, "'## SYNTAX' needs one code block with the syntax line, or a '### ParameterSetName' heading and code block per parameter set.");
            }

            foreach (var sub in subsections)
            {
                var isDefault = DefaultSetSuffix().IsMatch(sub.Title);
                var name = DefaultSetSuffix().Replace(sub.Title, string.Empty).Trim();
                var codes = sub.Body.OfType<CodeBlock>().ToList();
                declaredSets.Add(name);
                if (codes.Count != 1)
                {
                    Error("MissingSyntaxBlock", sub.Line, $"parameter set '{name}' needs exactly one code block with its syntax line; found {codes.Count}.");
                    continue;
                }

                if (sets.Any(s => string.Equals(s.Item1.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    Error("DuplicateParameterSet", sub.Line, $"parameter set '{name}' appears more than once.");
                    continue;
                }

                sets.Add((new SyntaxSet(name, isDefault, SyntaxParameters(codes[0])), MarkdownSource.LineOf(codes[0])));
            }

            return sets;
        }

        private static List<string> SyntaxParameters(CodeBlock code) =>
            SyntaxParameterPattern().Matches(MarkdownText.CodeText(code))
                .Select(m => m.Groups[1].Value)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();

        private List<ExampleHelp> ParseExamples(Section? section)
        {
            var examples = new List<ExampleHelp>();
            if (section is null)
            {
                return examples;
            }

            var subsections = SplitSubsections(section);
            if (subsections.Count == 0)
            {
                Error("MissingExample", section.Line, "'## EXAMPLES' needs at least one '### Example 1: title' with a code block.");
            }

            foreach (var sub in subsections)
            {
                var firstCode = sub.Body.ToList().FindIndex(b => b is CodeBlock);
                if (firstCode < 0)
                {
                    Error("MissingExampleCode", sub.Line, $"example '{sub.Title}' has no code block.");
                    continue;
                }

                var code = string.Join("\n\n", sub.Body.OfType<CodeBlock>().Select(MarkdownText.CodeText));
                var introduction = Text(sub.Body.Take(firstCode));
                var remarks = Text(sub.Body.Skip(firstCode).Where(b => b is not CodeBlock));
                examples.Add(new ExampleHelp(sub.Title, introduction, code, remarks));
            }

            return examples;
        }

        private List<ParameterHelp> ParseParameters(Section? section, List<(SyntaxSet Set, int Line)> syntaxSets)
        {
            var parameters = new List<ParameterHelp>();
            if (section is null)
            {
                return parameters;
            }

            foreach (var sub in SplitSubsections(section))
            {
                if (string.Equals(sub.Title.TrimStart('-'), "CommonParameters", StringComparison.OrdinalIgnoreCase))
                {
                    // PowerShell appends [<CommonParameters>] and its own paragraph for cmdlets; the page's text is for readers of the markdown.
                    continue;
                }

                var name = sub.Title.TrimStart('-');
                if (!sub.Title.StartsWith('-') || name.Length == 0 || name.Contains(' ', StringComparison.Ordinal))
                {
                    // Listed without metadata, so the syntax check does not also call the parameter undocumented.
                    Error("InvalidParameterHeading", sub.Line, $"'### {sub.Title}' is not a parameter heading; write '### -Name'.");
                    parameters.Add(new ParameterHelp(name, [], []));
                    continue;
                }

                if (parameters.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    Error("DuplicateParameter", sub.Line, $"parameter '-{name}' is documented more than once.");
                    continue;
                }

                var yamlBlocks = sub.Body.OfType<FencedCodeBlock>().Where(IsYaml).ToList();
                if (yamlBlocks.Count == 0)
                {
                    // Still listed (with no metadata) so the syntax check does not report the same gap again.
                    Error("MissingParameterMetadata", sub.Line, $"parameter '-{name}' has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, ...).");
                }

                var metadata = yamlBlocks.Select(y => ParseMetadata(name, y, syntaxSets)).OfType<ParameterMetadata>().ToList();
                var description = Text(sub.Body.Where(b => !(b is FencedCodeBlock f && IsYaml(f))));
                parameters.Add(new ParameterHelp(name, description, metadata));
            }

            return parameters;
        }

        private static bool IsYaml(FencedCodeBlock block) =>
            string.Equals(block.Info?.Trim(), "yaml", StringComparison.OrdinalIgnoreCase)
            || string.Equals(block.Info?.Trim(), "yml", StringComparison.OrdinalIgnoreCase);

        private ParameterMetadata? ParseMetadata(string parameter, FencedCodeBlock block, List<(SyntaxSet Set, int Line)> syntaxSets)
        {
            var blockLine = MarkdownSource.LineOf(block);
            var values = new Dictionary<string, (string Value, int Line)>(StringComparer.OrdinalIgnoreCase);
            var ok = true;
            for (var i = 0; i < block.Lines.Count; i++)
            {
                var line = block.Lines.Lines[i].Slice.ToString();
                var lineNumber = blockLine + 1 + i;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    Error("InvalidMetadataLine", lineNumber, $"'{line.Trim()}' in the yaml block of '-{parameter}' is not a 'Key: value' line.");
                    ok = false;
                    continue;
                }

                var key = line[..colon].Trim();
                var value = MarkdownSource.Unquote(line[(colon + 1)..].Trim());
                if (!MetadataKeys.ContainsKey(key))
                {
                    Error("UnknownMetadataKey", lineNumber, $"unknown key '{key}' in the yaml block of '-{parameter}'; known keys: {string.Join(", ", MetadataKeys.Keys)}.");
                    ok = false;
                }
                else if (!values.TryAdd(key, (value, lineNumber)))
                {
                    Error("DuplicateMetadataKey", lineNumber, $"key '{key}' appears twice in the yaml block of '-{parameter}'.");
                    ok = false;
                }
            }

            foreach (var missing in MetadataKeys.Where(k => k.Value && !values.ContainsKey(k.Key)))
            {
                Error("MissingMetadataKey", blockLine, $"the yaml block of '-{parameter}' has no '{missing.Key}:'.");
                ok = false;
            }

            if (!ok)
            {
                return null;
            }

            string Get(string key, string fallback) => values.TryGetValue(key, out var v) && v.Value.Length > 0 ? v.Value : fallback;

            bool Bool(string key)
            {
                var (value, line) = values.TryGetValue(key, out var v) ? v : ("False", blockLine);
                if (bool.TryParse(value, out var result))
                {
                    return result;
                }

                Error("InvalidMetadataValue", line, $"'{key}: {value}' of '-{parameter}' must be True or False.");
                ok = false;
                return false;
            }

            var type = Get("Type", string.Empty);
            if (type.Length == 0)
            {
                Error("InvalidMetadataValue", values["Type"].Line, $"'-{parameter}' has an empty 'Type:'.");
                ok = false;
            }

            var sets = SplitList(values["Parameter Sets"].Value);
            if (sets.Count == 0)
            {
                Error("InvalidMetadataValue", values["Parameter Sets"].Line, $"'-{parameter}' has an empty 'Parameter Sets:'; write '(All)' or set names.");
                ok = false;
            }

            foreach (var set in sets.Where(s => s != ParameterMetadata.AllSets))
            {
                if (!declaredSets.Contains(set) && !syntaxSets.Any(s => string.Equals(s.Set.Name, set, StringComparison.OrdinalIgnoreCase)))
                {
                    Error("UnknownParameterSet", values["Parameter Sets"].Line, $"'-{parameter}' names parameter set '{set}', which '## SYNTAX' does not list.");
                    ok = false;
                }
            }

            var (position, positionLine) = values["Position"];
            if (!string.Equals(position, "Named", StringComparison.OrdinalIgnoreCase)
                && !int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                Error("InvalidMetadataValue", positionLine, $"'Position: {position}' of '-{parameter}' must be Named or a number.");
                ok = false;
            }

            var pipeline = Get("Accept pipeline input", "False");
            if (!PipelineInputPattern().IsMatch(pipeline))
            {
                Error("InvalidMetadataValue", values["Accept pipeline input"].Line, $"'Accept pipeline input: {pipeline}' of '-{parameter}' must be False, True, True (ByValue), True (ByPropertyName) or True (ByPropertyName, ByValue).");
                ok = false;
            }

            var required = Bool("Required");
            var wildcard = Bool("Accept wildcard characters");
            if (!ok)
            {
                return null;
            }

            return new ParameterMetadata(
                type,
                sets,
                SplitList(Get("Aliases", string.Empty)),
                SplitList(Get("Accepted values", string.Empty)),
                required,
                string.Equals(position, "Named", StringComparison.OrdinalIgnoreCase) ? "named" : position,
                Get("Default value", "None"),
                pipeline,
                wildcard);
        }

        private static List<string> SplitList(string value) =>
            value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

        private void CheckSyntaxAgainstParameters(List<(SyntaxSet Set, int Line)> syntaxSets, List<ParameterHelp> parameters, Section? syntaxSection)
        {
            if (syntaxSection is null)
            {
                return;
            }

            foreach (var (set, line) in syntaxSets)
            {
                foreach (var name in set.ParameterOrder)
                {
                    var parameter = parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (parameter is null)
                    {
                        Error("UndocumentedParameter", line, $"the syntax of set '{set.Name}' uses '-{name}', which '## PARAMETERS' does not document.");
                    }
                    else if (parameter.Metadata.Count > 0 && parameter.MetadataFor(set.Name) is null)
                    {
                        Error("ParameterSetMismatch", line, $"the syntax of set '{set.Name}' uses '-{name}', but its yaml 'Parameter Sets:' does not include '{set.Name}'.");
                    }
                }

                foreach (var parameter in parameters.Where(p => p.MetadataFor(set.Name) is not null))
                {
                    if (!set.ParameterOrder.Contains(parameter.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        Error("ParameterSetMismatch", line, $"'-{parameter.Name}' belongs to set '{set.Name}' by its yaml 'Parameter Sets:', but the set's syntax line does not show it.");
                    }
                }
            }
        }

        private List<TypeHelp> ParseTypes(Section? section)
        {
            if (section is null)
            {
                return [];
            }

            return SplitSubsections(section).Select(s => new TypeHelp(s.Title, Text(s.Body))).ToList();
        }

        private List<LinkHelp> ParseLinks(Section? section)
        {
            var links = new List<LinkHelp>();
            foreach (var block in section?.Body ?? [])
            {
                CollectLinks(block, links);
            }

            return links;
        }

        private void CollectLinks(Block block, List<LinkHelp> links)
        {
            switch (block)
            {
                case ParagraphBlock paragraph when paragraph.Inline is not null:
                    foreach (var line in SplitAtLineBreaks(paragraph.Inline))
                    {
                        var link = line.OfType<LinkInline>().FirstOrDefault(l => !l.IsImage);
                        var autolink = line.OfType<AutolinkInline>().FirstOrDefault();
                        if (link is not null)
                        {
                            var url = link.Url ?? string.Empty;
                            var text = MarkdownText.RenderInlines(link);
                            links.Add(new LinkHelp(text.Length > 0 ? text : url, MarkdownText.IsAbsoluteWebAddress(url) ? url : string.Empty));
                        }
                        else if (autolink is not null)
                        {
                            links.Add(new LinkHelp(autolink.Url, autolink.Url));
                        }
                        else
                        {
                            var text = string.Concat(line.Select(InlineText)).Trim();
                            if (text.Length > 0)
                            {
                                links.Add(new LinkHelp(text, string.Empty));
                            }
                        }
                    }

                    break;
                case ContainerBlock container:
                    foreach (var child in container)
                    {
                        CollectLinks(child, links);
                    }

                    break;
                case HeadingBlock or ThematicBreakBlock or BlankLineBlock:
                    break;
                default:
                    Error("InvalidRelatedLink", MarkdownSource.LineOf(block), "'## RELATED LINKS' holds links, one a line, as [text](address) or plain text.");
                    break;
            }
        }

        private static string InlineText(Inline inline)
        {
            return inline switch
            {
                LiteralInline literal => literal.Content.ToString(),
                CodeInline code => code.Content,
                ContainerInline container => MarkdownText.RenderInlines(container),
                _ => string.Empty,
            };
        }

        private static List<List<Inline>> SplitAtLineBreaks(ContainerInline container)
        {
            var lines = new List<List<Inline>> { new() };
            foreach (var inline in container)
            {
                if (inline is LineBreakInline)
                {
                    lines.Add([]);
                }
                else
                {
                    lines[^1].Add(inline);
                }
            }

            return lines.Where(l => l.Count > 0).ToList();
        }
    }
}
