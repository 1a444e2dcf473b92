using Autolab.Slurm.HelpBuilder.Cli;

namespace Autolab.Slurm.HelpBuilder.Tests;

public sealed class HelpBuildTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly StringWriter stdout = new();
    private readonly StringWriter stderr = new();

    public void Dispose()
    {
        temp.Dispose();
        stdout.Dispose();
        stderr.Dispose();
    }

    private string Out => temp.Combine("en-US");

    private int Run(params string[] args) => HelpBuild.Run(args, stdout, stderr);

    private string[] AllPagesArgs() =>
    [
        "--out", Out,
        "--cmdlet-help", Fixtures.CmdletHelpFile, Fixtures.PathOf(Fixtures.CmdletPage),
        "--function-help", Fixtures.FunctionHelpFile, Fixtures.PathOf(Fixtures.FunctionPage),
        "--about", Fixtures.PathOf(Fixtures.AboutPage),
    ];

    [Fact]
    public void Run_ValidPages_WritesEachFileAndReturnsZero()
    {
        var code = Run(AllPagesArgs());

        Assert.Equal(HelpBuild.Success, code);
        Assert.Equal(string.Empty, stderr.ToString());
        Assert.Equal(
            ["HbDemo-help.xml", "HbDemo.dll-Help.xml", "about_HbDemo.help.txt"],
            Directory.GetFiles(Out).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("<command:name>Get-DemoJob</command:name>", File.ReadAllText(Path.Combine(Out, "HbDemo.dll-Help.xml")), StringComparison.Ordinal);
        Assert.Contains("<command:name>Invoke-DemoStage</command:name>", File.ReadAllText(Path.Combine(Out, "HbDemo-help.xml")), StringComparison.Ordinal);
        Assert.Contains("wrote ", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PageWithError_ReturnsOneNamesFileAndLineAndWritesNothing()
    {
        var broken = temp.Write(
            "Get-DemoJob.md",
            Fixtures.CmdletPageWith("Aliases: JobIdRaw\n", "Aliases: JobIdRaw\nGlobbing: False\n"));
        var line = Fixtures.LineOf(File.ReadAllText(broken), "Globbing: False");

        var code = Run("--out", Out, "--cmdlet-help", Fixtures.CmdletHelpFile, broken, "--about", Fixtures.PathOf(Fixtures.AboutPage));

        Assert.Equal(HelpBuild.PageErrors, code);
        Assert.Contains($"{broken}:{line}: error UnknownMetadataKey:", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 error(s); nothing written", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void Run_PageInWrongHelpFile_ReportsExternalHelpFileMismatch()
    {
        var code = Run("--out", Out, "--function-help", Fixtures.FunctionHelpFile, Fixtures.PathOf(Fixtures.CmdletPage));

        Assert.Equal(HelpBuild.PageErrors, code);
        Assert.Contains("error ExternalHelpFileMismatch:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SameCommandInTwoPages_ReportsDuplicateCommand()
    {
        var copyFolder = temp.Combine("copy");
        Directory.CreateDirectory(copyFolder);
        var copy = Path.Combine(copyFolder, Fixtures.CmdletPage);
        File.Copy(Fixtures.PathOf(Fixtures.CmdletPage), copy);

        var code = Run("--out", Out, "--cmdlet-help", Fixtures.CmdletHelpFile, Fixtures.PathOf(Fixtures.CmdletPage), copy);

        Assert.Equal(HelpBuild.PageErrors, code);
        Assert.Contains($"{copy}: error DuplicateCommand:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingPage_ReportsPageUnreadable()
    {
        var missing = temp.Combine("Get-Nothing.md");

        var code = Run("--out", Out, "--cmdlet-help", Fixtures.CmdletHelpFile, missing);

        Assert.Equal(HelpBuild.PageErrors, code);
        Assert.Contains($"{missing}: error PageUnreadable:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--cmdlet-help", "X.dll-Help.xml", "a.md" }, "--out <dir> is required")]
    [InlineData(new[] { "--out", "o" }, "nothing to build")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-help.xml", "a.md" }, "that exact case")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X-Help.xml", "a.md" }, "<Assembly>.dll-Help.xml")]
    [InlineData(new[] { "--out", "o", "--function-help", "X-help.txt", "a.md" }, ".ExternalHelp")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-Help.xml" }, "has no pages")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-Help.xml", "docs" }, "not a .md page")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-Help.xml", "docs/*.md" }, "'docs/*.md' is a wildcard pattern")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-Help.xml", "a.md", "a.md" }, "listed more than once")]
    [InlineData(new[] { "--out", "o", "--about", "Topic.md" }, "about_<Topic>.md")]
    [InlineData(new[] { "--out", "o", "--cmdlet-help", "X.dll-Help.xml", "a.md", "--cmdlet-help", "X.dll-Help.xml", "b.md" }, "more than once")]
    [InlineData(new[] { "--out", "o", "a.md" }, "is not after")]
    [InlineData(new[] { "--out", "o", "--verbose" }, "unknown option")]
    public void Run_BadCommandLine_ReturnsTwoWithReason(string[] args, string reason)
    {
        var code = Run(args);

        Assert.Equal(HelpBuild.UsageError, code);
        Assert.Contains(reason, stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("Usage:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Help_PrintsUsageAndReturnsZero()
    {
        var code = Run("--help");

        Assert.Equal(HelpBuild.Success, code);
        Assert.StartsWith("Usage: Autolab.Slurm.HelpBuilder", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_GroupsAndAbout_KeepPagesWithTheirFile()
    {
        var request = CommandLine.Parse(AllPagesArgs(), out var error, out _);

        Assert.Null(error);
        Assert.NotNull(request);
        Assert.Equal(Out, request.OutputDirectory);
        Assert.Collection(
            request.HelpFiles,
            h => Assert.Equal((HelpFileKind.Cmdlet, Fixtures.CmdletHelpFile, 1), (h.Kind, h.FileName, h.Pages.Count)),
            h => Assert.Equal((HelpFileKind.Function, Fixtures.FunctionHelpFile, 1), (h.Kind, h.FileName, h.Pages.Count)));
        Assert.Equal([Fixtures.PathOf(Fixtures.AboutPage)], request.AboutPages);
    }
}
