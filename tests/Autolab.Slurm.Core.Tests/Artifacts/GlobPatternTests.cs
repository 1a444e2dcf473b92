using Autolab.Slurm.Artifacts;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// GlobPattern: autolab's patterns are Python fnmatch (fnmatchcase) on repo-relative paths
/// (autolab-contract.md, "Remote profiles"; docs/Sync-RunArtifacts.md: "a * also crosses '/'").
/// Every expected value in the tables was checked against CPython's fnmatch.fnmatchcase.
/// </summary>
public sealed class GlobPatternTests
{
    [Theory]
    // '*' matches any run of characters, '/' included.
    [InlineData("*.json", "metrics.json", true)]
    [InlineData("*.json", "a/b/c.json", true)]
    [InlineData("data/*", "data/a/b/c.bin", true)]
    [InlineData("data/*", "data", false)]
    [InlineData("data/*", "data/", true)]
    [InlineData("data/*", "other/data/x", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b", "a\nb", true)]
    // '**' is the same as '*' (no special directory meaning in fnmatch).
    [InlineData("exp/**", "exp/a/b/c", true)]
    [InlineData("exp/**/x.txt", "exp/x.txt", false)]
    [InlineData("exp/**/x.txt", "exp/a/x.txt", true)]
    [InlineData("exp/***", "exp/a", true)]
    // '?' is exactly one character, '/' included.
    [InlineData("a?b", "a/b", true)]
    [InlineData("a?b", "axb", true)]
    [InlineData("a?b", "ab", false)]
    [InlineData("a?b", "axxb", false)]
    [InlineData("log?.txt", "log1.txt", true)]
    // Anchored at both ends; case-sensitive.
    [InlineData("run", "run_001", false)]
    [InlineData("run", "xrun", false)]
    [InlineData("*.json", "metrics.JSON", false)]
    public void IsMatch_WildcardsTable_FnmatchResult(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));
    }

    [Theory]
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("log[0-9].txt", "log7.txt", true)]
    [InlineData("log[0-9].txt", "logx.txt", false)]
    [InlineData("log[!0-9].txt", "logx.txt", true)]
    [InlineData("log[!0-9].txt", "log7.txt", false)]
    [InlineData("[!a]", "b", true)]
    [InlineData("[!a]", "a", false)]
    [InlineData("a[/]b", "a/b", true)]
    [InlineData("[a-]", "-", true)]
    // ']' first in a class is literal.
    [InlineData("[]]", "]", true)]
    [InlineData("[!]]", "a", true)]
    [InlineData("[!]]", "]", false)]
    // A backslash in a class is a literal backslash.
    [InlineData("[\\]", "\\", true)]
    // An unclosed '[' is a literal '['.
    [InlineData("x[y", "x[y", true)]
    [InlineData("[]", "[]", true)]
    public void IsMatch_CharacterClasses_FnmatchResult(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));
    }

    /// <summary>
    /// In fnmatch only '!' negates a class; a leading '^' is a literal caret (Python escapes it).
    /// A regex-based translation that passes '^' through turns [^a] into "anything but a".
    /// </summary>
    [Theory]
    [InlineData("[^a]", "^", true)]
    [InlineData("[^a]", "a", true)]
    [InlineData("[^a]", "b", false)]
    public void IsMatch_CaretFirstInClass_LiteralCaret(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));
    }

    /// <summary>fnmatch reads "[!]" (no closing bracket after the negation) as the three literal characters.</summary>
    [Fact]
    public void IsMatch_NegationWithoutClosingBracket_LiteralText()
    {
        var pattern = new GlobPattern("[!]");

        Assert.True(pattern.IsMatch("[!]"));
        Assert.False(pattern.IsMatch("x"));
    }

    [Theory]
    [InlineData("run.(1)+$x^|{y}", "run.(1)+$x^|{y}", true)]
    [InlineData("run.(1)+$x^|{y}", "runX(1)+$x^|{y}", false)]
    [InlineData("run.(1)+", "run.(1)", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("a+", "aa", false)]
    [InlineData("(a|b)", "a", false)]
    [InlineData("(a|b)", "(a|b)", true)]
    [InlineData("x{2}", "xx", false)]
    [InlineData("x{2}", "x{2}", true)]
    [InlineData("$HOME/*", "$HOME/file", true)]
    [InlineData("a\\b", "a\\b", true)]
    [InlineData("name with space.txt", "name with space.txt", true)]
    [InlineData("#notes.txt", "#notes.txt", true)]
    public void IsMatch_RegexMetacharacters_Literal(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new GlobPattern(pattern).IsMatch(path));
    }

    [Fact]
    public void Pattern_AsWritten_KeptAndShownByToString()
    {
        var glob = new GlobPattern("{run_dir}/*.json");

        Assert.Equal("{run_dir}/*.json", glob.Pattern);
        Assert.Equal("{run_dir}/*.json", glob.ToString());
    }

    private static readonly Dictionary<string, string> Placeholders = new()
    {
        ["iteration_id"] = "iter1",
        ["run_id"] = "run_001",
        ["iteration_path"] = "experiments/plan/iter1",
        ["run_dir"] = "experiments/plan/iter1/runs/run_001",
    };

    [Theory]
    [InlineData("{run_dir}/**", "experiments/plan/iter1/runs/run_001/**")]
    [InlineData("{iteration_path}/shared/*", "experiments/plan/iter1/shared/*")]
    [InlineData("{iteration_path}/runs/{run_id}/metrics.json", "experiments/plan/iter1/runs/run_001/metrics.json")]
    [InlineData("cache/{iteration_id}/{run_id}-*.bin", "cache/iter1/run_001-*.bin")]
    [InlineData("data/**", "data/**")]
    [InlineData("{unknown}/x", "{unknown}/x")]
    [InlineData("{run_id}{run_id}", "run_001run_001")]
    public void Expand_Placeholders_Filled(string pattern, string expected)
    {
        Assert.Equal(expected, GlobPattern.Expand(pattern, Placeholders));
    }

    [Theory]
    [InlineData("{run_dir}/**", "experiments/plan/iter1/runs/run_001/logs/train.log", true)]
    [InlineData("{run_dir}/**", "experiments/plan/iter1/runs/run_002/logs/train.log", false)]
    [InlineData("{run_dir}/*.json", "experiments/plan/iter1/runs/run_001/sub/x.json", true)]
    [InlineData("{iteration_path}/runs/{run_id}/[!.]*", "experiments/plan/iter1/runs/run_001/a.txt", true)]
    [InlineData("{iteration_path}/runs/{run_id}/[!.]*", "experiments/plan/iter1/runs/run_001/.hidden", false)]
    public void IsMatch_ExpandedPlaceholders_MatchesRunPaths(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, new GlobPattern(GlobPattern.Expand(pattern, Placeholders)).IsMatch(path));
    }

    [Fact]
    public void IsMatch_PlaceholderValueWithDots_DotIsLiteral()
    {
        var values = new Dictionary<string, string> { ["run_dir"] = "exp/it.1/runs/r.1" };

        var glob = new GlobPattern(GlobPattern.Expand("{run_dir}/*", values));

        Assert.True(glob.IsMatch("exp/it.1/runs/r.1/a"));
        Assert.False(glob.IsMatch("exp/itX1/runs/rX1/a"));
    }
}
