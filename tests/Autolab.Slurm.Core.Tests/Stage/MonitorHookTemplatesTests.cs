using Autolab.Slurm.Errors;
using Autolab.Slurm.Stage;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// The templates Set-SlurmMonitorHook writes into .autolab/verifier_policy.yaml: planned on the file, read back
/// as autolab reads them, and written under the policy's lock on the file as it is then.
/// </summary>
public sealed class MonitorHookTemplatesTests : IDisposable
{
    private const string Policy = "slurm:\n  monitor:\n    poll_command_template: \"\"\n    poll_timeout_seconds: 30\n    sync_command_template: \"\"\n";

    private readonly TempDir _repo = new();

    public void Dispose() => _repo.Dispose();

    private static string Template(string hook) => MonitorHookTemplates.Build(new[] { "/opt/pwsh/pwsh" }, "/opt/mod/bin/slurm-monitor.ps1", hook);

    [Fact]
    public void Plan_ScaffoldShape_BothTemplatesReadBackAndNothingWritten()
    {
        var policy = _repo.Write(".autolab/verifier_policy.yaml", Policy);

        var (settings, text) = MonitorHookTemplates.Plan(policy, Template("Poll"), Template("Sync"));

        Assert.True(settings.Changed);
        Assert.Equal("/opt/pwsh/pwsh -NoProfile -NonInteractive -File /opt/mod/bin/slurm-monitor.ps1 -Hook Poll -RunDirectory {run_dir} -RepositoryRoot {repo_root}", settings.PollCommandTemplate);
        Assert.Equal(Template("Sync"), settings.SyncCommandTemplate);
        Assert.Contains("poll_timeout_seconds: 30", text, StringComparison.Ordinal);
        Assert.Equal(Policy, File.ReadAllText(policy));
    }

    [Fact]
    public void WritePolicy_FileEditedSinceThePlan_TheEditIsKept()
    {
        var policy = _repo.Write(".autolab/verifier_policy.yaml", Policy);
        Assert.True(MonitorHookTemplates.Plan(policy, Template("Poll"), Template("Sync")).Settings.Changed);

        // Someone (autolab, an editor) changes the file between the plan and the write.
        File.WriteAllText(policy, "# edited meanwhile\n" + Policy.Replace("poll_timeout_seconds: 30", "poll_timeout_seconds: 45", StringComparison.Ordinal));
        MonitorHookTemplates.WritePolicy(_repo.Path, Template("Poll"), Template("Sync"), force: false, CancellationToken.None);

        var written = File.ReadAllText(policy);
        Assert.StartsWith("# edited meanwhile\n", written, StringComparison.Ordinal);
        Assert.Contains("poll_timeout_seconds: 45", written, StringComparison.Ordinal);
        var again = MonitorHookTemplates.Plan(policy, Template("Poll"), Template("Sync")).Settings;
        Assert.False(again.Changed);
        Assert.Equal(Template("Poll"), again.PollCommandTemplate);
    }

    [Fact]
    public void Build_PathWithShellCharacter_HookInvalid()
    {
        var ex = Assert.Throws<AutolabException>(() => MonitorHookTemplates.Build(new[] { "/opt/p;wsh" }, "/x.ps1", "Poll"));

        Assert.Equal(ErrorIds.HookInvalid, ex.ErrorId);
    }
}
