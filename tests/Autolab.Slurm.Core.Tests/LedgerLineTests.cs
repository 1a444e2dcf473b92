using System.Text.Json.Nodes;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "docs/slurm_job_list.md (the ledger)": the exact line, the date precedence,
/// the ledger job id order, the status word, and the JobIdMissing / LedgerDateMissing errors.
/// </summary>
public class LedgerLineTests
{
    private const string ManifestPath = "/repo/experiments/plan/iter1/runs/run_001/run_manifest.json";

    private static RunManifestDocument Doc(JsonObject manifest) =>
        RunManifestDocument.Parse(ManifestPath, TestManifests.ToText(manifest));

    /// <summary>A SLURM manifest with no date anywhere, so each test adds exactly the candidates it names.</summary>
    private static JsonObject Undated()
    {
        var manifest = TestManifests.Launch();
        manifest.Remove("started_at");
        manifest["timestamps"] = new JsonObject();
        return manifest;
    }

    [Fact]
    public void Build_LaunchManifest_GivesTheExactLine()
    {
        var fields = LedgerLine.Build(RunManifestDocument.Parse(ManifestPath, TestManifests.LaunchJson));

        Assert.Equal("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted", fields.Line);
        Assert.Equal("2026-01-01", fields.Date);
        Assert.Equal("12345", fields.JobId);
        Assert.Equal("iter1", fields.IterationId);
        Assert.Equal("run_001", fields.RunId);
        Assert.Equal("submitted", fields.Status);
    }

    // Each row: the candidates present (key=value; "rid" sets the run id) and the expected date.
    // The order is timestamp_utc, launch_snapshot.launched_at_utc, started_at, created_at, timestamp,
    // then timestamps.started_at, then the run id's YYYYMMDDTHHMMSSZ stamp.
    [Theory]
    [InlineData("2026-02-01", "timestamp_utc=2026-02-01T00:00:00Z", "launch=2026-02-02T00:00:00Z", "started_at=2026-02-03T00:00:00Z", "created_at=2026-02-04T00:00:00Z", "timestamp=2026-02-05T00:00:00Z", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-02", "launch=2026-02-02T00:00:00Z", "started_at=2026-02-03T00:00:00Z", "created_at=2026-02-04T00:00:00Z", "timestamp=2026-02-05T00:00:00Z", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-03", "started_at=2026-02-03T00:00:00Z", "created_at=2026-02-04T00:00:00Z", "timestamp=2026-02-05T00:00:00Z", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-04", "created_at=2026-02-04T00:00:00Z", "timestamp=2026-02-05T00:00:00Z", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-05", "timestamp=2026-02-05T00:00:00Z", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-06", "ts.started_at=2026-02-06T00:00:00Z", "rid=run_20260207T000000Z")]
    [InlineData("2026-02-07", "rid=run_20260207T000000Z")]
    // The value order in the file does not matter, only the key precedence.
    [InlineData("2026-02-01", "timestamp=2026-02-05T00:00:00Z", "started_at=2026-02-03T00:00:00Z", "timestamp_utc=2026-02-01T00:00:00Z")]
    // Unparseable values are skipped.
    [InlineData("2026-02-03", "timestamp_utc=soon", "launch=unknown", "started_at=2026-02-03T00:00:00Z")]
    [InlineData("2026-02-05", "timestamp_utc=", "started_at=   ", "created_at=n/a", "timestamp=2026-02-05")]
    [InlineData("2026-02-06", "started_at=yesterday", "ts.started_at=2026-02-06T10:00:00Z")]
    [InlineData("2026-02-07", "started_at=later", "ts.started_at=garbage", "rid=run_20260207T000000Z")]
    // A 20YY-MM-DD prefix wins over the time zone (see TimestampsTests for the reading).
    [InlineData("2026-01-01", "started_at=2026-01-01T23:30:00-05:00")]
    // A value without that prefix is parsed as ISO and gives its UTC date.
    [InlineData("2026-01-02", "started_at=20260101T233000-05:00")]
    [InlineData("2000-01-01", "timestamp_utc=1999-12-31T23:30:00-05:00", "started_at=2026-02-03T00:00:00Z")]
    public void DeriveDate_Candidates_FollowContractPrecedence(string expected, params string[] candidates)
    {
        var manifest = Undated();
        foreach (var candidate in candidates)
        {
            var eq = candidate.IndexOf('=', StringComparison.Ordinal);
            var key = candidate[..eq];
            var value = candidate[(eq + 1)..];
            switch (key)
            {
                case "launch":
                    manifest["launch_snapshot"] = new JsonObject { ["launched_at_utc"] = value };
                    break;
                case "ts.started_at":
                    manifest["timestamps"]!["started_at"] = value;
                    break;
                case "rid":
                    manifest["run_id"] = value;
                    break;
                default:
                    manifest[key] = value;
                    break;
            }
        }

        var document = Doc(manifest);

        Assert.Equal(expected, LedgerLine.DeriveDate(document.Root));
        Assert.Equal(expected, LedgerLine.Build(document).Date);
    }

    [Fact]
    public void DeriveDate_LaunchSnapshotNotAnObject_IsSkipped()
    {
        var manifest = Undated();
        manifest["launch_snapshot"] = "2026-05-05T00:00:00Z";
        manifest["created_at"] = "2026-05-06T00:00:00Z";

        Assert.Equal("2026-05-06", LedgerLine.DeriveDate(Doc(manifest).Root));
    }

    [Fact]
    public void Build_NoDateAnywhere_ThrowsLedgerDateMissingNamingTheFile()
    {
        var manifest = Undated();
        manifest["started_at"] = "not a date";

        var ex = Assert.Throws<AutolabException>(() => LedgerLine.Build(Doc(manifest)));

        Assert.Equal(ErrorIds.LedgerDateMissing, ex.ErrorId);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SlurmManifestWithoutJobId_ThrowsJobIdMissingNamingTheFile()
    {
        var manifest = TestManifests.Launch();
        manifest.Remove("job_id");
        manifest["slurm"] = new JsonObject { ["partition"] = "gpu" };
        manifest["resource_request"] = new JsonObject { ["cpus"] = 1 };

        var ex = Assert.Throws<AutolabException>(() => LedgerLine.Build(Doc(manifest)));

        Assert.Equal(ErrorIds.JobIdMissing, ex.ErrorId);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DisagreeingJobIds_UsesTheLedgerOrder()
    {
        var manifest = TestManifests.Launch();
        manifest["job_id"] = "111";
        manifest["slurm"] = new JsonObject { ["job_id"] = "222" };
        manifest["resource_request"] = new JsonObject { ["job_id"] = "333", ["slurm"] = new JsonObject { ["job_id"] = "444" } };

        Assert.Equal("222", LedgerLine.Build(Doc(manifest)).JobId);

        manifest.Remove("slurm");
        Assert.Equal("444", LedgerLine.Build(Doc(manifest)).JobId);

        ((JsonObject)manifest["resource_request"]!).Remove("slurm");
        Assert.Equal("333", LedgerLine.Build(Doc(manifest)).JobId);
    }

    [Theory]
    [InlineData(null, "unknown")]
    [InlineData("running", "running")]
    [InlineData("synced", "synced")]
    [InlineData("failed", "failed")]
    [InlineData("queued", "queued")]
    public void Build_Status_IsTheManifestStatusOrUnknown(string? status, string expected)
    {
        var manifest = TestManifests.Launch();
        if (status is null)
        {
            manifest.Remove("status");
        }
        else
        {
            manifest["status"] = status;
        }

        var fields = LedgerLine.Build(Doc(manifest));

        Assert.Equal(expected, fields.Status);
        Assert.EndsWith(" | status=" + expected, fields.Line, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NullStatus_IsUnknown()
    {
        var manifest = TestManifests.Launch();
        manifest["status"] = null;

        Assert.Equal("unknown", LedgerLine.Build(Doc(manifest)).Status);
    }

    [Fact]
    public void Build_NumericJobId_IsWrittenAsText()
    {
        var manifest = TestManifests.Launch();
        manifest["slurm"] = new JsonObject { ["job_id"] = 98765 };

        Assert.Equal("- 2026-01-01 | job_id=98765 | iteration_id=iter1 | run_id=run_001 | status=submitted", LedgerLine.Build(Doc(manifest)).Line);
    }

    [Fact]
    public void DeriveDate_EastOffsetWithDatePrefix_KeepsThePrefixNotTheUtcDate()
    {
        // UTC is 2026-07-07T20:10:11Z, but the value starts with 20YY-MM-DD, so that prefix is the date.
        var root = Assert.IsType<RawObject>(RawJson.Parse("""{"created_at": "2026-07-08T05:10:11+09:00"}"""));

        Assert.Equal("2026-07-08", LedgerLine.DeriveDate(root));
    }
}
