using System.Diagnostics;
using Autolab.Slurm.Common;
using Autolab.Slurm.Models;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Slurm;
using Xunit;
using Xunit.Abstractions;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// SlurmJobQuery with the real LocalCommandRunner against the real one-node cluster (tests/infra). Other suites
/// use the same cluster at the same time: nothing here assumes an idle cluster or fixed job ids, every wait has
/// a timeout, and every job submitted is cancelled in Dispose.
/// </summary>
[Trait("Category", "Cluster")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LiveClusterTests : IDisposable
{
    private readonly LiveCluster _cluster;

    public LiveClusterTests(ITestOutputHelper output) => _cluster = new LiveCluster(output);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void Query_HeldJob_PendingJobHeldUser()
    {
        var id = _cluster.SubmitWrap("hold", "true", "--hold");

        var job = _cluster.Poll(id, s => s.Status == JobStatus.Pending && s.Reason == "JobHeldUser", "pending with reason JobHeldUser");

        Assert.Equal(("PENDING", "pending", false), (job.State, job.Status, job.IsTerminal));
        Assert.Equal(id, job.JobId);
        Assert.Null(job.StartTime);
        Assert.Null(job.EndTime);
        Assert.Empty(job.Tasks);
        Assert.Equal(("autolab", "debug"), (job.Cluster, job.Partition));
        Assert.Equal(0, job.Restarts);
    }

    [Fact]
    public void Query_SleepingJob_Running()
    {
        var id = _cluster.SubmitWrap("run", "sleep 120");

        var job = _cluster.Poll(id, s => s.Status == JobStatus.Running, "running");

        Assert.Equal(("RUNNING", false), (job.State, job.IsTerminal));
        Assert.Equal(LiveCluster.NodeName, job.NodeList);
        Assert.NotNull(job.StartTime);
        Assert.Null(job.EndTime);
        Assert.Equal(0, job.Restarts);
    }

    [Fact]
    public void Query_TrueJob_Completed()
    {
        var id = _cluster.SubmitWrap("ok", "true");

        // sacct's placeholder row (JobName "allocation") can come first: wait for the real row's name.
        var job = _cluster.Poll(id, s => s.Status == JobStatus.Completed && s.Source == JobSource.Sacct && s.Name == _cluster.NameOf(id), "completed according to sacct");

        Assert.Equal(("COMPLETED", "COMPLETED", true), (job.State, job.RawState, job.IsTerminal));
        Assert.Equal((0, 0), (job.ExitCode!.Value, job.Signal!.Value));
        Assert.Equal("debug", job.Partition);
        Assert.NotNull(job.StartTime);
        Assert.NotNull(job.EndTime);
        Assert.True(job.EndTime >= job.StartTime);
        Assert.NotNull(job.Elapsed);
        Assert.Equal(LiveCluster.NodeName, job.NodeList);
    }

    [Fact]
    public void Query_Exit3Job_FailedWithExitCode3()
    {
        var id = _cluster.SubmitWrap("bad", "exit 3");

        var job = _cluster.Poll(id, s => s.Status == JobStatus.Failed && s.ExitCode is not null, "failed with an exit code from sacct");

        Assert.Equal(("FAILED", true), (job.State, job.IsTerminal));
        Assert.Equal((3, 0), (job.ExitCode!.Value, job.Signal!.Value));
    }

    [Fact]
    public void Query_ScancelledRunningJob_CancelledByRoot()
    {
        var id = _cluster.SubmitWrap("cnl", "sleep 120");
        _cluster.Poll(id, s => s.Status == JobStatus.Running, "running");

        _cluster.Command("scancel", id);
        var job = _cluster.Poll(id, s => s.RawState == "CANCELLED by 0", "RawState 'CANCELLED by 0' (sacct)");

        Assert.Equal(("CANCELLED", "failed", true), (job.State, job.Status, job.IsTerminal));
    }

    [Fact]
    public void Query_Array_ParentAggregatedAndTasksAnswerAlone()
    {
        var id = _cluster.SubmitWrap("arr", "true", "--array=0-2");

        var parent = _cluster.Poll(id, s => s.Status == JobStatus.Completed && s.Tasks.Count == 3, "completed with its 3 tasks");

        Assert.Equal(("COMPLETED", true), (parent.State, parent.IsTerminal));
        Assert.Equal(new[] { id + "_0", id + "_1", id + "_2" }, parent.Tasks.Select(t => t.JobId));
        Assert.All(parent.Tasks, t => Assert.Equal("completed", t.Status));
        var task = _cluster.Poll(id + "_1", s => s.Status == JobStatus.Completed, "task 1 completed");
        Assert.Equal((id + "_1", 0), (task.JobId, task.Tasks.Count));
        var range = _cluster.Query(id + "_[0-2]");
        Assert.Equal(new[] { id + "_0", id + "_1", id + "_2" }, range.States.Select(s => s.State.JobId));
        Assert.All(range.States, s => Assert.Equal("completed", s.State.Status));
    }

    [Fact]
    public void Query_ArrayWhoseLastTaskEndsFirst_NeverCompletedWhileOtherTasksRun()
    {
        // The last task holds the parent's raw id; when it ends first, sacct briefly prints one placeholder row
        // "<id>|<id>|allocation|COMPLETED" for the whole array while tasks 0 and 1 still run.
        // Tasks 0 and 1 run until the test opens their gate (not a sleep, which a loaded machine could outlast).
        var gate = Path.Combine(Path.GetTempPath(), "axu-gate-" + Guid.NewGuid().ToString("N")[..8]);
        var id = _cluster.SubmitWrap("arr-long", $"if [ \"$SLURM_ARRAY_TASK_ID\" = 2 ]; then true; else while [ ! -e {gate} ]; do sleep 1; done; fi", "--array=0-2");
        var answers = new List<SlurmJobState>();
        try
        {
            _cluster.Poll(id + "_2", s => s.Status == JobStatus.Completed, "task 2 completed");
            _cluster.Poll(id + "_0", s => s.Status == JobStatus.Running, "task 0 running");
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                answers.Add(Assert.Single(_cluster.Query(id).States).State);
                Thread.Sleep(300);
            }
        }
        finally
        {
            File.WriteAllText(gate, string.Empty);
        }

        var wrong = answers.Where(a => a.IsTerminal || a.Status != JobStatus.Running).Select(a => $"{a.Status}/{a.State}/{a.Tasks.Count} tasks").Distinct().ToList();
        Assert.True(wrong.Count == 0, $"{answers.Count} answers in 10 s while tasks 0-1 ran; not 'running': {string.Join(", ", wrong)}");
    }

    [Fact]
    public void Query_IdNobodyHas_Unknown()
    {
        var result = _cluster.Query("999999999");

        var job = Assert.Single(result.States).State;
        Assert.Empty(result.Failures);
        Assert.Equal(("999999999", "UNKNOWN", "unknown", false, JobSource.None), (job.JobId, job.State, job.Status, job.IsTerminal, job.Source));
        Assert.Equal(1, result.SqueueCalls);
    }

    [Fact]
    public void Query_SuspendedJob_RunningStatus()
    {
        var id = _cluster.SubmitWrap("sus", "sleep 120");
        _cluster.Poll(id, s => s.Status == JobStatus.Running, "running");

        _cluster.Command("scontrol", "suspend", id);
        var job = _cluster.Poll(id, s => s.State == "SUSPENDED", "SUSPENDED");

        Assert.Equal(("running", false), (job.Status, job.IsTerminal));
    }

    [Fact]
    public void Query_RequeuedJob_RestartCounted()
    {
        var id = _cluster.SubmitWrap("rq", "sleep 120");
        _cluster.Poll(id, s => s.Status == JobStatus.Running, "running");

        _cluster.Command("scontrol", "requeue", id);
        var job = _cluster.Poll(id, s => s.Restarts >= 1, "a restart count of 1 or more");

        Assert.Contains(job.Status, new[] { "pending", "running" });
        Assert.False(job.IsTerminal);
    }

    [Fact]
    public void Query_HetJobOnOneNode_PendingWithTwoComponents()
    {
        var id = _cluster.Submit("het", "-c", "1", "--time=2", "--wrap", "sleep 20", ":", "-c", "1", "--time=2", "--wrap", "sleep 20");

        var job = _cluster.Poll(id, s => s.Tasks.Count == 2, "two components");

        Assert.Equal(("pending", false), (job.Status, job.IsTerminal));
        Assert.Equal(new[] { id + "+0", id + "+1" }, job.Tasks.Select(t => t.JobId));
        Assert.All(job.Tasks, t => Assert.Equal("PENDING", t.State));
        var component = Assert.Single(_cluster.Query(id + "+1").States).State;
        Assert.Equal((id + "+1", "pending"), (component.JobId, component.Status));
    }

    [Fact]
    public void Query_MissedDeadline_DeadlineFailed()
    {
        var (id, refusal) = _cluster.TrySubmit("dl", "--time=10", "-c", "1", "--deadline=now+5seconds", "--wrap", "sleep 1");
        if (id is null)
        {
            // Some configurations refuse a deadline the time limit cannot meet at submission; then there is nothing to poll.
            _cluster.Log($"SKIPPED: the cluster refused --deadline at submission: {refusal}");
            Assert.Contains("deadline", refusal, StringComparison.OrdinalIgnoreCase);
            return;
        }

        var job = _cluster.Poll(id, s => s.State == "DEADLINE", "DEADLINE");

        Assert.Equal(("failed", true), (job.Status, job.IsTerminal));
    }

    [Fact]
    public void Query_JobNameWithPipes_NameIntactFromBothTools()
    {
        var name = "axu|pipe|" + Guid.NewGuid().ToString("N")[..6];
        var id = _cluster.Submit(name, useNameAsIs: true, "--time=2", "-c", "1", "--hold", "--wrap", "true");

        var held = _cluster.Poll(id, s => s.Status == JobStatus.Pending, "pending (held)");
        Assert.Equal(name, held.Name);
        _cluster.Command("scontrol", "release", id);
        // sacct's placeholder row (JobName "allocation") can come first: wait for the real row.
        var done = _cluster.Poll(id, s => s.Status == JobStatus.Completed && s.Source == JobSource.Sacct && s.Partition is not null, "completed according to sacct's real row");

        Assert.Equal(name, done.Name);
        Assert.Equal(("autolab", "debug"), (done.Cluster, done.Partition));
    }

    [Fact]
    public void SqueueCommand_RealOutput_ParsesIntoTheModulesColumns()
    {
        var id = _cluster.SubmitWrap("sq", "true", "--hold");
        _cluster.Poll(id, s => s.Status == JobStatus.Pending, "pending (held)");

        var command = SlurmJobQuery.SqueueCommand(null);
        var result = LocalCommandRunner.Instance.Run(command, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.StandardError));
        var rows = SqueueParser.Parse(result.StandardOutput, command.Display);
        Assert.All(rows, r => Assert.Equal("autolab", r.Cluster));
        Assert.All(rows, r => Assert.Matches(@"^[0-9]+([_+][0-9]+)?$", r.JobArrayId));
        Assert.All(rows, r => Assert.Matches("^[A-Z_]+$", r.State));
        var mine = Assert.Single(rows, r => r.JobArrayId == id);
        Assert.Equal(("PENDING", "JobHeldUser", 0, _cluster.NameOf(id), "debug"), (mine.State, mine.Reason, mine.Restarts!.Value, mine.Name, mine.Partition));
        Assert.Equal((id, "N/A", id, "N/A"), (mine.JobId, mine.HetJobId, mine.ArrayJobId, mine.ArrayTaskId));
    }

    [Fact]
    public void SacctCommand_RealOutput_ParsesIntoTheModulesColumns()
    {
        var id = _cluster.SubmitWrap("sa", "exit 3");
        _cluster.Poll(id, s => s.Status == JobStatus.Failed && s.Source == JobSource.Sacct, "failed according to sacct");

        var command = SlurmJobQuery.SacctCommand(new[] { id }, "autolab", TimeSpan.FromHours(1));

        // Right after the job ends sacct may still print the placeholder row (JobName "allocation", no
        // partition); the real row follows within seconds (Fixtures/README.md, traps).
        var row = _cluster.PollCommand(command, rows => rows.Count == 1 && rows[0].Name != "allocation", "the real sacct row");
        Assert.Equal((id, id, _cluster.NameOf(id), "FAILED", "3:0"), (row.JobId, row.JobIdRaw, row.Name, row.State, row.ExitCode));
        Assert.Equal((LiveCluster.NodeName, "debug", "autolab"), (row.NodeList, row.Partition, row.Cluster));
        Assert.NotNull(row.Submit);
        Assert.True(row.Submit > DateTimeOffset.UtcNow.AddHours(-1));
    }
}

/// <summary>The TIMEOUT scenario takes 80-90 s (the limit is checked every ~30 s): kept out of the default run.</summary>
[Trait("Category", "Cluster")]
[Trait("Category", "Slow")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LiveClusterSlowTests : IDisposable
{
    private readonly LiveCluster _cluster;

    public LiveClusterSlowTests(ITestOutputHelper output) => _cluster = new LiveCluster(output);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public void Query_OneMinuteLimitSleep300_Timeout()
    {
        var id = _cluster.Submit("tmo", "--time=0:01", "-c", "1", "--wrap", "sleep 300");

        var job = _cluster.Poll(id, s => s.State == "TIMEOUT" && s.Source == JobSource.Sacct, "TIMEOUT according to sacct", TimeSpan.FromSeconds(200));

        Assert.Equal(("failed", true), (job.Status, job.IsTerminal));
        Assert.True(job.Elapsed >= TimeSpan.FromSeconds(55), $"Elapsed {job.Elapsed}");
    }
}

/// <summary>Submits jobs with sbatch (argument list, no shell), polls SlurmJobQuery, and cancels what it submitted.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LiveCluster : IDisposable
{
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromSeconds(60);
    private static readonly Lazy<string?> Readiness = new(EnsureUp);
    private static readonly Lazy<string> Node = new(() => Cli("hostname", "-s").Stdout.Trim());

    private readonly ITestOutputHelper _output;
    private readonly List<string> _jobs = new();
    private readonly Dictionary<string, (string Name, DateTimeOffset Submitted)> _submitted = new(StringComparer.Ordinal);
    private readonly SlurmJobQuery _query = new(LocalCommandRunner.Instance, SlurmStateTable.Load(TestPaths.StateTable), SystemClock.Instance)
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public LiveCluster(ITestOutputHelper output)
    {
        _output = output;
        var problem = Readiness.Value;
        Assert.True(problem is null, problem);
    }

    public static string NodeName => Node.Value;

    public void Log(string message) => _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message}");

    public string NameOf(string id) => _submitted[id].Name;

    /// <summary>sbatch --wrap with a 2-minute limit and 1 CPU (STYLE: small, time-limited test jobs).</summary>
    public string SubmitWrap(string tag, string wrap, params string[] options) =>
        Submit(tag, new[] { "--time=2", "-c", "1" }.Concat(options).Concat(new[] { "--wrap", wrap }).ToArray());

    public string Submit(string tag, params string[] options) => Submit(tag, useNameAsIs: false, options);

    public string Submit(string tag, bool useNameAsIs, params string[] options)
    {
        var (id, error) = TrySubmit(tag, useNameAsIs, options);
        Assert.True(id is not null, $"sbatch refused the job: {error}");
        return id!;
    }

    public (string? Id, string Error) TrySubmit(string tag, params string[] options) => TrySubmit(tag, useNameAsIs: false, options);

    public (string? Id, string Error) TrySubmit(string tag, bool useNameAsIs, params string[] options)
    {
        var name = useNameAsIs ? tag : $"axu-{tag}-{Guid.NewGuid().ToString("N")[..6]}";
        var arguments = new[] { "--parsable", "--chdir=/tmp", "--output=/dev/null", "-J", name }.Concat(options).ToArray();
        var submitted = DateTimeOffset.UtcNow;
        var (exit, stdout, stderr) = Cli("sbatch", arguments);
        Log($"sbatch {string.Join(' ', arguments.Select(PosixQuote.QuoteIfNeeded))} -> exit {exit}, '{stdout.Trim()}' {stderr.Trim()}");
        if (exit != 0)
        {
            return (null, stderr.Trim());
        }

        // --parsable prints "<id>" or "<id>;<cluster>".
        var id = stdout.Trim().Split(';')[0];
        Assert.Matches("^[0-9]+$", id);
        lock (_jobs)
        {
            _jobs.Add(id);
        }

        _submitted[id] = (name, submitted);
        return (id, string.Empty);
    }

    public void Command(string program, params string[] arguments)
    {
        var (exit, stdout, stderr) = Cli(program, arguments);
        Log($"{program} {string.Join(' ', arguments)} -> exit {exit} {stdout.Trim()} {stderr.Trim()}");
        Assert.True(exit == 0, $"{program} {string.Join(' ', arguments)} failed with exit code {exit}: {stderr}");
    }

    public JobQueryResult Query(string id)
    {
        var baseId = id.Split('_', '+')[0];
        DateTimeOffset? submitted = _submitted.TryGetValue(baseId, out var s) ? s.Submitted : null;
        var requests = SlurmJobId.ParseExpand(id).Select(i => new JobRequest(i, null, null, submitted)).ToList();
        return _query.Query(requests, null, CancellationToken.None);
    }

    /// <summary>Asks until the state satisfies <paramref name="until"/>; fails with the last answer after the timeout.</summary>
    public SlurmJobState Poll(string id, Func<SlurmJobState, bool> until, string what, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        var limit = timeout ?? DefaultPoll;
        var last = "(nothing yet)";
        while (true)
        {
            var result = Query(id);
            var state = result.States.SingleOrDefault().State;
            var seen = state is null
                ? "failures: " + string.Join(" | ", result.Failures.Select(f => f.Error.ErrorId + " " + f.Error.Message))
                : Describe(state);
            if (seen != last)
            {
                Log($"{id} after {watch.Elapsed.TotalSeconds:0.0} s: {seen}");
                last = seen;
            }

            if (state is not null && until(state))
            {
                return state;
            }

            Assert.True(watch.Elapsed < limit, $"job {id} was not {what} within {limit.TotalSeconds:0} s; last answer: {last}");
            Thread.Sleep(1000);
        }
    }

    /// <summary>Runs the module's own sacct command until its parsed rows satisfy <paramref name="until"/>.</summary>
    public SacctRow PollCommand(CommandSpec command, Func<List<SacctRow>, bool> until, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var result = LocalCommandRunner.Instance.Run(command, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal((0, string.Empty), (result.ExitCode, result.StandardError));
            var rows = SacctParser.Parse(result.StandardOutput, command.Display);
            Log($"{command.Display} after {watch.Elapsed.TotalSeconds:0.0} s: {result.StandardOutput.Trim()}");
            if (until(rows))
            {
                return Assert.Single(rows);
            }

            Assert.True(watch.Elapsed < DefaultPoll, $"sacct did not print {what} within {DefaultPoll.TotalSeconds:0} s");
            Thread.Sleep(1000);
        }
    }

    public void Dispose()
    {
        string[] ids;
        lock (_jobs)
        {
            ids = _jobs.ToArray();
        }

        if (ids.Length > 0)
        {
            var (exit, _, stderr) = Cli("scancel", ids);
            Log($"scancel {string.Join(' ', ids)} -> exit {exit} {stderr.Trim()}");
        }
    }

    private static string Describe(SlurmJobState s) =>
        $"State={s.State} Raw='{s.RawState}' Status={s.Status} Terminal={s.IsTerminal} Reason={s.Reason} Exit={s.ExitCode}:{s.Signal} " +
        $"Restarts={s.Restarts} Source={s.Source} Nodes={s.NodeList} Start={s.StartTime:HH:mm:ss} End={s.EndTime:HH:mm:ss} " +
        $"Tasks=[{string.Join(", ", s.Tasks.Select(t => t.JobId + ":" + t.State))}]";

    private static (int Exit, string Stdout, string Stderr) Cli(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within 4 minutes");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>Checks that the cluster answers; if not, runs tests/infra/up.sh once (idempotent) and checks again.</summary>
    private static string? EnsureUp()
    {
        try
        {
            if (Cli("sinfo", "-h", "-o", "%T").Exit == 0)
            {
                return null;
            }

            var up = FindUpScript();
            if (up is null)
            {
                return "The Slurm test cluster does not answer (sinfo failed) and tests/infra/up.sh was not found above "
                    + AppContext.BaseDirectory + ". Run tests/infra/up.sh as root, or leave out Category=Cluster.";
            }

            var (exit, _, stderr) = Cli("bash", up);
            return exit == 0 && Cli("sinfo", "-h", "-o", "%T").Exit == 0
                ? null
                : $"The Slurm test cluster does not answer and '{up}' failed (exit {exit}): {stderr}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"The Slurm client is not installed ({ex.Message}). Run tests/infra/up.sh as root, or leave out Category=Cluster.";
        }
    }

    private static string? FindUpScript()
    {
        var roots = new[] { Environment.GetEnvironmentVariable("AUTOLAB_REPO_ROOT"), AppContext.BaseDirectory, Environment.CurrentDirectory };
        foreach (var start in roots.Where(r => !string.IsNullOrEmpty(r)))
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "infra", "up.sh");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
