using System;
using System.Collections.Generic;
using System.Linq;

namespace Autolab.Slurm.HelpBuilder.Model;

/// <summary>One command page, parsed. Text is held as paragraphs: one string per MAML para.</summary>
public sealed record CommandHelp(
    string Name,
    string SourcePath,
    string ExternalHelpFile,
    string? OnlineVersion,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<SyntaxSet> SyntaxSets,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<ExampleHelp> Examples,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<LinkHelp> Links)
{
    public string Verb => Name.Contains('-', StringComparison.Ordinal) ? Name[..Name.IndexOf('-', StringComparison.Ordinal)] : string.Empty;

    public string Noun => Name.Contains('-', StringComparison.Ordinal) ? Name[(Name.IndexOf('-', StringComparison.Ordinal) + 1)..] : string.Empty;

    public override string ToString() => Name;
}

/// <summary>A `### SetName` entry under SYNTAX; ParameterOrder is the order of `-Name` tokens in its code block.</summary>
public sealed record SyntaxSet(string Name, bool IsDefault, IReadOnlyList<string> ParameterOrder)
{
    public override string ToString() => Name;
}

public sealed record ParameterHelp(string Name, IReadOnlyList<string> Description, IReadOnlyList<ParameterMetadata> Metadata)
{
    /// <summary>The yaml block that describes this parameter in <paramref name="setName"/>, if any.</summary>
    public ParameterMetadata? MetadataFor(string setName) => Metadata.FirstOrDefault(m => m.AppliesTo(setName));

    public override string ToString() => Name;
}

/// <summary>
/// One yaml block of a parameter. PlatyPS writes one block per distinct combination of attributes, so a
/// parameter that is mandatory in one set and optional in another has two blocks.
/// </summary>
public sealed record ParameterMetadata(
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool AcceptWildcard)
{
    public const string AllSets = "(All)";

    public bool IsSwitch => Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";

    public bool AppliesTo(string setName) =>
        ParameterSets.Contains(AllSets, StringComparer.OrdinalIgnoreCase)
        || ParameterSets.Contains(setName, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Introduction: text before the first code block; Remarks: all text after it.</summary>
public sealed record ExampleHelp(string Title, IReadOnlyList<string> Introduction, string Code, IReadOnlyList<string> Remarks)
{
    public override string ToString() => Title;
}

public sealed record TypeHelp(string Name, IReadOnlyList<string> Description)
{
    public override string ToString() => Name;
}

public sealed record LinkHelp(string Text, string Uri)
{
    public override string ToString() => Text;
}
