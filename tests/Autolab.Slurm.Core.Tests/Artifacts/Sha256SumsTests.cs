using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Autolab.Slurm.Artifacts;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Artifacts;

/// <summary>
/// Sha256Sums reads what GNU sha256sum writes (autolab-contract.md: "if the job wrote SHA256SUMS
/// (sha256sum format)"). The escaped-name lines were produced by coreutils 9.1's sha256sum.
/// </summary>
public sealed class Sha256SumsTests
{
    private const string HashA = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"; // sha256("a")
    private const string HashEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static IReadOnlyDictionary<string, string> Parse(string text, out List<string> problems)
    {
        problems = new List<string>();
        return Sha256Sums.Parse(text, problems);
    }

    [Fact]
    public void Parse_TextAndBinaryForms_BothRead()
    {
        var sums = Parse($"{HashA}  metrics.json\n{HashEmpty} *model.bin\n", out var problems);

        Assert.Empty(problems);
        Assert.Equal(2, sums.Count);
        Assert.Equal(HashA, sums["metrics.json"]);
        Assert.Equal(HashEmpty, sums["model.bin"]);
    }

    [Fact]
    public void Parse_DotSlashPrefix_Removed()
    {
        var sums = Parse($"{HashA}  ./logs/train.log\n{HashEmpty} *./out/a.bin\n", out var problems);

        Assert.Empty(problems);
        Assert.Equal(new[] { "logs/train.log", "out/a.bin" }, sums.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_UpperCaseHex_AcceptedAndLowered()
    {
        var sums = Parse(HashA.ToUpperInvariant() + "  a.txt\n", out var problems);

        Assert.Empty(problems);
        Assert.Equal(HashA, sums["a.txt"]);
    }

    [Fact]
    public void Parse_CrlfAndBlankLines_Tolerated()
    {
        var sums = Parse($"\r\n{HashA}  a.txt\r\n\n{HashEmpty}  b.txt", out var problems);

        Assert.Empty(problems);
        Assert.Equal(HashA, sums["a.txt"]);
        Assert.Equal(HashEmpty, sums["b.txt"]);
    }

    [Theory]
    [InlineData(" lead", " lead")]
    [InlineData("two  spaces.txt", "two  spaces.txt")]
    [InlineData("*star", "*star")]
    public void Parse_NamesWithSpacesAndStars_KeptVerbatim(string written, string expected)
    {
        // The name is everything after the two-character separator, spaces and all.
        var sums = Parse($"{HashA}  {written}\n", out var problems);

        Assert.Empty(problems);
        Assert.Equal(expected, Assert.Single(sums).Key);
    }

    /// <summary>Lines exactly as coreutils 9.1's sha256sum printed them for awkward names.</summary>
    [Theory]
    [InlineData("\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  back\\\\slash", "back\\slash")]
    [InlineData("\\a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa  new\\nline", "new\nline")]
    [InlineData("\\594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06  a\\\\nb", "a\\nb")]
    [InlineData("\\594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06  x\\\\\\nz", "x\\\nz")]
    public void Parse_EscapedName_Unescaped(string line, string expectedName)
    {
        var sums = Parse(line + "\n", out var problems);

        Assert.Empty(problems);
        Assert.Equal(expectedName, Assert.Single(sums).Key);
    }

    [Fact]
    public void Parse_RealSha256sumOutput_EveryNameRoundTrips()
    {
        using var dir = new TempDir();
        var names = new[] { "plain.txt", "back\\slash", "new\nline", "a\\nb", " lead", "sp ace" };
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var content = Encoding.UTF8.GetBytes("content " + i);
            File.WriteAllBytes(Path.Combine(dir.Path, names[i]), content);
            expected[names[i]] = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        }

        var output = RunSha256sum(dir.Path, names);
        var sums = Parse(output, out var problems);

        Assert.Empty(problems);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), sums.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("not a checksum line", 1)]
    [InlineData("abc  short.txt", 1)]
    [InlineData(HashA + " x.txt", 1)] // one space and no '*'
    [InlineData(HashA + "\tx.txt", 1)]
    [InlineData(HashA + "  ", 1)]
    [InlineData("SHA256 (a.txt) = " + HashA, 1)]
    [InlineData("g" + "a978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.txt", 1)]
    [InlineData(HashEmpty + "  ok.txt\n\nbroken line", 3)]
    public void Parse_MalformedLine_ReportedWithLineNumber(string text, int lineNumber)
    {
        var sums = Parse(text, out var problems);

        var problem = Assert.Single(problems);
        Assert.Contains("SHA256SUMS", problem, StringComparison.Ordinal);
        Assert.Contains($"line {lineNumber}", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(sums.Keys, k => k.Contains("broken", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MalformedAmongGood_GoodLinesKept()
    {
        var sums = Parse($"{HashA}  a.txt\ngarbage\n{HashEmpty}  b.txt\n", out var problems);

        Assert.Single(problems);
        Assert.Equal(new[] { "a.txt", "b.txt" }, sums.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("", HashEmpty)]
    [InlineData("a", HashA)]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void HashFile_KnownContent_LowerCaseHex(string content, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("f.txt", content);

        Assert.Equal(expected, Sha256Sums.HashFile(path));
    }

    [Fact]
    public void HashFile_LargeBinaryFile_MatchesSha256()
    {
        using var dir = new TempDir();
        var bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(bytes);
        var path = Path.Combine(dir.Path, "big.bin");
        File.WriteAllBytes(path, bytes);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), Sha256Sums.HashFile(path));
    }

    [Fact]
    public void HashFile_AgreesWithSha256sum()
    {
        using var dir = new TempDir();
        var bytes = new byte[100_003];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(dir.Path, "r.bin"), bytes);

        var line = RunSha256sum(dir.Path, new[] { "r.bin" });

        Assert.Equal(line[..64], Sha256Sums.HashFile(Path.Combine(dir.Path, "r.bin")));
    }

    [Fact]
    public void Format_Entries_ParseBackToSameMap()
    {
        var text = Sha256Sums.Format(new[] { ("a.txt", HashA), ("sub/b.bin", HashEmpty) });

        Assert.Equal($"{HashA}  a.txt\n{HashEmpty}  sub/b.bin\n", text);
        var sums = Parse(text, out var problems);
        Assert.Empty(problems);
        Assert.Equal(HashEmpty, sums["sub/b.bin"]);
    }

    private static string RunSha256sum(string directory, IEnumerable<string> names)
    {
        var info = new ProcessStartInfo("sha256sum")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--");
        foreach (var name in names)
        {
            info.ArgumentList.Add(name);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "sha256sum did not finish");
        Assert.True(process.ExitCode == 0, "sha256sum failed: " + error);
        return output;
    }
}
