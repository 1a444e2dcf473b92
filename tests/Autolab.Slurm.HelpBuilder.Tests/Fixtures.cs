namespace Autolab.Slurm.HelpBuilder.Tests;

/// <summary>The sample pages under Fixtures/, copied next to the test assembly.</summary>
internal static class Fixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string PathOf(string name) => Path.Combine(Folder, name);

    public static string Read(string name) => File.ReadAllText(PathOf(name));

    public const string CmdletPage = "Get-DemoJob.md";
    public const string FunctionPage = "Invoke-DemoStage.md";
    public const string AboutPage = "about_HbDemo.md";
    public const string CmdletHelpFile = "HbDemo.dll-Help.xml";
    public const string FunctionHelpFile = "HbDemo-help.xml";

    /// <summary>The sample cmdlet page with one exact piece of text replaced; fails loudly if the text is not there.</summary>
    public static string CmdletPageWith(string find, string replace)
    {
        var text = Read(CmdletPage);
        Assert.Contains(find, text, StringComparison.Ordinal);
        return text.Replace(find, replace, StringComparison.Ordinal);
    }

    /// <summary>1-based number of the first line of <paramref name="text"/> that contains <paramref name="find"/>.</summary>
    public static int LineOf(string text, string find)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var index = Array.FindIndex(lines, l => l.Contains(find, StringComparison.Ordinal));
        Assert.True(index >= 0, $"'{find}' is not in the text");
        return index + 1;
    }
}
