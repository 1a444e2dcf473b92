using Autolab.Slurm.Completion;
using Autolab.Slurm.Core.Tests.Slurm;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Execution;
using Xunit;
using Xunit.Abstractions;

namespace Autolab.Slurm.Core.Tests.Completion;

/// <summary>
/// What the argument completers list, without PowerShell: the user's jobs and the clusters from the real
/// scheduler (and canned answers in the real shape for what it cannot produce on demand: a hang, a failure),
/// ssh config Host aliases and the runs of a repository from real files.
/// </summary>
public sealed class ArgumentCompletionsTests
{
    // squeue --me --noheader --states=all --format=%i|%j|%T|%r as 22.05 prints it (a collapsed pending array, het
    // components, a name holding '|').
    private const string UserJobs = """
        838|autolab-bootstrap_iteration|CANCELLED|None
        896|held-tab|PENDING|JobHeldUser
        864+0|gsjs-het|CANCELLED|JobHeldUser
        864+1|gsjs-het|CANCELLED|JobHeldUser
        7_[0-2]|arr|PENDING|Priority
        1001|a|b|RUNNING|None
        """;

    // ----- jobs ---------------------------------------------------------------------------------------------

    [Fact]
    public void UserJobsCommand_ExactArguments_OwnJobsInEveryStateNoEnvironmentOverrides()
    {
        var spec = ArgumentCompletions.UserJobsCommand(null);

        Assert.Equal("squeue", spec.Program);
        Assert.Equal(new[] { "--me", "--noheader", "--states=all", "--format=%i|%j|%T|%r" }, spec.Arguments);
        Assert.Contains("SQUEUE_FORMAT", spec.UnsetVariables);
        Assert.Contains("SQUEUE_", spec.UnsetPrefixes);

        // Over ssh only the named variables are unset (env -u): a login node's SQUEUE_PARTITION, SQUEUE_QOS or
        // SQUEUE_NAMES would otherwise filter the user's jobs out of the completion list.
        foreach (var name in new[] { "SQUEUE_PARTITION", "SQUEUE_ACCOUNT", "SQUEUE_QOS", "SQUEUE_NAMES", "SQUEUE_LICENSES", "SQUEUE_FEDERATION", "SQUEUE_LOCAL", "SQUEUE_SIBLING" })
        {
            Assert.Contains(name, spec.UnsetVariables);
        }

        Assert.Contains("--clusters=beta", ArgumentCompletions.UserJobsCommand("beta").Arguments);
    }

    [Fact]
    public void Jobs_EmptyWord_EveryJobNewestFirstWithNameStateAndReason()
    {
        var runner = new CannedRunner(UserJobs);

        var items = ArgumentCompletions.Jobs(runner, null, string.Empty);

        Assert.Single(runner.Calls);
        Assert.Equal(new[] { "1001", "896", "864+0", "864+1", "838", "'7_[0-2]'" }, items.Select(i => i.Value));
        Assert.Equal("7_[0-2]", items[^1].ListItemText);
        Assert.Equal("896 held-tab (PENDING, JobHeldUser)", items[1].ToolTip);
        Assert.Equal("838 autolab-bootstrap_iteration (CANCELLED)", items[4].ToolTip);
        Assert.Equal("1001 a|b (RUNNING)", items[0].ToolTip);
    }

    [Theory]
    [InlineData("86", new[] { "864+0", "864+1" })]
    [InlineData("'89", new[] { "896" })]
    [InlineData("held", new[] { "896" })]
    [InlineData("GSJS", new[] { "864+0", "864+1" })]
    [InlineData("7_", new[] { "'7_[0-2]'" })]
    [InlineData("5", new string[0])]
    public void Jobs_Word_IdsStartingWithItThenJobsNamedSo(string word, string[] expected)
    {
        Assert.Equal(expected, ArgumentCompletions.Jobs(new CannedRunner(UserJobs), null, word).Select(i => i.Value));
    }

    [Fact]
    public void Jobs_Cluster_AskedWithClusters()
    {
        var runner = new CannedRunner(UserJobs);

        ArgumentCompletions.Jobs(runner, "autolab", string.Empty);

        Assert.Contains("--clusters=autolab", Assert.Single(runner.Calls).Spec.Arguments);
    }

    [Fact]
    public void Jobs_ClusterThatIsNoClusterName_NothingRunNothingListed()
    {
        var runner = new CannedRunner(UserJobs);

        Assert.Empty(ArgumentCompletions.Jobs(runner, "a;b", string.Empty));
        Assert.Empty(runner.Calls);
    }

    public static TheoryData<string, Func<CommandSpec, CommandResult>> SchedulerFailures => new()
    {
        { "squeue missing", _ => throw new CommandStartException("'squeue' was not found on PATH; is it installed?") },
        { "controller down", s => new CommandResult(1, string.Empty, "slurm_load_jobs error: Unable to contact slurm controller (connect failure)", TimeSpan.FromSeconds(9), s.Display) },
        { "hangs past the timeout", s => throw new CommandTimeoutException($"'{s.Display}' did not finish within 5 s and was killed.") },
        { "login node unreachable", _ => throw new AutolabException(ErrorIds.SshConnectionFailed, AutolabErrorCategory.ConnectionError, "Cannot connect") },
    };

    [Theory]
    [MemberData(nameof(SchedulerFailures))]
    public void Jobs_SchedulerCannotAnswer_NothingListedWithinTheCompletionTimeout(string why, Func<CommandSpec, CommandResult> answer)
    {
        var runner = new CannedRunner(answer);

        Assert.True(ArgumentCompletions.Jobs(runner, null, string.Empty).Count == 0, why);
        Assert.Equal(ArgumentCompletions.CommandTimeout, Assert.Single(runner.Calls).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), ArgumentCompletions.CommandTimeout);
    }

    // ----- clusters -----------------------------------------------------------------------------------------

    [Fact]
    public void Clusters_SacctmgrRows_NamesWithTheirController()
    {
        var runner = new CannedRunner("autolab|127.0.0.1|6817\nbeta||0\nautolab|127.0.0.1|6817\nnot a name||\n");

        var items = ArgumentCompletions.Clusters(runner, string.Empty);

        var spec = Assert.Single(runner.Calls).Spec;
        Assert.Equal(("sacctmgr", "--noheader --parsable2 list clusters format=Cluster,ControlHost,ControlPort"), (spec.Program, string.Join(' ', spec.Arguments)));
        Assert.Equal(new[] { "autolab", "beta" }, items.Select(i => i.Value));
        Assert.Equal("Slurm cluster autolab (controller 127.0.0.1:6817)", items[0].ToolTip);
        Assert.Equal("Slurm cluster beta", items[1].ToolTip);
        Assert.Equal(new[] { "beta" }, ArgumentCompletions.Clusters(runner, "B").Select(i => i.Value));
    }

    [Theory]
    [MemberData(nameof(SchedulerFailures))]
    public void Clusters_SacctmgrCannotAnswer_NothingListed(string why, Func<CommandSpec, CommandResult> answer)
    {
        Assert.True(ArgumentCompletions.Clusters(new CannedRunner(answer), string.Empty).Count == 0, why);
    }

    // ----- ssh config hosts ---------------------------------------------------------------------------------

    [Fact]
    public void SshHosts_Config_EveryAliasOnceInFileOrderPatternsLeftOut()
    {
        using var dir = new TempDir();
        var config = dir.Write("config", """
            # a comment
            Host login1 login2
                HostName login.cluster.example.org
                User jdoe
                Port 2200
            Host *.internal !bastion gpu?
                User other
            Host "quoted-alias"
            Host=bastion
                HostName 10.0.0.1
            Match host login1
                User nobody
            Host login1 LOGIN2 extra
            """);

        var items = ArgumentCompletions.SshHosts(config, string.Empty);

        Assert.Equal(new[] { "login1", "login2", "quoted-alias", "bastion", "extra" }, items.Select(i => i.Value));
        Assert.Equal($"login1: jdoe@login.cluster.example.org:2200 ({config})", items[0].ToolTip);
        Assert.Equal($"bastion: 10.0.0.1 ({config})", items[3].ToolTip);
        Assert.Equal(new[] { "login1", "login2" }, ArgumentCompletions.SshHosts(config, "LOG").Select(i => i.Value));
    }

    [Fact]
    public void SshHosts_NoConfigFile_NothingListed()
    {
        using var dir = new TempDir();

        Assert.Empty(ArgumentCompletions.SshHosts(dir.Combine("no-such-config"), string.Empty));
    }

    // ----- runs of a repository -----------------------------------------------------------------------------

    [Fact]
    public void RunIds_Repository_StateRunsFirstThenNewestNameFirstEachOnce()
    {
        using var dir = new TempDir();
        foreach (var run in new[] { "plan/iter2/runs/run_001", "plan/iter2/runs/run_003", "done/iter1/runs/run_001", "done/iter1/runs/run_002", "plan/iter2/runs/.hidden" })
        {
            Directory.CreateDirectory(dir.Combine("experiments", run));
        }

        Directory.CreateDirectory(dir.Combine("experiments", "plan", "iter2", "notes", "runs", "not_a_run"));
        dir.Write(".autolab/state.json", """{"iteration_id": "iter2", "pending_run_id": "run_002", "last_run_id": "run_001"}""");

        var items = ArgumentCompletions.RunIds(dir.Path, string.Empty);

        Assert.Equal(new[] { "run_002", "run_001", "run_003" }, items.Select(i => i.Value));
        Assert.Equal("experiments/done/iter1/runs/run_002 (the state's pending_run_id)", items[0].ToolTip);
        Assert.Equal("experiments/done/iter1/runs/run_001, experiments/plan/iter2/runs/run_001 (the state's last_run_id)", items[1].ToolTip);
        Assert.Equal("experiments/plan/iter2/runs/run_003", items[2].ToolTip);
        Assert.Equal(new[] { "run_003" }, ArgumentCompletions.RunIds(dir.Path, "run_003").Select(i => i.Value));
    }

    [Fact]
    public void RunIds_LocationInsideTheRepository_TheRepositorysRuns()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("experiments", "plan", "iter1", "runs", "run_001"));
        Directory.CreateDirectory(dir.Combine(".autolab"));

        var items = ArgumentCompletions.RunIds(dir.Combine("experiments", "plan"), string.Empty);

        Assert.Equal(new[] { "run_001" }, items.Select(i => i.Value));
    }

    [Fact]
    public void RunIds_BrokenStateOrNoExperiments_NoFailure()
    {
        using var dir = new TempDir();
        Assert.Empty(ArgumentCompletions.RunIds(dir.Path, string.Empty));

        Directory.CreateDirectory(dir.Combine("experiments", "plan", "iter1", "runs", "run 1"));
        dir.Write(".autolab/state.json", "{ not json");

        var item = Assert.Single(ArgumentCompletions.RunIds(dir.Path, string.Empty));
        Assert.Equal(("'run 1'", "run 1"), (item.Value, item.ListItemText));
    }

    /// <summary>Answers every command the same way and records it (squeue and sacctmgr in the real shape).</summary>
    private sealed class CannedRunner(Func<CommandSpec, CommandResult> answer) : ICommandRunner
    {
        public CannedRunner(string stdout)
            : this(s => new CommandResult(0, stdout.Replace("\r", string.Empty, StringComparison.Ordinal), string.Empty, TimeSpan.FromMilliseconds(5), s.Display))
        {
        }

        public List<(CommandSpec Spec, TimeSpan Timeout)> Calls { get; } = new();

        public string Location => "canned";

        public CommandResult Run(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Calls.Add((command, timeout));
            return answer(command);
        }
    }
}

/// <summary>The user's jobs and the clusters, from the real scheduler of the test bed.</summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArgumentCompletionsLiveTests(ITestOutputHelper output) : IDisposable
{
    private readonly LiveCluster _cluster = new(output);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void Jobs_RealSqueue_ListsTheUsersHeldJobWithItsNameStateAndReason()
    {
        var id = _cluster.SubmitWrap("complete", "true", "--hold");

        var item = Assert.Single(ArgumentCompletions.Jobs(LocalCommandRunner.Instance, null, id), i => i.Value == id);

        Assert.Equal($"{id} {_cluster.NameOf(id)} (PENDING, JobHeldUser)", item.ToolTip);
    }

    [Fact]
    public void Clusters_RealSacctmgr_TheTestbedsCluster()
    {
        var item = Assert.Single(ArgumentCompletions.Clusters(LocalCommandRunner.Instance, "autolab"), i => i.Value == "autolab");

        Assert.StartsWith("Slurm cluster autolab (controller ", item.ToolTip, StringComparison.Ordinal);
    }
}
