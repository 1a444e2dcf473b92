using Autolab.Slurm.HelpBuilder.Markdown;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Tests;

public class CommandPageParserTests
{
    private static CommandHelp ParseOk(string page, string? text = null)
    {
        var result = CommandPageParser.Parse(Fixtures.PathOf(page), text ?? Fixtures.Read(page));
        Assert.Empty(result.Diagnostics);
        Assert.NotNull(result.Value);
        return result.Value;
    }

    [Fact]
    public void Parse_CmdletPage_ReadsTitleFrontMatterAndSynopsis()
    {
        var help = ParseOk(Fixtures.CmdletPage);

        Assert.Equal("Get-DemoJob", help.Name);
        Assert.Equal("Get", help.Verb);
        Assert.Equal("DemoJob", help.Noun);
        Assert.Equal("HbDemo.dll-Help.xml", help.ExternalHelpFile);
        Assert.Equal("https://example.org/help/Get-DemoJob", help.OnlineVersion);
        Assert.Equal("Gets demo jobs by id or by name.", help.Synopsis);
    }

    [Fact]
    public void Parse_CmdletPage_ReadsSyntaxSetsInOrderWithParameterOrder()
    {
        var help = ParseOk(Fixtures.CmdletPage);

        Assert.Collection(
            help.SyntaxSets,
            s =>
            {
                Assert.Equal("ById", s.Name);
                Assert.True(s.IsDefault);
                Assert.Equal(["JobId", "State", "IncludeSteps"], s.ParameterOrder);
            },
            s =>
            {
                Assert.Equal("ByName", s.Name);
                Assert.False(s.IsDefault);
                Assert.Equal(["Name", "State", "IncludeSteps"], s.ParameterOrder);
            });
    }

    [Fact]
    public void Parse_CmdletPage_ReadsParameterYaml()
    {
        var help = ParseOk(Fixtures.CmdletPage);

        Assert.Equal(["JobId", "Name", "State", "IncludeSteps"], help.Parameters.Select(p => p.Name));
        var jobId = Assert.Single(help.Parameters[0].Metadata);
        Assert.Equal("String[]", jobId.Type);
        Assert.Equal(["ById"], jobId.ParameterSets);
        Assert.Equal(["JobIdRaw"], jobId.Aliases);
        Assert.True(jobId.Required);
        Assert.Equal("0", jobId.Position);
        Assert.Equal("None", jobId.DefaultValue);
        Assert.Equal("True (ByPropertyName)", jobId.PipelineInput);
        Assert.False(jobId.AcceptWildcard);
        Assert.Equal(["One or more job ids, as sacct prints them."], help.Parameters[0].Description);

        var name = help.Parameters[1].Metadata[0];
        Assert.Equal("named", name.Position);
        Assert.True(name.AcceptWildcard);
        Assert.Empty(name.Aliases);
    }

    [Fact]
    public void Parse_AcceptedValues_AreSplitAtCommas()
    {
        var state = ParseOk(Fixtures.CmdletPage).Parameters.Single(p => p.Name == "State").Metadata[0];

        Assert.Equal(["Pending", "Running", "Completed"], state.AcceptedValues);
        Assert.Equal("Running", state.DefaultValue);
        Assert.True(state.AppliesTo("ById"));
        Assert.True(state.AppliesTo("ByName"));
    }

    [Fact]
    public void Parse_CommonParametersHeading_IsNotAParameter()
    {
        var help = ParseOk(Fixtures.CmdletPage);

        Assert.DoesNotContain(help.Parameters, p => p.Name.Contains("Common", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Parse_SyntaxWithoutSetHeading_IsTheAllParameterSetsSet()
    {
        var help = ParseOk(Fixtures.FunctionPage);

        var set = Assert.Single(help.SyntaxSets);
        Assert.Equal(CommandPageParser.AllParameterSets, set.Name);
        Assert.Equal(["Path", "Retry", "WhatIf", "Confirm"], set.ParameterOrder);
        Assert.All(help.Parameters, p => Assert.NotNull(p.MetadataFor(set.Name)));
    }

    [Fact]
    public void Parse_Description_JoinsSoftBreaksDropsEmphasisKeepsBackticks()
    {
        var description = ParseOk(Fixtures.CmdletPage).Description;

        Assert.Equal("The `Get-DemoJob` cmdlet gets jobs from the demo scheduler. This sentence continues the same paragraph.", description[0]);
    }

    [Fact]
    public void Parse_Links_ShowWebAddressButNotPagePath()
    {
        var description = ParseOk(Fixtures.CmdletPage).Description;

        Assert.Equal("A second paragraph with a link to the docs (https://example.org/docs) and a related command.", description[1]);
    }

    [Fact]
    public void Parse_TightList_ItemsShareOneParagraphWithDashes()
    {
        var description = ParseOk(Fixtures.CmdletPage).Description;

        Assert.Equal("- first point\n- second point, with `code`", description[2]);
    }

    [Fact]
    public void Parse_NestedOrderedList_KeepsNumbersAndIndentsNestedItems()
    {
        var description = ParseOk(Fixtures.FunctionPage).Description;

        Assert.Contains(
            "1. Read the manifest.\n2. Submit the job. Wait for it to finish.\n  - a nested point\n  - another nested point\n3. Write the ledger line.",
            description);
    }

    [Fact]
    public void Parse_CodeBlockInDescription_KeepsItsLines()
    {
        var description = ParseOk(Fixtures.CmdletPage).Description;

        Assert.Equal("Get-DemoJob -JobId 7 |\n    Format-List *", description[^1]);
    }

    [Fact]
    public void Parse_Examples_ReadTitleCodeAndRemarks()
    {
        var examples = ParseOk(Fixtures.CmdletPage).Examples;

        Assert.Equal(2, examples.Count);
        Assert.Equal("Example 1: Get one job", examples[0].Title);
        Assert.Equal("PS> Get-DemoJob -JobId 42", examples[0].Code);
        Assert.Equal(["Gets job 42 in the Running state."], examples[0].Remarks);
        Assert.Empty(examples[0].Introduction);
    }

    [Fact]
    public void Parse_ExampleWithOutputBlock_JoinsCodeBlocksWithBlankLine()
    {
        var example = ParseOk(Fixtures.CmdletPage).Examples[1];

        Assert.Equal("PS> Get-DemoJob -Name 'train*' -State Completed\n\nJobId Name\n----- ----\n42    train-a", example.Code);
        Assert.Equal(["Gets the completed jobs whose name starts with train."], example.Remarks);
    }

    [Fact]
    public void Parse_ExampleTextBeforeCode_BecomesIntroduction()
    {
        var example = ParseOk(Fixtures.FunctionPage).Examples[1];

        Assert.Equal(["Text before the code introduces the example."], example.Introduction);
        Assert.Equal(["Resubmits a failed job up to two times."], example.Remarks);
    }

    [Fact]
    public void Parse_InputsOutputsNotes_AreRead()
    {
        var help = ParseOk(Fixtures.CmdletPage);

        var input = Assert.Single(help.Inputs);
        Assert.Equal("System.String[]", input.Name);
        Assert.Equal(["Job ids, by property name."], input.Description);
        Assert.Equal("System.String", Assert.Single(help.Outputs).Name);
        Assert.Equal(["Demo jobs are not real jobs."], help.Notes);
    }

    [Fact]
    public void Parse_RelatedLinks_PagePathHasNoUri()
    {
        var links = ParseOk(Fixtures.CmdletPage).Links;

        Assert.Equal([new LinkHelp("about_HbDemo", string.Empty), new LinkHelp("Slurm sacct", "https://slurm.schedmd.com/sacct.html")], links);
    }

    [Fact]
    public void Parse_EmptyOptionalSections_AreEmpty()
    {
        var help = ParseOk(Fixtures.FunctionPage);

        Assert.Empty(help.Notes);
        Assert.Empty(help.Links);
        Assert.Null(help.OnlineVersion);
        Assert.Equal("None", Assert.Single(help.Outputs).Name);
    }

    [Fact]
    public void Parse_WindowsLineEnds_ParseLikeUnixOnes()
    {
        var crlf = Fixtures.Read(Fixtures.CmdletPage).Replace("\n", "\r\n", StringComparison.Ordinal);

        var help = ParseOk(Fixtures.CmdletPage, crlf);

        Assert.Equal("PS> Get-DemoJob -JobId 42", help.Examples[0].Code);
        Assert.Equal(4, help.Parameters.Count);
    }

    [Fact]
    public void Parse_ParameterWithYamlBlockPerSet_KeepsEachSetsMetadata()
    {
        // PlatyPS writes two yaml blocks when a parameter is mandatory in one set and optional in another.
        var text = Fixtures.CmdletPageWith(
            """
            Parameter Sets: (All)
            Aliases:
            Accepted values: Pending, Running, Completed

            Required: False
            """,
            """
            Parameter Sets: ById
            Aliases:
            Accepted values: Pending, Running, Completed

            Required: False
            Position: Named
            Default value: Running
            Accept pipeline input: False
            Accept wildcard characters: False
            ```

            ```yaml
            Type: String
            Parameter Sets: ByName
            Aliases:

            Required: True
            """);

        var state = ParseOk(Fixtures.CmdletPage, text).Parameters.Single(p => p.Name == "State");

        Assert.Equal(2, state.Metadata.Count);
        Assert.False(state.MetadataFor("ById")!.Required);
        Assert.True(state.MetadataFor("ByName")!.Required);
        Assert.Empty(state.MetadataFor("ByName")!.AcceptedValues);
    }
}
