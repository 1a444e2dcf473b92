using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Maml;

/// <summary>
/// Writes commands as a MAML help file (the `helpItems` layout PowerShell's help system reads for cmdlets and
/// for functions that name the file with `.ExternalHelp`).
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MsHelp = "http://msdn.microsoft.com/mshelp";

    // Get-Help prints an example's title as it is; the dashes give it the look of PowerShell's own help.
    private const string TitleRule = "----------";

    public static XDocument Build(IEnumerable<CommandHelp> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var list = commands.ToList();
        var bare = list.SelectMany(c => c.Parameters.Where(p => p.Metadata.Count == 0).Select(p => $"{c.Name} -{p.Name}")).FirstOrDefault();
        if (bare is not null)
        {
            throw new ArgumentException($"parameter {bare} has no yaml metadata; only pages that parsed without errors can be written.", nameof(commands));
        }

        var root = new XElement(
            Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MsHelp),
            list.Select(CommandElement));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>UTF-8 without a byte order mark, LF line ends, two-space indentation: the same bytes on every machine.</summary>
    public static byte[] Serialize(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            document.Save(writer);
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    private static XElement CommandElement(CommandHelp help) =>
        new(
            Command + "command",
            new XElement(
                Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", help.Verb),
                new XElement(Command + "noun", help.Noun),
                Description(help.Synopsis.Length == 0 ? [] : [help.Synopsis])),
            Description(help.Description),
            new XElement(Command + "syntax", help.SyntaxSets.Select(set => SyntaxItem(help, set))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, p.Metadata[0], inSyntax: false))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement("inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement("returnValue", t))),
            help.Notes.Count == 0 ? null : new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paragraphs(help.Notes))),
            new XElement(Command + "examples", help.Examples.Select(Example)),
            new XElement(Command + "relatedLinks", Links(help)));

    private static XElement SyntaxItem(CommandHelp help, SyntaxSet set)
    {
        var ordered = set.ParameterOrder
            .Select(name => help.Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            .OfType<ParameterHelp>()
            .ToList();

        // The parser rejects a page whose syntax line and yaml disagree; this only keeps the order total.
        ordered.AddRange(help.Parameters.Where(p => p.MetadataFor(set.Name) is not null && !ordered.Contains(p)));

        return new XElement(
            Command + "syntaxItem",
            new XElement(Maml + "name", help.Name),
            ordered.Select(p => Parameter(p, p.MetadataFor(set.Name) ?? p.Metadata[0], inSyntax: true)));
    }

    private static XElement Parameter(ParameterHelp parameter, ParameterMetadata metadata, bool inSyntax)
    {
        var element = new XElement(
            Command + "parameter",
            new XAttribute("required", Bool(metadata.Required)),
            new XAttribute("variableLength", Bool(metadata.Type.EndsWith("[]", StringComparison.Ordinal))),
            new XAttribute("globbing", Bool(metadata.AcceptWildcard)),
            new XAttribute("pipelineInput", metadata.PipelineInput),
            new XAttribute("position", metadata.Position),
            new XAttribute("aliases", metadata.Aliases.Count == 0 ? "none" : string.Join(", ", metadata.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description));

        if (metadata.AcceptedValues.Count > 0)
        {
            element.Add(new XElement(
                Command + "parameterValueGroup",
                metadata.AcceptedValues.Select(v => new XElement(
                    Command + "parameterValue",
                    new XAttribute("required", "false"),
                    new XAttribute(Command + "variableLength", "false"),
                    v))));
        }

        // A switch takes no value: Get-Help shows [-Force] when the syntax entry has no parameterValue.
        if (!(inSyntax && metadata.IsSwitch))
        {
            element.Add(new XElement(
                Command + "parameterValue",
                new XAttribute("required", Bool(!metadata.IsSwitch)),
                new XAttribute("variableLength", Bool(metadata.Type.EndsWith("[]", StringComparison.Ordinal))),
                metadata.Type));
        }

        element.Add(
            new XElement(Dev + "type", new XElement(Maml + "name", metadata.Type), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", metadata.DefaultValue));
        return element;
    }

    private static XElement TypeElement(string elementName, TypeHelp type) =>
        new(
            Command + elementName,
            new XElement(Dev + "type", new XElement(Maml + "name", type.Name)),
            Description(type.Description));

    private static XElement Example(ExampleHelp example)
    {
        var element = new XElement(Command + "example", new XElement(Maml + "title", $"{TitleRule} {example.Title} {TitleRule}"));
        if (example.Introduction.Count > 0)
        {
            // Get-Help prints the introduction and the code as one run (it was made for a "PS C:\>" prompt), so
            // text before the code ends with a blank line of its own.
            var introduction = example.Introduction.ToList();
            introduction[^1] += "\n\n";
            element.Add(new XElement(Maml + "introduction", Paragraphs(introduction)));
        }

        // The empty para gives the blank line Get-Help does not print between one example's remarks and the next title.
        element.Add(
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paragraphs(example.Remarks), new XElement(Maml + "para")));
        return element;
    }

    private static IEnumerable<XElement> Links(CommandHelp help)
    {
        // Get-Help -Online opens the first link that has an address, so the page's online version goes first.
        if (help.OnlineVersion is not null)
        {
            yield return Link("Online Version:", help.OnlineVersion);
        }

        foreach (var link in help.Links)
        {
            yield return Link(link.Text, link.Uri);
        }
    }

    private static XElement Link(string text, string uri) =>
        new(Maml + "navigationLink", new XElement(Maml + "linkText", text), new XElement(Maml + "uri", uri));

    private static XElement Description(IReadOnlyList<string> paragraphs) =>
        new(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IReadOnlyList<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Bool(bool value) => value ? "true" : "false";
}
