using System.Text.RegularExpressions;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>Messages that quote another exception's message read as one sentence each, and a folder is never "access denied".</summary>
public sealed class ErrorTextTests
{
    [Theory]
    [InlineData("Access to the path '/x' is denied.", "Access to the path '/x' is denied")]
    [InlineData("  Connection refused. \n", "Connection refused")]
    [InlineData("Unexpected character. Path '', line 1, position 1.", "Unexpected character. Path '', line 1, position 1")]
    [InlineData("no period", "no period")]
    [InlineData("is it installed?", "is it installed?")]
    [InlineData("and so on...", "and so on...")]
    public void Clause_Message_WithoutItsClosingPeriod(string message, string expected) => Assert.Equal(expected, ErrorText.Clause(message));

    [Fact]
    public void Load_RunFolder_ManifestNotFoundNamingTheManifestFileInIt()
    {
        using var dir = new TempDir();
        var manifest = dir.Write("runs/run_001/run_manifest.json", "{}");
        var folder = Path.GetDirectoryName(manifest)!;

        var ex = Assert.Throws<AutolabException>(() => RunManifestDocument.Load(folder));

        Assert.Equal((ErrorIds.ManifestNotFound, AutolabErrorCategory.ObjectNotFound, (object)folder), (ex.ErrorId, ex.Category, ex.Target!));
        Assert.Equal($"'{folder}' is a folder, not a run manifest. Give the manifest file in it: '{manifest}'.", ex.Message);
    }

    [Fact]
    public void Load_FolderWithoutAManifest_ManifestNotFoundSayingHowToFindThem()
    {
        using var dir = new TempDir();

        var ex = Assert.Throws<AutolabException>(() => RunManifestDocument.Load(dir.Path));

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.StartsWith($"'{dir.Path}' is a folder, not a run manifest. ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"Get-ChildItem '{dir.Path}' -Recurse -Filter run_manifest.json", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// An exception's message quoted right before a period of ours ("{ex.Message}. Check ...") doubles the period
    /// whenever the quoted message ends with one, as most .NET messages do: every such place goes through
    /// <see cref="ErrorText.Clause"/>.
    /// </summary>
    [Fact]
    public void Sources_MessageQuotedBeforeAPeriod_GoesThroughClause()
    {
        var root = RepositoryRoot();
        var pattern = new Regex(@"\{[^{}]*\.Message\}[.]", RegexOptions.CultureInvariant);
        var offenders = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => pattern.IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(root, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, "Quote the message through ErrorText.Clause:\n" + string.Join('\n', offenders));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autolab.Slurm.psd1")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root above '{AppContext.BaseDirectory}'.");
    }
}
