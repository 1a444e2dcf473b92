using Autolab.Slurm.HelpBuilder.Markdown;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Tests;

/// <summary>Each case breaks the sample page in one way and expects one error, on the line that is wrong.</summary>
public class CommandPageErrorTests
{
    private static HelpDiagnostic SingleError(string text, string? helpFileName = null)
    {
        var path = Fixtures.PathOf(Fixtures.CmdletPage);
        var result = CommandPageParser.Parse(path, text, helpFileName);

        Assert.Null(result.Value);
        Assert.False(result.Succeeded);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(path, diagnostic.File);
        return diagnostic;
    }

    [Theory]
    // find, replace with, expected id, text on the expected line (in the changed page), lines after it
    [InlineData("Aliases: JobIdRaw\n", "Aliases: JobIdRaw\nGlobbing: False\n", "UnknownMetadataKey", "Globbing: False", 0)]
    [InlineData("Aliases: JobIdRaw\n", "Aliases: JobIdRaw\nnot a key value line\n", "InvalidMetadataLine", "not a key value line", 0)]
    [InlineData("Required: True\nPosition: 0", "Required: Yes\nPosition: 0", "InvalidMetadataValue", "Required: Yes", 0)]
    [InlineData("Position: 0", "Position: first", "InvalidMetadataValue", "Position: first", 0)]
    [InlineData("Accept pipeline input: True (ByPropertyName)", "Accept pipeline input: Sometimes", "InvalidMetadataValue", "Accept pipeline input: Sometimes", 0)]
    [InlineData("Aliases: JobIdRaw\n", "Aliases: JobIdRaw\nAliases: Id\n", "DuplicateMetadataKey", "Aliases: Id", 0)]
    [InlineData("Position: 0\n", "", "MissingMetadataKey", "```yaml", 0)]
    [InlineData("Parameter Sets: ById\n", "Parameter Sets: ById, ByPath\n", "UnknownParameterSet", "Parameter Sets: ById, ByPath", 0)]
    [InlineData("[-IncludeSteps] [<CommonParameters>]\n```\n\n### ByName", "[-IncludeSteps] [-Force] [<CommonParameters>]\n```\n\n### ByName", "UndocumentedParameter", "[-Force]", -1)]
    [InlineData("Get-DemoJob -Name <String> [-State <String>] [-IncludeSteps]", "Get-DemoJob -Name <String> [-State <String>]", "ParameterSetMismatch", "Get-DemoJob -Name <String>", -1)]
    [InlineData("Gets demo jobs by id or by name.", "{{ Fill in the Synopsis }}", "UnfilledPlaceholder", "{{ Fill in the Synopsis }}", 0)]
    [InlineData("## NOTES", "## REMARKS", "UnknownSection", "## REMARKS", 0)]
    [InlineData("# Get-DemoJob\n", "# Get-DemoJobs\n", "TitleMismatch", "# Get-DemoJobs", 0)]
    [InlineData("schema: 2.0.0", "schema: 3.0.0", "UnsupportedSchema", "schema: 3.0.0", 0)]
    [InlineData("### -Name\n", "### Name\n", "InvalidParameterHeading", "### Name", 0)]
    [InlineData("### Example 1: Get one job\n```powershell\nPS> Get-DemoJob -JobId 42\n```\n", "### Example 1: Get one job\n", "MissingExampleCode", "### Example 1: Get one job", 0)]
    [InlineData("Demo jobs are not real jobs.\n", "Demo jobs are not real jobs.\n\n## NOTES\nTwice.\n", "DuplicateSection", "Twice.", -1)]
    [InlineData("### ByName\n```\nGet-DemoJob -Name <String> [-State <String>] [-IncludeSteps] [<CommonParameters>]\n```\n", "### ByName\n", "MissingSyntaxBlock", "### ByName", 0)]
    public void Parse_BrokenPage_ReportsIdAndLine(string find, string replace, string id, string lineText, int lineOffset)
    {
        var text = Fixtures.CmdletPageWith(find, replace);

        var diagnostic = SingleError(text);

        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(Fixtures.LineOf(text, lineText) + lineOffset, diagnostic.Line);
    }

    [Fact]
    public void Parse_ParameterWithoutYaml_ReportsMissingParameterMetadataAtItsHeading()
    {
        var text = Fixtures.CmdletPageWith(
            "One or more job ids, as sacct prints them.\n\n```yaml\nType: String[]\nParameter Sets: ById\nAliases: JobIdRaw\n\nRequired: True\nPosition: 0\nDefault value: None\nAccept pipeline input: True (ByPropertyName)\nAccept wildcard characters: False\n```\n",
            "One or more job ids, as sacct prints them.\n");

        var diagnostic = SingleError(text);

        Assert.Equal("MissingParameterMetadata", diagnostic.Id);
        Assert.Equal(Fixtures.LineOf(text, "### -JobId"), diagnostic.Line);
    }

    [Fact]
    public void Parse_MissingRequiredSection_ReportsMissingSectionAtTitle()
    {
        var page = Fixtures.Read(Fixtures.CmdletPage);
        var start = page.IndexOf("## DESCRIPTION", StringComparison.Ordinal);
        var end = page.IndexOf("## EXAMPLES", StringComparison.Ordinal);
        var text = page[..start] + page[end..];

        var diagnostic = SingleError(text);

        Assert.Equal("MissingSection", diagnostic.Id);
        Assert.Contains("## DESCRIPTION", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(Fixtures.LineOf(text, "# Get-DemoJob"), diagnostic.Line);
    }

    [Fact]
    public void Parse_NoFrontMatter_ReportsMissingFrontMatterOnLineOne()
    {
        var page = Fixtures.Read(Fixtures.CmdletPage);
        var text = page[page.IndexOf("# Get-DemoJob", StringComparison.Ordinal)..];

        var diagnostic = SingleError(text);

        Assert.Equal("MissingFrontMatter", diagnostic.Id);
        Assert.Equal(1, diagnostic.Line);
    }

    [Fact]
    public void Parse_FrontMatterNamesAnotherHelpFile_ReportsExternalHelpFileMismatch()
    {
        var text = Fixtures.Read(Fixtures.CmdletPage);

        var diagnostic = SingleError(text, helpFileName: "Other.dll-Help.xml");

        Assert.Equal("ExternalHelpFileMismatch", diagnostic.Id);
        Assert.Equal(Fixtures.LineOf(text, "external help file:"), diagnostic.Line);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEachOne()
    {
        var text = Fixtures.CmdletPageWith("Aliases: JobIdRaw\n", "Aliases: JobIdRaw\nGlobbing: False\n")
            .Replace("## NOTES", "## REMARKS", StringComparison.Ordinal);

        var result = CommandPageParser.Parse(Fixtures.PathOf(Fixtures.CmdletPage), text);

        Assert.Equal(["UnknownMetadataKey", "UnknownSection"], result.Diagnostics.Select(d => d.Id).Order());
    }

    [Fact]
    public void ToString_Diagnostic_NamesFileLineAndId()
    {
        var diagnostic = new HelpDiagnostic("UnknownMetadataKey", "docs/Get-X.md", 42, "unknown key 'Globbing'.");

        Assert.Equal("docs/Get-X.md:42: error UnknownMetadataKey: unknown key 'Globbing'.", diagnostic.ToString());
    }
}
