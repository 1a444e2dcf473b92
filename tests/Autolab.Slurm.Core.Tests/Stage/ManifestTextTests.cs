using System.Text.Json.Nodes;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.Stage.StageTestSupport;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>ManifestText: the raw manifest values the stage result shows (interface.md, HostMode, JobId).</summary>
public class ManifestTextTests
{
    [Fact]
    public void HostMode_LaunchManifest_HostModeValue()
    {
        Assert.Equal("slurm", ManifestText.HostMode(RunManifest("submitted", "pending")));
    }

    [Fact]
    public void HostMode_NoHostMode_FallsBackToLaunchMode()
    {
        var manifest = RunManifest("submitted", "pending", edit: m =>
        {
            m.Remove("host_mode");
            m["launch_mode"] = "slurm_interactive";
        });

        Assert.Equal("slurm_interactive", ManifestText.HostMode(manifest));
    }

    [Fact]
    public void HostMode_Neither_Null()
    {
        var manifest = RunManifest("submitted", "pending", edit: m =>
        {
            m.Remove("host_mode");
            m.Remove("launch_mode");
        });

        Assert.Null(ManifestText.HostMode(manifest));
    }

    [Fact]
    public void Get_EmptyOrMissing_Null()
    {
        var manifest = RunManifest("submitted", "pending", edit: m => m["job_id"] = "");

        Assert.Null(ManifestText.Get(manifest, "job_id"));
        Assert.Null(ManifestText.Get(manifest, "slurm", "state"));
        Assert.Equal("12345", ManifestText.Get(manifest, "slurm", "job_id"));
    }

    [Theory]
    [InlineData("{\"profile\": \"cluster\", \"mode\": \"git_checkout\"}", true)]
    [InlineData("{}", true)]
    [InlineData("\"cluster\"", false)]
    [InlineData("null", false)]
    public void HasRemoteExecution_Value_OnlyAnObjectCounts(string json, bool expected)
    {
        var manifest = RunManifest("submitted", "pending", edit: m => m["remote_execution"] = JsonNode.Parse(json));

        Assert.Equal(expected, ManifestText.HasRemoteExecution(manifest));
    }

    [Fact]
    public void HasRemoteExecution_Absent_False()
    {
        Assert.False(ManifestText.HasRemoteExecution(RunManifest("submitted", "pending")));
    }
}
