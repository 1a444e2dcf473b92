using System.Text;
using Autolab.Slurm.HelpBuilder.About;

namespace Autolab.Slurm.HelpBuilder.Tests;

public class AboutPageConverterTests
{
    private static string ConvertOk(string text, string name = Fixtures.AboutPage)
    {
        var result = AboutPageConverter.Convert(Fixtures.PathOf(name), text);
        Assert.Empty(result.Diagnostics);
        return result.Value!;
    }

    private static string Sample() => ConvertOk(Fixtures.Read(Fixtures.AboutPage));

    [Fact]
    public void Convert_Sample_StartsWithTopicAndShortDescription()
    {
        Assert.StartsWith(
            "TOPIC\n    about_HbDemo\n\nSHORT DESCRIPTION\n    Explains the demo module used to check the help builder.\n\nLONG DESCRIPTION\n",
            Sample(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_Sample_NoLineIsLongerThanWidth()
    {
        var lines = Sample().Split('\n');

        Assert.All(lines, l => Assert.True(l.Length <= AboutPageConverter.Width, $"{l.Length}: {l}"));
        Assert.Contains(lines, l => l.Length > 70);
    }

    [Fact]
    public void Convert_LongParagraph_WrapsWithTextIndent()
    {
        var text = Sample();

        Assert.Contains(
            "    The HbDemo module has one cmdlet, `Get-DemoJob`, and one function,\n    `Invoke-DemoStage`. This paragraph",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_HardLineBreak_StartsNewLine()
    {
        Assert.Contains("break joins lines.\n    A hard line break starts a new one.\n", Sample(), StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_CodeBlock_IsIndentedFourMoreThanText()
    {
        Assert.Contains("\n        Get-DemoJob -JobId 42 |\n            Format-List *\n", Sample(), StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_TightList_HasNoBlankLinesAndHangingIndent()
    {
        Assert.Contains(
            "    - Use `Get-DemoJob -JobId 42` for one job.\n    - Use `Get-DemoJob -Name 'train*'` to get every job whose name starts with\n      train, which makes this item wrap.\n",
            Sample(),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_Table_IsKeptAsWritten()
    {
        Assert.Contains("    | Pending   | waiting to start |\n", Sample(), StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_SectionsAndSubheadings_AreUpperCaseAndIndentedTwo()
    {
        var text = Sample();

        Assert.Contains("\nSEE ALSO\n    - Get-DemoJob\n    - Slurm (https://slurm.schedmd.com)\n", text, StringComparison.Ordinal);
        Assert.Contains("\n  Getting jobs\n", text, StringComparison.Ordinal);
        Assert.EndsWith("KEYWORDS\n    - Demo\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_TemplateWithRepeatedTopicAndLevelOneSections_IsAccepted()
    {
        var text = "# about_HbDemo\n\n## about_HbDemo\n\n# SHORT DESCRIPTION\nShort.\n\n# LONG DESCRIPTION\nLong.\n";

        Assert.Equal("TOPIC\n    about_HbDemo\n\nSHORT DESCRIPTION\n    Short.\n\nLONG DESCRIPTION\n    Long.\n", ConvertOk(text));
    }

    [Fact]
    public void Convert_UnderlinedHeadings_ReadLikeHashHeadings()
    {
        var text = "about_HbDemo\n============\n\nSHORT DESCRIPTION\n-----------------\nShort.\n\nLONG DESCRIPTION\n----------------\nLong.\n";

        Assert.Equal("TOPIC\n    about_HbDemo\n\nSHORT DESCRIPTION\n    Short.\n\nLONG DESCRIPTION\n    Long.\n", ConvertOk(text));
    }

    [Theory]
    [InlineData("# about_HbDemo\n\n## SHORT DESCRIPTION\nShort.\n", "MissingSection", 1)]
    [InlineData("# about_Other\n\n## SHORT DESCRIPTION\nShort.\n\n## LONG DESCRIPTION\nLong.\n", "TitleMismatch", 1)]
    [InlineData("Intro.\n\n# about_HbDemo\n", "MissingTitle", 1)]
    [InlineData("# about_HbDemo\n\nStray text.\n\n## SHORT DESCRIPTION\nShort.\n\n## LONG DESCRIPTION\nLong.\n", "UnexpectedContent", 3)]
    [InlineData("# about_HbDemo\n\n## SHORT DESCRIPTION\n{{ Short Description Placeholder }}\n\n## LONG DESCRIPTION\nLong.\n", "UnfilledPlaceholder", 4)]
    public void Convert_BrokenPage_ReportsIdAndLine(string text, string id, int line)
    {
        var result = AboutPageConverter.Convert(Fixtures.PathOf(Fixtures.AboutPage), text);

        Assert.Null(result.Value);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(line, diagnostic.Line);
    }

    [Theory]
    [InlineData("one two three", 10, "  one two\n  three\n")]
    [InlineData("averyveryverylongword short", 6, "  averyveryverylongword\n  short\n")]
    [InlineData("a\nb", 20, "  a\n  b\n")]
    public void Wrap_Text_BreaksAtSpacesWithinWidth(string text, int widthLeft, string expected)
    {
        // Width is fixed, so indent to leave widthLeft columns for the words.
        var output = new StringBuilder();
        var indent = AboutPageConverter.Width - widthLeft;

        AboutPageConverter.Wrap(output, text, indent, indent);

        var pad = new string(' ', indent - 2);
        Assert.Equal(string.Join('\n', expected.TrimEnd('\n').Split('\n').Select(l => pad + l)) + "\n", output.ToString());
    }

    [Fact]
    public void OutputFileName_AboutPage_IsHelpTxt()
    {
        Assert.Equal("about_HbDemo.help.txt", AboutPageConverter.OutputFileName("docs/about_HbDemo.md"));
    }
}
