using Autolab.Slurm.Errors;
using Autolab.Slurm.Slurm;
using Xunit;
using static Autolab.Slurm.Core.Tests.Slurm.SlurmFixture;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>SacctParser against every captured sacct fixture (Fixtures/sacct) and the synthetic ones.</summary>
public class SacctParserTests
{
    private const string Command = "env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --jobs=2";

    /// <summary>Every captured sacct output: name, row count, first and last JobID.</summary>
    public static TheoryData<string, int, string?, string?> RealFixtures => new()
    {
        { "real-controller-down", 19, "1", "19_[0-2]" },
        { "real-default-timeformat", 19, "1", "19_[0-2]" },
        { "real-empty-id-list", 18, "1", "20" },
        { "real-final-duplicates", 21, "1", "19_[0-2]" },
        { "real-final", 19, "1", "19_[0-2]" },
        { "real-id-notations", 2, "4+1", "6_2" },
        { "real-invalid-field", 0, null, null },
        { "real-just-submitted-1", 0, null, null },
        { "real-just-submitted-2", 1, "2", "2" },
        { "real-just-submitted-3", 1, "2", "2" },
        { "real-malformed-ids-empty-item", 2, "2", "3" },
        { "real-malformed-ids-letters", 0, null, null },
        { "real-malformed-ids-range", 0, null, null },
        { "real-malformed-ids", 2, "2", "12" },
        { "real-mixed-1-duplicates", 21, "1", "19_[0-2]" },
        { "real-mixed-1", 19, "1", "19_[0-2]" },
        { "real-mixed-2-duplicates", 21, "1", "19_[0-2]" },
        { "real-mixed-2", 19, "1", "19_[0-2]" },
        { "real-mixed-3-duplicates", 21, "1", "19_[0-2]" },
        { "real-mixed-3", 19, "1", "19_[0-2]" },
        { "real-mixed-4-duplicates", 21, "1", "19_[0-2]" },
        { "real-mixed-4", 19, "1", "19_[0-2]" },
        { "real-multicluster", 1, "13", "13" },
        { "real-pipe-in-name", 1, "20", "20" },
        { "real-slurmdbd-down", 0, null, null },
        { "real-unknown-id", 0, null, null },
        { "real-with-steps", 21, "2", "6_5.batch" },
    };

    public static TheoryData<string, string, string> SyntheticFixtures => new()
    {
        { "sacct-out-of-memory.txt", "41", "OUT_OF_MEMORY" },
        { "sacct-node-fail.txt", "42", "NODE_FAIL" },
        { "sacct-boot-fail.txt", "43", "BOOT_FAIL" },
        { "sacct-preempted.txt", "44", "PREEMPTED" },
        { "sacct-revoked.txt", "45", "REVOKED" },
        { "sacct-requeued.txt", "46", "REQUEUED" },
        { "sacct-requeued-duplicates.txt", "46", "PENDING" },
        { "sacct-array-one-failed.txt", "47_2", "COMPLETED" },
        { "sacct-array-unlisted-state.txt", "50_1", "LAUNCH_FAILED" },
        { "sacct-het-one-failed.txt", "60+1", "FAILED" },
        { "sacct-cluster-beta.txt", "52", "PENDING" },
    };

    [Fact]
    public void RealFixtures_ListsEveryCapturedSacctOutput()
    {
        var onDisk = Directory.GetFiles(TestPaths.Fixture("sacct"), "*.txt").Select(System.IO.Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        var listed = RealFixtures.Select(row => (string)row[0]).Order(StringComparer.Ordinal);

        Assert.Equal(onDisk, listed);
    }

    [Theory]
    [MemberData(nameof(RealFixtures))]
    public void Parse_RealFixture_EveryLineIsOneRow(string name, int rows, string? first, string? last)
    {
        var parsed = SacctParser.Parse(Text("sacct", name), CommandLine("sacct", name));

        Assert.Equal(rows, parsed.Count);
        Assert.Equal(File.ReadAllLines(FilePath("sacct", name, ".txt")).Count(l => l.Length > 0), parsed.Count);
        if (rows > 0)
        {
            Assert.Equal(first, parsed[0].JobId);
            Assert.Equal(last, parsed[^1].JobId);
        }

        Assert.All(parsed, r => Assert.Equal("autolab", r.Cluster));
        Assert.All(parsed, r => Assert.Contains(r.Partition, new[] { "debug", string.Empty }));
        Assert.All(parsed, r => Assert.NotNull(r.Submit));
        Assert.All(parsed, r => Assert.NotNull(r.Elapsed));
        Assert.All(parsed, r => Assert.Matches("^[0-9]+:[0-9]+$", r.ExitCode));
    }

    [Fact]
    public void Parse_RealMixed4_CancelledByUidKeptVerbatim()
    {
        var row = Row("real-mixed-4", "7");

        Assert.Equal("7", row.JobIdRaw);
        Assert.Equal("cnl", row.Name);
        Assert.Equal("CANCELLED by 0", row.State);
        Assert.Equal("0:0", row.ExitCode);
        Assert.Equal("0:0", row.DerivedExitCode);
        Assert.Equal("None", row.Reason);
        Assert.Equal(Epoch(1796100158), row.Submit);
        Assert.Equal(Epoch(1796100159), row.Start);
        Assert.Equal(Epoch(1796100159), row.End);
        Assert.Equal(TimeSpan.Zero, row.Elapsed);
        Assert.Equal("vm-3", row.NodeList);
    }

    [Fact]
    public void Parse_RealFinal_ExitCodesAfterControllerRestart()
    {
        // After the slurmctld restart the same jobs print other exit codes (Fixtures/README.md, traps).
        Assert.Equal(("CANCELLED", "15:0"), (Row("real-final", "7").State, Row("real-final", "7").ExitCode));
        Assert.Equal(("TIMEOUT", "0:15"), (Row("real-final", "1").State, Row("real-final", "1").ExitCode));
        Assert.Equal(("TIMEOUT", "0:0"), (Row("real-mixed-4", "1").State, Row("real-mixed-4", "1").ExitCode));
    }

    [Fact]
    public void Parse_RealFinal_FailedAndDeadlineRows()
    {
        var bad = Row("real-final", "3");
        var deadline = Row("real-final", "10");

        Assert.Equal(("bad", "FAILED", "3:0", "vm"), (bad.Name, bad.State, bad.ExitCode, bad.NodeList));
        Assert.Equal(("dl", "DEADLINE", "1:0", "None assigned"), (deadline.Name, deadline.State, deadline.ExitCode, deadline.NodeList));
        Assert.Equal(Epoch(1796100159), deadline.Start);
    }

    [Fact]
    public void Parse_RealFinal_CancelledWhilePendingHasNoStart()
    {
        var held = Row("real-final", "18");

        Assert.Equal("CANCELLED by 0", held.State);
        Assert.Equal("JobHeldUser", held.Reason);
        Assert.Null(held.Start); // printed "None"
        Assert.Equal(Epoch(1796100318), held.End);
        Assert.Equal("None assigned", held.NodeList);
    }

    [Fact]
    public void Parse_RealControllerDown_CollapsedPendingArrayIsOneRow()
    {
        var row = Row("real-controller-down", "19_[0-2]");

        Assert.Equal("19", row.JobIdRaw);
        Assert.Equal("harr", row.Name);
        Assert.Equal("PENDING", row.State);
        Assert.Equal("JobHeldUser", row.Reason);
        Assert.Equal(Epoch(1796100179), row.Submit);
        Assert.Null(row.Start); // "Unknown"
        Assert.Null(row.End);
        Assert.Equal("None assigned", row.NodeList);
    }

    [Fact]
    public void Parse_RealControllerDown_ArrayTasksKeepTheirRawIds()
    {
        var task2 = Row("real-controller-down", "6_2");
        var last = Row("real-controller-down", "6_5");
        var first = Row("real-controller-down", "6_0");

        Assert.Equal("15", task2.JobIdRaw);
        Assert.Equal("JobArrayTaskLimit", task2.Reason);
        Assert.Equal(Epoch(1796100158), task2.Submit);
        Assert.Equal(Epoch(1796100168), task2.Start);
        Assert.Equal(Epoch(1796100176), task2.End);
        Assert.Equal(TimeSpan.FromSeconds(8), task2.Elapsed);
        Assert.Equal("vm", task2.NodeList);
        Assert.Equal("6", last.JobIdRaw); // the last task reuses the parent's raw id
        Assert.Equal("8", first.JobIdRaw);
    }

    [Fact]
    public void Parse_RealControllerDown_HetComponentsAndLiveJobs()
    {
        var het1 = Row("real-controller-down", "4+1");
        var requeued = Row("real-controller-down", "11");
        var suspended = Row("real-controller-down", "14");

        Assert.Equal(("5", "het", "vm-3", TimeSpan.FromSeconds(20)), (het1.JobIdRaw, het1.Name, het1.NodeList, het1.Elapsed!.Value));
        Assert.Equal(("RUNNING", "BeginTime"), (requeued.State, requeued.Reason));
        Assert.Null(requeued.End); // "Unknown" while running
        Assert.Equal(Epoch(1796100298), requeued.Start);
        Assert.Equal("SUSPENDED", suspended.State);
        Assert.Equal(Epoch(1796100179), suspended.Start);
    }

    [Theory]
    [InlineData("real-pipe-in-name", 0)]
    [InlineData("real-empty-id-list", 17)]
    public void Parse_RealPipeInName_NameKeepsItsPipes(string name, int index)
    {
        var row = SacctParser.Parse(Text("sacct", name), CommandLine("sacct", name))[index];

        Assert.Equal("20", row.JobId);
        Assert.Equal("20", row.JobIdRaw);
        Assert.Equal("name|with|pipes", row.Name);
        Assert.Equal("COMPLETED", row.State);
        Assert.Equal("0:0", row.ExitCode);
        Assert.Equal("None", row.Reason);
        Assert.Equal(Epoch(1796100179), row.Submit);
        Assert.Equal(Epoch(1796100180), row.End);
        Assert.Equal("vm-2", row.NodeList);
        Assert.Equal("debug", row.Partition);
        Assert.Equal("autolab", row.Cluster);
    }

    [Fact]
    public void Parse_RealJustSubmitted2_PlaceholderRowWithEmptyPartition()
    {
        var row = Assert.Single(SacctParser.Parse(Text("sacct", "real-just-submitted-2"), Command));

        Assert.Equal("allocation", row.Name);
        Assert.Equal(string.Empty, row.Partition);
        Assert.Equal("COMPLETED", row.State);
    }

    [Fact]
    public void Parse_RealFinalDuplicates_RequeuedRowBeforeCurrentIncarnation()
    {
        var rows = SacctParser.Parse(Text("sacct", "real-final-duplicates"), Command).Where(r => r.JobId == "11").ToList();

        Assert.Equal(new[] { "REQUEUED", "CANCELLED by 0" }, rows.Select(r => r.State));
        Assert.Equal(Epoch(1796100159), rows[0].Submit);
        Assert.Equal(Epoch(1796100160), rows[1].Submit);
    }

    [Fact]
    public void Parse_RealWithSteps_StepRowsHaveEmptyDerivedExitCodeAndReason()
    {
        var rows = SacctParser.Parse(Text("sacct", "real-with-steps"), Command);
        var batch = rows.Single(r => r.JobId == "7.batch");
        var hetBatch = rows.Single(r => r.JobId == "4+0.batch");

        Assert.Equal(("7.batch", "batch", "FAILED", "15:0"), (batch.JobIdRaw, batch.Name, batch.State, batch.ExitCode));
        Assert.Equal(string.Empty, batch.DerivedExitCode);
        Assert.Equal(string.Empty, batch.Reason);
        Assert.Equal(string.Empty, batch.Partition);
        Assert.Equal("4.batch", hetBatch.JobIdRaw);
    }

    [Fact]
    public void Parse_RealDefaultTimeformat_TimesReadAsLocal()
    {
        var row = SacctParser.Parse(Text("sacct", "real-default-timeformat"), Command)[0];
        static DateTime Local(int h, int m, int s) => new(2026, 12, 1, h, m, s, DateTimeKind.Local);

        Assert.Equal(new DateTimeOffset(Local(4, 42, 29)).UtcDateTime, row.Submit!.Value.UtcDateTime);
        Assert.Equal(new DateTimeOffset(Local(4, 42, 30)).UtcDateTime, row.Start!.Value.UtcDateTime);
        Assert.Null(row.End);
    }

    [Theory]
    [MemberData(nameof(SyntheticFixtures))]
    public void Parse_SyntheticFixture_SameShapeAsCaptured(string file, string lastJobId, string lastState)
    {
        var text = Synthetic(file);

        var rows = SacctParser.Parse(text, Command);

        Assert.Equal(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, rows.Count);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Equal(13, l.Count(c => c == '|')));
        Assert.Equal(lastJobId, rows[^1].JobId);
        Assert.Equal(lastState, rows[^1].State);
    }

    [Fact]
    public void Parse_SyntheticOutOfMemory_ExitCodeKeptVerbatim()
    {
        var row = Assert.Single(SacctParser.Parse(Synthetic("sacct-out-of-memory.txt"), Command));

        Assert.Equal(("OUT_OF_MEMORY", "0:125"), (row.State, row.ExitCode));
    }

    [Theory]
    [InlineData("a|b")]
    [InlineData("|")]
    [InlineData("||||||")]
    [InlineData("x|COMPLETED|0:0|0:0|None|1|2|3|00:00:01|vm|debug|autolab")]
    [InlineData("")]
    [InlineData("name with spaces")]
    public void Parse_FreeTextName_FieldsRightOfNameStayAligned(string jobName)
    {
        var line = $"5|5|{jobName}|FAILED|3:0|0:0|None|1796100158|1796100159|1796100160|00:00:01|vm|debug|autolab\n";

        var row = Assert.Single(SacctParser.Parse(line, Command));

        Assert.Equal(jobName, row.Name);
        Assert.Equal(("FAILED", "3:0", "vm", "debug", "autolab"), (row.State, row.ExitCode, row.NodeList, row.Partition, row.Cluster));
        Assert.Equal(Epoch(1796100160), row.End);
    }

    [Fact]
    public void Parse_NameWithManyPipes_StillOneRow()
    {
        // A job name is the user's free text; one odd name must not make the whole answer unreadable.
        var jobName = string.Join('|', Enumerable.Range(0, 80).Select(i => "p" + i));
        var line = $"5|5|{jobName}|COMPLETED|0:0|0:0|None|1796100158|1796100159|1796100160|00:00:01|vm|debug|autolab";

        var row = Assert.Single(SacctParser.Parse(line, Command));

        Assert.Equal(jobName, row.Name);
        Assert.Equal("COMPLETED", row.State);
    }

    [Fact]
    public void Parse_CrLfLineEnds_SameAsLf()
    {
        var lf = Text("sacct", "real-id-notations");

        Assert.Equal(SacctParser.Parse(lf, Command), SacctParser.Parse(lf.Replace("\n", "\r\n", StringComparison.Ordinal), Command));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("sacct: error: Problem talking to the database: Connection refused")]
    [InlineData("1|2|3")]
    [InlineData("2|2|ok|COMPLETED|0:0|0:0|None|1796100149|1796100150|1796100150|00:00:00|vm|debug")]
    [InlineData("|2|ok|COMPLETED|0:0|0:0|None|1796100149|1796100150|1796100150|00:00:00|vm|debug|autolab")]
    [InlineData("JobID|JobIDRaw|JobName|State")]
    public void Parse_GarbageLine_SchedulerOutputInvalidNamingTheCommand(string line)
    {
        var error = Assert.Throws<AutolabException>(() => SacctParser.Parse(line + "\n", Command));

        Assert.Equal(ErrorIds.SchedulerOutputInvalid, error.ErrorId);
        Assert.Equal(AutolabErrorCategory.InvalidData, error.Category);
        Assert.Contains(Command, error.Message, StringComparison.Ordinal);
        Assert.Equal(Command, error.Target);
    }

    [Fact]
    public void Parse_GarbageAfterGoodRows_MessageNamesTheLine()
    {
        var text = Text("sacct", "real-malformed-ids-empty-item") + "Segmentation fault\n";

        var error = Assert.Throws<AutolabException>(() => SacctParser.Parse(text, Command));

        Assert.Equal(ErrorIds.SchedulerOutputInvalid, error.ErrorId);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("Segmentation fault", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\n\n  \n")]
    public void Parse_NoRows_Empty(string text)
    {
        Assert.Empty(SacctParser.Parse(text, Command));
    }

    [Fact]
    public void Format_SameFieldsAsTheCapture()
    {
        // The fixtures were captured with the module's field list; a change here makes them stale.
        Assert.Contains("--format=" + SacctParser.Format + " ", CommandLine("sacct", "real-final"), StringComparison.Ordinal);
    }

    private static SacctRow Row(string fixture, string jobId) =>
        SacctParser.Parse(Text("sacct", fixture), CommandLine("sacct", fixture)).Single(r => r.JobId == jobId);
}
