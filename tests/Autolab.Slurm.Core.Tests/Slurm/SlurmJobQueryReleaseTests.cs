using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;
using Xunit;
using static Autolab.Slurm.Core.Tests.Slurm.ReplayQuery;
using static Autolab.Slurm.Core.Tests.Slurm.SlurmFixture;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// What differs between the Slurm releases users run (22.05, 24.11, 26.05), on the fixtures recorded from each
/// (Fixtures/sacct, Fixtures/squeue and their v24.11 / v26.05 folders): squeue's exit_code (a raw wait status
/// in 22.05, code:signal later), sacct's Restarts field (24.11 and later), and how each says it could not talk
/// to slurmdbd.
/// </summary>
public class SlurmJobQueryReleaseTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 14, 50, 0, TimeSpan.Zero);

    private static JobQueryResult Run(ReplayRunner runner, SacctFieldCache fields, params string[] ids) => ReplayQuery.Run(runner, Now, fields, ids);

    // ---- a failed job only squeue knows yet (accounting lag) -----------------------------------------

    [Theory]
    [InlineData("", "3")] // 22.05 prints the raw wait status: 768
    [InlineData("v24.11/", "24")] // 24.11 and later print code:signal: 3:0
    [InlineData("v26.05/", "24")]
    public void Query_FailedJobSacctHasNoRowYet_ExitCodeAndSignalFromSqueue(string release, string id)
    {
        var runner = new ReplayRunner
        {
            SacctKnowsRestarts = release.Length > 0,
            Sacct = _ => Reply.Ok(string.Empty),
            Squeue = _ => Reply.Ok(Text("squeue", release + "real-final")),
        };

        var job = Single(Run(runner, runner.KnownFields(), id), id);

        Assert.Equal(("FAILED", "failed", JobSource.Squeue), (job.State, job.Status, job.Source));
        Assert.Equal(3, job.ExitCode);
        Assert.Equal(0, job.Signal);
    }

    [Fact]
    public void Query_SacctStillRunningSqueueFailed_ExitCodeFromSqueueNotSacctsZero()
    {
        // sacct's row lags (RUNNING, ExitCode 0:0) while the controller has the job FAILED (raw status 768):
        // the failure must not be recorded with sacct's 0.
        var running = File.ReadAllLines(TestPaths.Fixture("sacct", "real-final.txt")).Single(l => l.StartsWith("3|", StringComparison.Ordinal))
            .Replace("|FAILED|3:0|", "|RUNNING|0:0|", StringComparison.Ordinal);
        var runner = new ReplayRunner { Sacct = _ => Reply.Ok(running + "\n"), Squeue = _ => Reply.Ok(Text("squeue", "real-final")) };

        var job = Single(Run(runner, runner.KnownFields(), "3"), "3");

        Assert.Equal(("FAILED", 3, 0), (job.State, job.ExitCode, job.Signal));
    }

    [Theory]
    [InlineData("768", 3, 0)]
    [InlineData("9", 0, 9)]
    [InlineData("0", 0, 0)]
    [InlineData("3:0", 3, 0)]
    [InlineData("0:15", 0, 15)]
    [InlineData("143:0", 143, 0)]
    public void ParseSqueueExitCode_BothShapes(string text, int code, int signal)
    {
        Assert.Equal((code, signal), SlurmText.ParseSqueueExitCode(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("N/A")]
    public void ParseSqueueExitCode_NoValue_Null(string text)
    {
        Assert.Equal((null, null), SlurmText.ParseSqueueExitCode(text));
    }

    // ---- sacct's Restarts -------------------------------------------------------------------------

    [Theory]
    [InlineData("v24.11/", "30")]
    [InlineData("v26.05/", "30")]
    public void Query_SacctKnowsRestarts_RestartCountFromSacct(string release, string id)
    {
        var runner = new ReplayRunner { SacctKnowsRestarts = true, Sacct = _ => Reply.Ok(Text("sacct", release + "real-mixed-4-restarts")), Squeue = _ => Reply.Ok(string.Empty) };

        var job = Single(Run(runner, runner.KnownFields(), id), id);

        Assert.Equal(1, job.Restarts);
        Assert.EndsWith(",Restarts", runner.SacctCalls.Single().Arguments.Single(a => a.StartsWith("--format=", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Query_2205SacctWithoutRestarts_LearntOnceThenAskedWithoutIt()
    {
        var fields = new SacctFieldCache();
        var runner = new ReplayRunner { Sacct = _ => Reply.Sacct("real-final") };

        var first = Run(runner, fields, "3");
        Assert.Equal(2, runner.SacctCalls.Count);
        Assert.Equal(3, Single(first, "3").ExitCode);
        Assert.Null(Single(first, "3").Restarts);

        Run(runner, fields, "2");
        Assert.Equal(3, runner.SacctCalls.Count);
        Assert.DoesNotContain(runner.SacctCalls[2].Arguments, a => a.Contains("Restarts", StringComparison.Ordinal));
        Assert.False(fields.KnowsRestarts(runner.Location));
    }

    [Fact]
    public void Query_2411SacctWithRestarts_OneCallAndLearnt()
    {
        var fields = new SacctFieldCache();
        var runner = new ReplayRunner { SacctKnowsRestarts = true, Sacct = _ => Reply.Ok(Text("sacct", "v24.11/real-mixed-4-restarts")) };

        Run(runner, fields, "24");

        Assert.Single(runner.SacctCalls);
        Assert.True(fields.KnowsRestarts(runner.Location));
    }

    // ---- sacct that could not talk to slurmdbd ----------------------------------------------------

    [Theory]
    [InlineData("", 1)]
    [InlineData("v24.11/", 1)]
    [InlineData("", 0)] // the same words on stderr with exit code 0 and no rows: still a failed call
    public void Query_SlurmdbdUnreachable_SchedulerUnavailableNotUnknown(string release, int exitCode)
    {
        var runner = new ReplayRunner
        {
            SacctKnowsRestarts = release.Length > 0,
            Sacct = _ => new Reply(exitCode, string.Empty, Stderr("sacct", release + "real-slurmdbd-down")),
            Squeue = _ => Reply.Ok(string.Empty),
        };

        var result = Run(runner, runner.KnownFields(), "3");

        Assert.Empty(result.States);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(ErrorIds.SchedulerUnavailable, failure.Error.ErrorId);
        Assert.Contains("Connection refused", failure.Error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_SacctExitZeroNothingOnStderr_UnknownJobNotAFailure()
    {
        var runner = new ReplayRunner { Sacct = _ => Reply.Ok(string.Empty), Squeue = _ => Reply.Ok(string.Empty) };

        var job = Single(Run(runner, runner.KnownFields(), "99999"), "99999");

        Assert.Equal(JobStatus.Unknown, job.Status);
    }
}
