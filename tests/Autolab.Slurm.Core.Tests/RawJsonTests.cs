using Autolab.Slurm.Json;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "Output format": UTF-8 JSON laid out as Python's json.dumps(indent=2)
/// (2-space indent, ": " and "," separators, empty containers as {} / [], one item per line),
/// one trailing newline, no BOM; untouched values keep their exact text; key order kept; new keys last.
/// </summary>
public class RawJsonTests
{
    private static string RoundTrip(string text) => RawJson.Write(RawJson.Parse(text));

    [Fact]
    public void Write_CompactInput_UsesPythonIndent2Layout()
    {
        const string input = """{"a":1,"b":[1,"x"],"c":{},"d":[],"e":{"f":null,"g":true,"h":false},"i":[[],{}]}""";

        var expected =
            "{\n" +
            "  \"a\": 1,\n" +
            "  \"b\": [\n" +
            "    1,\n" +
            "    \"x\"\n" +
            "  ],\n" +
            "  \"c\": {},\n" +
            "  \"d\": [],\n" +
            "  \"e\": {\n" +
            "    \"f\": null,\n" +
            "    \"g\": true,\n" +
            "    \"h\": false\n" +
            "  },\n" +
            "  \"i\": [\n" +
            "    [],\n" +
            "    {}\n" +
            "  ]\n" +
            "}\n";

        Assert.Equal(expected, RoundTrip(input));
    }

    [Fact]
    public void Write_PythonLayoutInput_IsByteIdentical()
    {
        // What json.dumps(obj, indent=2, ensure_ascii=False) + "\n" would produce, with scalars whose
        // text a re-serialiser would normally change.
        var text =
            "{\n" +
            "  \"schema_version\": \"1.0\",\n" +
            "  \"lr\": 1.0,\n" +
            "  \"steps\": 1e3,\n" +
            "  \"tiny\": -2.50E-07,\n" +
            "  \"big\": 123456789012345678901234567890,\n" +
            "  \"escaped\": \"caf\\u00e9\",\n" +
            "  \"literal\": \"café ünï 日本 😀\",\n" +
            "  \"punct\": \"a+b<c>d&e'f\",\n" +
            "  \"slash\": \"a\\/b\",\n" +
            "  \"quote\": \"say \\\"hi\\\"\\n\",\n" +
            "  \"list\": [\n" +
            "    {\n" +
            "      \"k\": [\n" +
            "        1,\n" +
            "        2.0\n" +
            "      ]\n" +
            "    },\n" +
            "    null\n" +
            "  ],\n" +
            "  \"empty_obj\": {},\n" +
            "  \"empty_arr\": []\n" +
            "}\n";

        Assert.Equal(text, RoundTrip(text));
    }

    [Fact]
    public void Write_Output_EndsWithExactlyOneNewlineAndNoBomOrCarriageReturn()
    {
        var output = RoundTrip("\uFEFF{\r\n  \"a\": [1, 2]\r\n}\r\n\r\n");

        Assert.NotEqual('\uFEFF', output[0]);
        Assert.Equal('{', output[0]);
        Assert.EndsWith("}\n", output, StringComparison.Ordinal);
        Assert.False(output.EndsWith("\n\n", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', output);
    }

    [Fact]
    public void Parse_KeyOrder_IsKeptOnWrite()
    {
        const string input = """{"zeta": 1, "alpha": 2, "mid": {"z": 1, "a": 2}, "beta": 3}""";

        var root = Assert.IsType<RawObject>(RawJson.Parse(input));

        Assert.Equal(new[] { "zeta", "alpha", "mid", "beta" }, root.Properties.Select(p => p.Name));
        Assert.Equal(new[] { "z", "a" }, root.GetObject("mid")!.Properties.Select(p => p.Name));
        var output = RawJson.Write(root);
        Assert.True(output.IndexOf("\"zeta\"", StringComparison.Ordinal) < output.IndexOf("\"alpha\"", StringComparison.Ordinal));
        Assert.True(output.IndexOf("\"z\"", StringComparison.Ordinal) < output.IndexOf("\"a\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Set_ExistingKey_KeepsPositionAndNewKeyGoesLast()
    {
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"a": 1, "status": "submitted", "z": 2}"""));

        root.SetString("status", "running");
        root.SetString("new_key", "v");

        Assert.Equal(
            "{\n  \"a\": 1,\n  \"status\": \"running\",\n  \"z\": 2,\n  \"new_key\": \"v\"\n}\n",
            RawJson.Write(root));
    }

    [Fact]
    public void Parse_DuplicateKeys_LastValueIsTheValueAsInPython()
    {
        // Python's json.loads keeps the last of duplicate keys; autolab reads the file that way.
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"status": "running", "x": 1, "status": "failed"}"""));

        Assert.Equal("failed", root.GetString("status"));
    }

    [Fact]
    public void Set_DuplicateKeys_NewValueIsWhatAReaderSees()
    {
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"status": "running", "x": 1, "status": "failed"}"""));

        root.SetString("status", "synced");

        var reread = Assert.IsType<RawObject>(RawJson.Parse(RawJson.Write(root)));
        Assert.Equal("synced", reread.GetString("status"));
        using var independent = System.Text.Json.JsonDocument.Parse(RawJson.Write(root));
        var lastStatus = independent.RootElement.EnumerateObject().Last(p => p.Name == "status");
        Assert.Equal("synced", lastStatus.Value.GetString());
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1E+03")]
    [InlineData("-0")]
    [InlineData("0.10")]
    [InlineData("-2.50E-07")]
    [InlineData("123456789012345678901234567890")]
    [InlineData("\"caf\\u00e9\"")]
    [InlineData("\"\\u00E9\"")]
    [InlineData("\"café\"")]
    [InlineData("\"a\\/b\"")]
    [InlineData("\"a+b<c>d&e'f\"")]
    [InlineData("\"\\ud83d\\ude00\"")]
    [InlineData("\"😀\"")]
    [InlineData("\"tab\\there\"")]
    [InlineData("true")]
    [InlineData("null")]
    public void Write_UntouchedScalar_KeepsExactText(string scalarText)
    {
        var input = "{\"untouched\": " + scalarText + ", \"status\": \"submitted\"}";
        var root = Assert.IsType<RawObject>(RawJson.Parse(input));

        root.SetString("status", "running");

        Assert.Equal("{\n  \"untouched\": " + scalarText + ",\n  \"status\": \"running\"\n}\n", RawJson.Write(root));
    }

    [Fact]
    public void Parse_EscapedString_DecodesValueButKeepsText()
    {
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"k": "caf\u00e9 \ud83d\ude00 a\/b"}"""));

        var scalar = root.GetScalar("k")!;
        Assert.Equal("café 😀 a/b", scalar.StringValue);
        Assert.Equal("\"caf\\u00e9 \\ud83d\\ude00 a\\/b\"", scalar.Text);
    }

    [Fact]
    public void SetString_SameValueAsEscapedOriginal_KeepsOriginalEscapes()
    {
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"name": "caf\u00e9"}"""));

        root.SetString("name", "café");

        Assert.Equal("{\n  \"name\": \"caf\\u00e9\"\n}\n", RawJson.Write(root));
    }

    [Fact]
    public void SetScalar_SameIntegerAsFloatText_KeepsOriginalText()
    {
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"exit_code": 1.0}"""));

        root.SetScalar("exit_code", RawScalar.FromInt(1));

        Assert.Equal("{\n  \"exit_code\": 1.0\n}\n", RawJson.Write(root));
    }

    // Python json.dumps(ensure_ascii=False) escapes only '"', '\\' and control characters (< 0x20);
    // '/', DEL, U+2028 and everything non-ASCII stay literal.
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("café ünï 日本", "\"café ünï 日本\"")]
    [InlineData("😀", "\"😀\"")]
    [InlineData("a+b<c>d&e'f", "\"a+b<c>d&e'f\"")]
    [InlineData("a/b", "\"a/b\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("C:\\dir", "\"C:\\\\dir\"")]
    [InlineData("line1\nline2", "\"line1\\nline2\"")]
    [InlineData("cr\rtab\t", "\"cr\\rtab\\t\"")]
    [InlineData("bs\bff\f", "\"bs\\bff\\f\"")]
    [InlineData("\u0001\u001f", "\"\\u0001\\u001f\"")]
    [InlineData("del\u007f", "\"del\u007f\"")]
    [InlineData("ls\u2028", "\"ls\u2028\"")]
    public void SetString_NewValue_IsEscapedMinimallyLikePython(string value, string expectedToken)
    {
        var root = new RawObject();

        root.SetString("k", value);

        Assert.Equal("{\n  \"k\": " + expectedToken + "\n}\n", RawJson.Write(root));
        var reread = Assert.IsType<RawObject>(RawJson.Parse(RawJson.Write(root)));
        Assert.Equal(value, reread.GetString("k"));
    }

    [Fact]
    public void Set_NewKeyNeedingEscapes_KeyIsEscapedMinimally()
    {
        var root = new RawObject();

        root.SetString("é\"k", "v");

        Assert.Equal("{\n  \"é\\\"k\": \"v\"\n}\n", RawJson.Write(root));
    }

    // Line and column are 1-based, as Python's json.JSONDecodeError reports them.
    [Theory]
    [InlineData("{\n  \"a\": ,\n}", 2, 8)]
    [InlineData("{\"a\": 1,}", 1, 9)]
    [InlineData("[1, 2", 1, 6)]
    [InlineData("{\"a\": tru}", 1, 7)]
    [InlineData("", 1, 1)]
    [InlineData("{}\n{}", 2, 1)]
    [InlineData("{\r\n\"a\": x}", 2, 6)]
    [InlineData("{\n\n   \"a\" 1}", 3, 8)]
    public void Parse_InvalidJson_ThrowsWithLineAndColumn(string text, int line, int column)
    {
        var ex = Assert.Throws<RawJsonException>(() => RawJson.Parse(text));

        Assert.Equal(line, ex.Line);
        Assert.Equal(column, ex.Column);
        Assert.Contains($"line {line}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"column {column}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{'a': 1}")]
    [InlineData("{\"a\": 01}")]
    [InlineData("{\"a\": \"unterminated}")]
    [InlineData("{\"a\": \"bad \\x escape\"}")]
    [InlineData("{\"a\": \"raw\ncontrol\"}")]
    [InlineData("{\"a\": 1.}")]
    [InlineData("{\"a\": 1} trailing")]
    public void Parse_NotJson_Throws(string text)
    {
        Assert.Throws<RawJsonException>(() => RawJson.Parse(text));
    }

    [Fact]
    public void Parse_TopLevelArray_RoundTripsInPythonLayout()
    {
        var node = RawJson.Parse("""[1, {"a": []}, "x", []]""");

        var array = Assert.IsType<RawArray>(node);
        Assert.Equal(4, array.Items.Count);
        Assert.Equal(
            "[\n  1,\n  {\n    \"a\": []\n  },\n  \"x\",\n  []\n]\n",
            RawJson.Write(node));
    }

    [Fact]
    public void Parse_TopLevelEmptyContainers_WriteAsPythonDoes()
    {
        Assert.Equal("{}\n", RoundTrip("  {  }  "));
        Assert.Equal("[]\n", RoundTrip("[\n]"));
    }
}
