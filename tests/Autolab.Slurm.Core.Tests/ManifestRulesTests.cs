using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "What the monitor writes": the one SLURM detection rule, and the two job id
/// orders (polling: job_id, slurm.job_id, resource_request.job_id, resource_request.slurm.job_id;
/// ledger: slurm.job_id, resource_request.slurm.job_id, resource_request.job_id, job_id).
/// </summary>
public class ManifestRulesTests
{
    private static RawObject Obj(string json) => Assert.IsType<RawObject>(RawJson.Parse(json));

    /// <summary>Builds {"a": {"b": value}} for the path "a.b".</summary>
    private static RawObject AtPath(string dottedPath, string valueJson)
    {
        var keys = dottedPath.Split('.');
        var json = valueJson;
        for (var i = keys.Length - 1; i >= 0; i--)
        {
            json = "{\"" + keys[i] + "\": " + json + "}";
        }

        return Obj(json);
    }

    public static TheoryData<string, string> ModePathsAndWords()
    {
        var data = new TheoryData<string, string>();
        string[] paths =
        {
            "host_mode", "launch_mode", "location", "detected_host_mode",
            "launch.mode", "host.mode", "resource_request.mode", "resource_request.location",
        };
        string[] words = { "slurm", "SLURM", "Slurm", "slurm_interactive", "SLURM_INTERACTIVE", "Slurm_Interactive", "  slurm  " };
        foreach (var path in paths)
        {
            foreach (var word in words)
            {
                data.Add(path, word);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModePathsAndWords))]
    public void IsSlurmRun_ModePathSaysSlurm_IsTrue(string path, string word)
    {
        var manifest = AtPath(path, "\"" + word + "\"");

        Assert.True(ManifestRules.IsSlurmRun(manifest));
    }

    [Theory]
    [InlineData("host_mode", "\"local\"")]
    [InlineData("host_mode", "\"slurmx\"")]
    [InlineData("host_mode", "\"slurm-interactive\"")]
    [InlineData("host_mode", "\"\"")]
    [InlineData("host_mode", "null")]
    [InlineData("host_mode", "true")]
    [InlineData("launch_mode", "\"remote\"")]
    [InlineData("mode", "\"slurm\"")]
    [InlineData("slurm_mode", "\"slurm\"")]
    [InlineData("launch.host_mode", "\"slurm\"")]
    [InlineData("resource_request.host_mode", "\"slurm\"")]
    public void IsSlurmRun_NoRuleMatches_IsFalse(string path, string valueJson)
    {
        var manifest = AtPath(path, valueJson);

        Assert.False(ManifestRules.IsSlurmRun(manifest));
    }

    [Theory]
    [InlineData("""{"host_mode": "local", "slurm": {"job_id": "1"}}""", true)]
    [InlineData("""{"host_mode": "local", "slurm": {"partition": "gpu"}}""", true)]
    [InlineData("""{"host_mode": "local", "resource_request": {"slurm": {"job_id": "1"}}}""", true)]
    [InlineData("""{"host_mode": "local", "resource_request": {"slurm": {"mode": "local"}}}""", true)]
    [InlineData("""{"host_mode": "local", "slurm": {}}""", false)]
    [InlineData("""{"host_mode": "local", "resource_request": {"slurm": {}}}""", false)]
    [InlineData("""{"host_mode": "local", "slurm": {}, "resource_request": {"slurm": {}}}""", false)]
    [InlineData("""{"host_mode": "local", "slurm": "12345"}""", false)]
    [InlineData("""{"host_mode": "local", "slurm": ["12345"]}""", false)]
    [InlineData("""{"host_mode": "local", "slurm": null}""", false)]
    [InlineData("""{}""", false)]
    [InlineData("""{"host_mode": "local", "launch": "slurm", "host": "slurm"}""", false)]
    public void IsSlurmRun_SlurmObjects_OnlyNonEmptyObjectsCount(string json, bool expected)
    {
        Assert.Equal(expected, ManifestRules.IsSlurmRun(Obj(json)));
    }

    [Fact]
    public void IsSlurmRun_LaunchManifest_IsTrueThroughTheDocumentToo()
    {
        var document = RunManifestDocument.Parse("/x/run_manifest.json", TestManifests.LaunchJson);

        Assert.True(document.IsSlurmRun);
    }

    // A manifest that disagrees with itself: each location holds a different id.
    // Columns: which locations are present (job_id, slurm.job_id, resource_request.job_id,
    // resource_request.slurm.job_id), then the poll id and the ledger id the contract's orders give.
    [Theory]
    [InlineData(true, true, true, true, "1", "2")]
    [InlineData(false, true, true, true, "2", "2")]
    [InlineData(true, false, true, true, "1", "4")]
    [InlineData(true, true, false, false, "1", "2")]
    [InlineData(false, false, true, true, "3", "4")]
    [InlineData(true, false, true, false, "1", "3")]
    [InlineData(true, false, false, false, "1", "1")]
    [InlineData(false, true, false, false, "2", "2")]
    [InlineData(false, false, true, false, "3", "3")]
    [InlineData(false, false, false, true, "4", "4")]
    [InlineData(true, false, false, true, "1", "4")]
    [InlineData(false, true, true, false, "2", "2")]
    public void JobIdOrders_ManifestDisagreeingWithItself_PollAndLedgerFollowTheirOwnOrder(
        bool top, bool slurm, bool request, bool requestSlurm, string pollId, string ledgerId)
    {
        var parts = new List<string> { "\"host_mode\": \"slurm\"" };
        if (top)
        {
            parts.Add("\"job_id\": \"1\"");
        }

        if (slurm)
        {
            parts.Add("\"slurm\": {\"job_id\": \"2\"}");
        }

        var requestParts = new List<string>();
        if (request)
        {
            requestParts.Add("\"job_id\": \"3\"");
        }

        if (requestSlurm)
        {
            requestParts.Add("\"slurm\": {\"job_id\": \"4\"}");
        }

        parts.Add("\"resource_request\": {" + string.Join(", ", requestParts) + "}");
        var manifest = Obj("{" + string.Join(", ", parts) + "}");

        Assert.Equal(pollId, ManifestRules.PollJobId(manifest));
        Assert.Equal(ledgerId, ManifestRules.LedgerJobId(manifest));
    }

    [Fact]
    public void JobIdOrders_NoIdAnywhere_AreNull()
    {
        var manifest = Obj("""{"host_mode": "slurm", "slurm": {"partition": "gpu"}, "resource_request": {"cpus": 1}}""");

        Assert.Null(ManifestRules.PollJobId(manifest));
        Assert.Null(ManifestRules.LedgerJobId(manifest));
    }

    [Theory]
    [InlineData("""{"job_id": 12345}""", "12345")]
    [InlineData("""{"slurm": {"job_id": 777}}""", "777")]
    [InlineData("""{"resource_request": {"slurm": {"job_id": 4242}}}""", "4242")]
    [InlineData("""{"job_id": "  12345 \t"}""", "12345")]
    [InlineData("""{"slurm": {"job_id": " 123_4 "}}""", "123_4")]
    [InlineData("""{"job_id": "", "slurm": {"job_id": "55"}}""", "55")]
    [InlineData("""{"job_id": "   ", "slurm": {"job_id": "56"}}""", "56")]
    [InlineData("""{"job_id": null, "resource_request": {"job_id": "57"}}""", "57")]
    public void PollJobId_NumbersAndWhitespace_AreTextTrimmed(string json, string expected)
    {
        Assert.Equal(expected, ManifestRules.PollJobId(Obj(json)));
    }

    [Theory]
    [InlineData("""{"job_id": 12345}""", "12345")]
    [InlineData("""{"slurm": {"job_id": 777}, "job_id": "1"}""", "777")]
    [InlineData("""{"slurm": {"job_id": "  88  "}, "job_id": "1"}""", "88")]
    [InlineData("""{"slurm": {"job_id": ""}, "resource_request": {"slurm": {"job_id": "9"}}}""", "9")]
    [InlineData("""{"slurm": {"job_id": " "}, "resource_request": {"job_id": 10}}""", "10")]
    public void LedgerJobId_NumbersAndWhitespace_AreTextTrimmed(string json, string expected)
    {
        Assert.Equal(expected, ManifestRules.LedgerJobId(Obj(json)));
    }

    [Fact]
    public void Document_DisagreeingManifest_ExposesBothOrders()
    {
        const string json = """
            {"host_mode": "slurm", "job_id": "100", "slurm": {"job_id": "200"},
             "resource_request": {"job_id": "300", "slurm": {"job_id": "400"}}}
            """;

        var document = RunManifestDocument.Parse("/x/run_manifest.json", json);

        Assert.Equal("100", document.PollJobId);
        Assert.Equal("200", document.LedgerJobId);
    }
}
