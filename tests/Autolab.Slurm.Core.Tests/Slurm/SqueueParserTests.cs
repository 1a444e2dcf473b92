using Autolab.Slurm.Errors;
using Autolab.Slurm.Slurm;
using Xunit;
using static Autolab.Slurm.Core.Tests.Slurm.SlurmFixture;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// SqueueParser against every captured squeue fixture (Fixtures/squeue) and the synthetic ones. The capture
/// asked for exactly the module's fields (<see cref="Fields_CaptureAskedForExactlyTheModuleFields"/>).
/// </summary>
public class SqueueParserTests
{
    private const string Command = "env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all";

    /// <summary>Every captured squeue output: name, row count, first and last JobArrayID.</summary>
    public static TheoryData<string, int, string?, string?> RealFixtures => new()
    {
        { "real-controller-down", 0, null, null },
        { "real-default-timeformat", 22, "7", "14" },
        { "real-final", 22, "7", "13" },
        { "real-mixed-1", 22, "7", "14" },
        { "real-mixed-2", 22, "7", "14" },
        { "real-mixed-3", 22, "7", "1" },
        { "real-mixed-4", 22, "7", "13" },
        { "real-multicluster", 1, "13", "13" },
        { "real-pipe-in-name", 1, "20", "20" },
        { "real-range-id-broken", 1, "6_0", "6_0" },
        { "real-unknown-id-in-list", 1, "13", "13" },
        { "real-unknown-id", 0, null, null },
        { "real-unknown-user-filter", 0, null, null },
    };

    public static TheoryData<string, string, string, int> SyntheticFixtures => new()
    {
        { "squeue-preempted-requeued.txt", "44", "PENDING", 1 },
        { "squeue-preempted-final.txt", "44", "PREEMPTED", 0 },
        { "squeue-requeued.txt", "46", "PENDING", 1 },
        { "squeue-cluster-beta.txt", "13", "COMPLETED", 0 },
    };

    [Fact]
    public void RealFixtures_ListsEveryCapturedSqueueOutputButTheInvalidField()
    {
        var onDisk = Directory.GetFiles(TestPaths.Fixture("squeue"), "*.txt").Select(System.IO.Path.GetFileNameWithoutExtension)
            .Where(n => n != "real-invalid-field").Order(StringComparer.Ordinal);
        var listed = RealFixtures.Select(row => (string)row[0]).Order(StringComparer.Ordinal);

        Assert.Equal(onDisk, listed);
    }

    [Fact]
    public void Fields_CaptureAskedForExactlyTheModuleFields()
    {
        foreach (var name in RealFixtures.Select(row => (string)row[0]))
        {
            Assert.Equal(SqueueParser.Fields, CapturedSqueueFields(CommandLine("squeue", name)));
        }
    }

    [Fact]
    public void Format_EveryFieldUnpaddedWithPipeSuffix()
    {
        Assert.Equal(
            "JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|",
            SqueueParser.Format);
    }

    [Theory]
    [MemberData(nameof(RealFixtures))]
    public void Parse_RealFixture_EveryLineIsOneRow(string name, int rows, string? first, string? last)
    {
        var parsed = SqueueParser.Parse(SqueueAsModuleAsks(name), CommandLine("squeue", name));

        Assert.Equal(rows, parsed.Count);
        if (rows > 0)
        {
            Assert.Equal(first, parsed[0].JobArrayId);
            Assert.Equal(last, parsed[^1].JobArrayId);
        }

        Assert.All(parsed, r => Assert.Equal("autolab", r.Cluster));
        Assert.All(parsed, r => Assert.Equal("debug", r.Partition));
        Assert.All(parsed, r => Assert.NotNull(r.Restarts));
        Assert.All(parsed, r => Assert.NotNull(r.Submit));
        Assert.All(parsed, r => Assert.NotNull(r.TimeUsed));
        Assert.All(parsed, r => Assert.DoesNotContain('|', r.JobArrayId));
    }

    [Fact]
    public void Parse_RealMixed1_PendingArrayTasksCarryTheParentsRawId()
    {
        var rows = Parse("real-mixed-1").Where(r => r.ArrayJobId == "19").ToList();

        Assert.Equal(new[] { "19_0", "19_1", "19_2" }, rows.Select(r => r.JobArrayId));
        Assert.All(rows, r => Assert.Equal("19", r.JobId));
        Assert.Equal(new[] { "0", "1", "2" }, rows.Select(r => r.ArrayTaskId));
        var task1 = rows[1];
        Assert.Equal(("PENDING", "JobHeldUser", 0), (task1.State, task1.Reason, task1.Restarts!.Value));
        Assert.Equal(Epoch(1796100179), task1.Submit);
        Assert.Null(task1.Start); // N/A for a held job
        Assert.Null(task1.End);
        Assert.Equal(string.Empty, task1.NodeList);
        Assert.Equal(("N/A", "N/A"), (task1.HetJobId, task1.HetJobOffset));
        Assert.Equal("harr", task1.Name);
    }

    [Fact]
    public void Parse_RealMixed1_RequeuedJobsShowRestartCountAndFreeTextReason()
    {
        var requeued = Parse("real-mixed-1").Single(r => r.JobArrayId == "11");
        var held = Parse("real-mixed-1").Single(r => r.JobArrayId == "12");

        Assert.Equal(("PENDING", "BeginTime", 1), (requeued.State, requeued.Reason, requeued.Restarts!.Value));
        Assert.Equal(Epoch(1796100280), requeued.Start); // the scheduler's estimate, not a fact
        Assert.Equal(("PENDING", "job requeued in held state", 1), (held.State, held.Reason, held.Restarts!.Value));
    }

    [Fact]
    public void Parse_RealMixed1_HetAndArrayIds()
    {
        var rows = Parse("real-mixed-1");
        var het1 = rows.Single(r => r.JobArrayId == "4+1");
        var task2 = rows.Single(r => r.JobArrayId == "6_2");
        var single = rows.Single(r => r.JobArrayId == "3");

        Assert.Equal(("5", "4", "1", "5", "N/A"), (het1.JobId, het1.HetJobId, het1.HetJobOffset, het1.ArrayJobId, het1.ArrayTaskId));
        Assert.Equal(("15", "6", "2", "vm"), (task2.JobId, task2.ArrayJobId, task2.ArrayTaskId, task2.NodeList));
        Assert.Equal(TimeSpan.FromSeconds(8), task2.TimeUsed);
        Assert.Equal(("FAILED", "NonZeroExitCode", "3", "N/A", "bad"), (single.State, single.Reason, single.ArrayJobId, single.ArrayTaskId, single.Name));
    }

    [Fact]
    public void Parse_RealMixed4_RequeuedJobRunningAgain()
    {
        var row = Parse("real-mixed-4").Single(r => r.JobArrayId == "11");

        Assert.Equal(("RUNNING", "None", 1), (row.State, row.Reason, row.Restarts!.Value));
        Assert.Equal(Epoch(1796100298), row.Start);
        Assert.Equal(TimeSpan.FromSeconds(2), row.TimeUsed);
        Assert.Equal("vm", row.NodeList);
        Assert.Equal("rq", row.Name);
    }

    [Fact]
    public void Parse_RealFinal_TerminalStatesAndMinutesTimeUsed()
    {
        var rows = Parse("real-final");
        var run = rows.Single(r => r.JobArrayId == "13");
        var cancelled = rows.Single(r => r.JobArrayId == "7");
        var deadline = rows.Single(r => r.JobArrayId == "10");

        Assert.Equal(("TIMEOUT", "TimeLimit"), (run.State, run.Reason));
        Assert.Equal(TimeSpan.FromSeconds(138), run.TimeUsed); // "2:18"
        Assert.Equal(Epoch(1796100298), run.End);
        Assert.Equal("CANCELLED", cancelled.State); // squeue: plain CANCELLED, sacct: CANCELLED by 0
        Assert.Equal(("DEADLINE", "DeadLine", string.Empty), (deadline.State, deadline.Reason, deadline.NodeList));
    }

    [Fact]
    public void Parse_RealFinal_CancelledWhilePendingStartIsCancelTime()
    {
        var row = Parse("real-final").Single(r => r.JobArrayId == "18");

        Assert.Equal(("CANCELLED", "JobHeldUser", string.Empty), (row.State, row.Reason, row.NodeList));
        Assert.Equal(Epoch(1796100318), row.Start);
        Assert.Equal(Epoch(1796100318), row.End);
    }

    [Theory]
    [InlineData("real-pipe-in-name")]
    [InlineData("real-final")]
    public void Parse_RealPipeInName_NameIsTheRestOfTheLine(string name)
    {
        var row = Parse(name).Single(r => r.JobArrayId == "20");

        Assert.Equal("name|with|pipes", row.Name);
        Assert.Equal(("20", "COMPLETED", "vm-2", "autolab"), (row.JobId, row.State, row.NodeList, row.Cluster));
    }

    [Fact]
    public void Parse_RealDefaultTimeformat_TimesReadAsLocal()
    {
        var row = Parse("real-default-timeformat").Single(r => r.JobArrayId == "1");
        var expected = new DateTimeOffset(new DateTime(2026, 12, 1, 4, 42, 29, DateTimeKind.Local));

        Assert.Equal(expected.UtcDateTime, row.Submit!.Value.UtcDateTime);
        Assert.Equal(TimeSpan.FromSeconds(55), row.TimeUsed);
    }

    [Theory]
    [MemberData(nameof(SyntheticFixtures))]
    public void Parse_SyntheticFixture_SameShapeAsCaptured(string file, string lastId, string lastState, int restarts)
    {
        var captured = Synthetic(file);

        var rows = SqueueParser.Parse(captured, Command);

        Assert.All(captured.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Equal(18, l.Count(c => c == '|')));
        Assert.Equal(lastId, rows[^1].JobArrayId);
        Assert.Equal(lastState, rows[^1].State);
        Assert.Equal(restarts, rows[^1].Restarts);
    }

    [Fact]
    public void Parse_RealInvalidFieldOutput_SchedulerOutputInvalid()
    {
        // What squeue printed (exit 0) when one --Format field was unknown: 3 columns, not 17.
        var error = Assert.Throws<AutolabException>(() => SqueueParser.Parse(Text("squeue", "real-invalid-field"), Command));

        Assert.Equal(ErrorIds.SchedulerOutputInvalid, error.ErrorId);
        Assert.Contains(Command, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("slurm_load_jobs error: Unable to contact slurm controller (connect failure)")]
    [InlineData("13|13|TIMEOUT|TimeLimit|0|1796100160|1796100160|1796100298|2:18|vm-3|debug|N/A|N/A|13|N/A|autolab|run")]
    [InlineData("13|13|TIMEOUT|")]
    [InlineData("JOBID|STATE|")]
    public void Parse_GarbageLine_SchedulerOutputInvalidNamingTheCommand(string line)
    {
        var error = Assert.Throws<AutolabException>(() => SqueueParser.Parse(line + "\n", Command));

        Assert.Equal(ErrorIds.SchedulerOutputInvalid, error.ErrorId);
        Assert.Contains(Command, error.Message, StringComparison.Ordinal);
        Assert.Equal(Command, error.Target);
    }

    [Fact]
    public void Parse_NonNumericRestartCount_Null()
    {
        var line = "13|13|RUNNING|None|N/A|1796100160|1796100160|1796100280|0:23|vm-3|debug|N/A|N/A|13|N/A|0|autolab|run|";

        Assert.Null(Assert.Single(SqueueParser.Parse(line, Command)).Restarts);
    }

    [Fact]
    public void Parse_CrLfLineEnds_SameAsLf()
    {
        var lf = SqueueAsModuleAsks("real-mixed-1");

        Assert.Equal(SqueueParser.Parse(lf, Command), SqueueParser.Parse(lf.Replace("\n", "\r\n", StringComparison.Ordinal), Command));
    }

    private static List<SqueueRow> Parse(string name) => SqueueParser.Parse(SqueueAsModuleAsks(name), CommandLine("squeue", name));
}
