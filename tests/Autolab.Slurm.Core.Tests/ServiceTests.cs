using System.Text.Json.Nodes;
using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// RunManifestService and JobLedgerService against real temp repositories
/// (interface.md, Update-RunManifest and Update-SlurmJobList; autolab-contract.md, layout and ledger rules).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ServiceTests : IDisposable
{
    private const UnixFileMode Mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private const UnixFileMode Mode0444 = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const string RunDir = "experiments/plan/iter1/runs/run_001";
    private static readonly DateTimeOffset Now = Submitted.AddMinutes(30);
    private static readonly DateTime OldTime = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ManifestPath => _dir.Combine(RunDir, "run_manifest.json");

    private string RepoSchemaPath => _dir.Combine(".autolab", "schemas", "run_manifest.schema.json");

    private string LedgerPath => _dir.Combine("docs", "slurm_job_list.md");

    /// <summary>A repository: .autolab/ (with autolab's schema unless told otherwise) and one run manifest.</summary>
    private string Repo(string manifestText, bool autolab = true, bool repoSchema = true)
    {
        if (autolab)
        {
            Directory.CreateDirectory(_dir.Combine(".autolab"));
        }

        if (autolab && repoSchema)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(RepoSchemaPath)!);
            File.Copy(TestPaths.AutolabManifestSchema, RepoSchemaPath);
        }

        return _dir.Write(RunDir + "/run_manifest.json", manifestText);
    }

    private static RunManifestService ManifestService(DateTimeOffset? now = null) =>
        new(TestPaths.BundledManifestSchema, SlurmStateTable.Load(TestPaths.StateTable), new FixedClock(now ?? Now))
        {
            LockTimeout = TimeSpan.FromSeconds(5),
        };

    private static JobLedgerService LedgerService(DateTimeOffset? now = null) =>
        new(new FixedClock(now ?? Now)) { LockTimeout = TimeSpan.FromSeconds(5) };

    private static JobStateInput Running(DateTimeOffset? observedAt = null) =>
        new(Job(JobStatus.Running, "RUNNING", observedAt: observedAt ?? Now));

    private static string[] Names(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    private static string WithEdit(Action<JsonObject> edit)
    {
        var manifest = Launch();
        edit(manifest);
        return ToText(manifest);
    }

    // ---------------------------------------------------------------- RunManifestService: errors

    [Fact]
    public void Plan_MissingManifest_ManifestNotFoundNamingTheFile()
    {
        Directory.CreateDirectory(_dir.Combine(".autolab"));

        var ex = Assert.Throws<AutolabException>(() => ManifestService().Plan(ManifestPath, Running()));

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.Contains(ManifestPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_MissingManifest_ManifestNotFoundAndNothingCreated()
    {
        Directory.CreateDirectory(_dir.Combine(".autolab"));

        var ex = Assert.Throws<AutolabException>(() => ManifestService().Apply(ManifestPath, Running(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.ManifestNotFound, ex.ErrorId);
        Assert.False(File.Exists(ManifestPath));
    }

    /// <summary>Apply checks the file against the plan (by hash, not by reading it whole): a change made after the plan is planned again, never overwritten.</summary>
    [Fact]
    public void Apply_FileChangedAfterThePlan_PlannedAgainFromTheCurrentText()
    {
        var path = Repo(Launch().ToJsonString());
        var service = ManifestService();
        var plan = service.Plan(path, Running());
        File.WriteAllText(path, WithEdit(m => m["note_by_someone_else"] = "kept"));

        var applied = service.Apply(plan, path, Running(), null, CancellationToken.None);

        var written = Parse(File.ReadAllText(path));
        Assert.Equal("kept", Str(written["note_by_someone_else"]));
        Assert.Equal("running", Str(written["status"]));
        Assert.NotSame(plan, applied);
    }

    [Fact]
    public void Apply_FileUnchangedAfterThePlan_ThePlanItselfIsWritten()
    {
        var path = Repo(Launch().ToJsonString());
        var service = ManifestService();
        var plan = service.Plan(path, Running());

        var applied = service.Apply(plan, path, Running(), null, CancellationToken.None);

        Assert.Same(plan, applied);
        Assert.Equal(plan.NewText, File.ReadAllText(path));
    }

    [Theory]
    [InlineData("{\"run_id\": \"run_001\",")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("[{\"run_id\": \"run_001\"}]")]
    [InlineData("[]")]
    [InlineData("\"run_001\"")]
    [InlineData("null")]
    [InlineData("42")]
    public void Apply_InvalidJsonOrNotAnObject_ManifestInvalidJsonFileUntouched(string text)
    {
        var path = Repo(text);
        var before = File.ReadAllBytes(path);

        var planEx = Assert.Throws<AutolabException>(() => ManifestService().Plan(path, Running()));
        var applyEx = Assert.Throws<AutolabException>(() => ManifestService().Apply(path, Running(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.ManifestInvalidJson, planEx.ErrorId);
        Assert.Equal(ErrorIds.ManifestInvalidJson, applyEx.ErrorId);
        Assert.Contains(path, applyEx.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Apply_ResultWouldNotValidate_ManifestSchemaViolationFileByteForByte(bool repoSchema)
    {
        var path = Repo(WithEdit(m => m["schema_version"] = "2.0"), repoSchema: repoSchema);
        File.SetLastWriteTimeUtc(path, OldTime);
        var before = File.ReadAllBytes(path);

        var ex = Assert.Throws<AutolabException>(() => ManifestService().Apply(path, Running(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.ManifestSchemaViolation, ex.ErrorId);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(path));
        Assert.Equal(new[] { "run_manifest.json" }, Names(_dir.Combine(RunDir)));
    }

    [Fact]
    public void Apply_JobStateOfAnotherJob_JobIdMismatchFileUntouched()
    {
        var path = Repo(LaunchJson);
        var before = File.ReadAllBytes(path);

        var ex = Assert.Throws<AutolabException>(() =>
            ManifestService().Apply(path, new JobStateInput(Job(JobStatus.Failed, "FAILED", jobId: "99999")), null, CancellationToken.None));

        Assert.Equal(ErrorIds.JobIdMismatch, ex.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Apply_ReadOnlyManifest_FileReadOnlyAndUnchanged()
    {
        var path = Repo(LaunchJson);
        File.SetUnixFileMode(path, Mode0444);
        var before = File.ReadAllBytes(path);

        var ex = Assert.Throws<AutolabException>(() => ManifestService().Apply(path, Running(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(Mode0444, File.GetUnixFileMode(path));
    }

    // ---------------------------------------------------------------- RunManifestService: writes

    [Fact]
    public void Apply_Transition_WritesOwnedChangeKeepsModeNoBomNoTempNoLockBeside()
    {
        var path = Repo(LaunchJson);
        File.SetUnixFileMode(path, Mode0640);

        var plan = ManifestService().Apply(path, Running(), null, CancellationToken.None);

        Assert.True(plan.Changed);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)'{', bytes[0]);
        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.NotEqual((byte)'\n', bytes[^2]);
        var text = File.ReadAllText(path);
        Assert.Equal(plan.NewText, text);
        Assert.Equal("running", Str(Parse(text)["status"]));
        Assert.Equal("RUNNING", Str(Parse(text)["slurm"]!["state"]));
        Assert.Equal(Mode0640, File.GetUnixFileMode(path));
        Assert.Equal(new[] { "run_manifest.json" }, Names(_dir.Combine(RunDir)));
    }

    [Fact]
    public void Apply_SecondPassLearnsNothing_NoRewriteBytesAndMtimeUnchanged()
    {
        var path = Repo(LaunchJson);
        ManifestService().Apply(path, Running(Now), null, CancellationToken.None);
        File.SetLastWriteTimeUtc(path, OldTime);
        var before = File.ReadAllBytes(path);

        var plan = ManifestService(Now.AddMinutes(10)).Apply(path, Running(Now.AddMinutes(10)), null, CancellationToken.None);

        Assert.False(plan.Changed);
        Assert.False(plan.Update.Changed);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Apply_NothingNewInAFileNotInPythonLayout_FileNotReformatted()
    {
        // A compact file whose owned values already say what the job state says: no change, so no rewrite.
        var compact = Parse(WithEdit(m =>
        {
            m["status"] = "running";
            m["slurm"]!["state"] = "RUNNING";
            m["slurm"]!["raw_state"] = "RUNNING";
            m["slurm"]!["source"] = "sacct";
            m["slurm"]!["observed_at"] = "2026-01-01T00:10:00Z";
        })).ToJsonString();
        var path = Repo(compact);
        File.SetLastWriteTimeUtc(path, OldTime);

        var plan = ManifestService().Apply(path, Running(), null, CancellationToken.None);

        Assert.False(plan.Changed);
        Assert.Equal(compact, File.ReadAllText(path));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Plan_Only_WritesNothing()
    {
        var path = Repo(LaunchJson);
        File.SetLastWriteTimeUtc(path, OldTime);

        var plan = ManifestService().Plan(path, Running());

        Assert.True(plan.Changed);
        Assert.Equal(LaunchJson, File.ReadAllText(path));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(path));
    }

    // ---------------------------------------------------------------- RunManifestService: schema choice

    [Fact]
    public void ResolveSchemaPath_RepoSchemaPresent_PreferredOverBundled()
    {
        var path = Repo(LaunchJson);

        Assert.Equal(RepoSchemaPath, ManifestService().ResolveSchemaPath(path, null));
    }

    [Fact]
    public void ResolveSchemaPath_NoRepoSchema_BundledFallback()
    {
        var path = Repo(LaunchJson, repoSchema: false);

        Assert.Equal(TestPaths.BundledManifestSchema, ManifestService().ResolveSchemaPath(path, null));
    }

    [Fact]
    public void ResolveSchemaPath_ExplicitPath_Wins()
    {
        var path = Repo(LaunchJson);
        var explicitSchema = _dir.Write("my.schema.json", File.ReadAllText(TestPaths.AutolabManifestSchema));

        Assert.Equal(explicitSchema, ManifestService().ResolveSchemaPath(path, explicitSchema));
    }

    [Fact]
    public void Apply_StricterRepoSchema_IsTheOneEnforced()
    {
        // The repo schema also requires "repo_marker"; the bundled one would accept the update.
        var schema = JsonNode.Parse(File.ReadAllText(TestPaths.AutolabManifestSchema))!.AsObject();
        ((JsonArray)schema["required"]!).Add("repo_marker");
        var path = Repo(LaunchJson);
        File.WriteAllText(RepoSchemaPath, schema.ToJsonString());
        var before = File.ReadAllBytes(path);

        var ex = Assert.Throws<AutolabException>(() => ManifestService().Apply(path, Running(), null, CancellationToken.None));

        Assert.Equal(ErrorIds.ManifestSchemaViolation, ex.ErrorId);
        Assert.Contains(RepoSchemaPath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Apply_LaxerRepoSchema_AcceptsWhatTheBundledWouldRefuse()
    {
        // The repo schema allows schema_version "2.0"; the bundled schema refuses it.
        var schema = JsonNode.Parse(File.ReadAllText(TestPaths.AutolabManifestSchema))!.AsObject();
        schema["properties"]!["schema_version"] = new JsonObject { ["type"] = "string" };
        var path = Repo(WithEdit(m => m["schema_version"] = "2.0"));
        File.WriteAllText(RepoSchemaPath, schema.ToJsonString());

        var plan = ManifestService().Apply(path, Running(), null, CancellationToken.None);

        Assert.True(plan.Changed);
        Assert.Equal("running", Str(Parse(File.ReadAllText(path))["status"]));
    }

    // ---------------------------------------------------------------- JobLedgerService

    [Fact]
    public void LedgerApply_NoAutolabAboveAndNoLedgerPath_RepositoryRootNotFoundNothingWritten()
    {
        var path = Repo(LaunchJson, autolab: false);

        var applyEx = Assert.Throws<AutolabException>(() => LedgerService().Apply(path, null, null, CancellationToken.None));
        var planEx = Assert.Throws<AutolabException>(() => LedgerService().Plan(path, null, null));

        Assert.Equal(ErrorIds.RepositoryRootNotFound, applyEx.ErrorId);
        Assert.Equal(ErrorIds.RepositoryRootNotFound, planEx.ErrorId);
        Assert.Equal(new[] { "experiments" }, Names(_dir.Path));
        Assert.Equal(new[] { "run_manifest.json" }, Names(_dir.Combine(RunDir)));
    }

    [Fact]
    public void LedgerApply_ExplicitLedgerPathWithoutRepository_WritesOnlyTheLedgerThere()
    {
        var path = Repo(LaunchJson, autolab: false);
        var ledger = _dir.Combine("elsewhere", "ledger.md");

        var plan = LedgerService().Apply(path, ledger, null, CancellationToken.None);

        Assert.Equal(LedgerAction.Added, plan.Entry.Action);
        Assert.Equal("# SLURM Job Ledger\n\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n", File.ReadAllText(ledger));
        Assert.Equal(new[] { "ledger.md" }, Names(_dir.Combine("elsewhere")));
    }

    [Fact]
    public void LedgerApply_NewLedger_AddedWithHeaderAndLockUnderAutolabLocks()
    {
        var path = Repo(LaunchJson);

        var plan = LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(LedgerAction.Added, plan.Entry.Action);
        Assert.Equal(LedgerPath, plan.Entry.LedgerPath);
        Assert.Equal("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted", plan.Entry.Line);
        Assert.Equal("run_001", plan.Entry.RunId);
        Assert.Equal("iter1", plan.Entry.IterationId);
        Assert.Equal("12345", plan.Entry.JobId);
        Assert.Equal("submitted", plan.Entry.Status);
        Assert.Equal("2026-01-01", plan.Entry.Date);
        Assert.Equal("# SLURM Job Ledger\n\n" + plan.Entry.Line + "\n", File.ReadAllText(LedgerPath));
        Assert.Equal(new[] { "slurm_job_list.md" }, Names(_dir.Combine("docs")));
        Assert.NotEmpty(Names(_dir.Combine(".autolab", "locks")));
    }

    [Fact]
    public void LedgerApply_StaleTempInDocs_RemovedSoDocsHoldsOnlyTheLedger()
    {
        var path = Repo(LaunchJson);
        _dir.Write("docs/slurm_job_list.md", "# SLURM Job Ledger\n\n");
        _dir.Write("docs/.slurm_job_list.md.999-deadbeef.autolab-tmp", "left by a killed writer");

        LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(new[] { "slurm_job_list.md" }, Names(_dir.Combine("docs")));
    }

    [Fact]
    public void LedgerApply_NonSlurmManifest_UnchangedAndNoLedgerCreated()
    {
        var path = Repo(WithEdit(m =>
        {
            m["host_mode"] = "local";
            m["launch_mode"] = "local";
            m.Remove("job_id");
            m.Remove("slurm");
            m["resource_request"] = new JsonObject { ["cpus"] = 1 };
        }));

        var plan = LedgerService().Apply(path, null, "a note that must not be written.", CancellationToken.None);

        Assert.False(plan.IsSlurmRun);
        Assert.False(plan.Changed);
        Assert.Equal(LedgerAction.Unchanged, plan.Entry.Action);
        Assert.False(File.Exists(LedgerPath));
        Assert.False(Directory.Exists(_dir.Combine("docs")));
    }

    [Fact]
    public void LedgerApply_SlurmManifestWithoutJobId_JobIdMissingNoLedger()
    {
        var path = Repo(WithEdit(m =>
        {
            m.Remove("job_id");
            m["slurm"] = new JsonObject { ["partition"] = "gpu" };
            m["resource_request"] = new JsonObject { ["cpus"] = 1 };
        }));

        var ex = Assert.Throws<AutolabException>(() => LedgerService().Apply(path, null, null, CancellationToken.None));

        Assert.Equal(ErrorIds.JobIdMissing, ex.ErrorId);
        Assert.False(File.Exists(LedgerPath));
    }

    [Fact]
    public void LedgerApply_SecondPass_UnchangedAndNotRewritten()
    {
        var path = Repo(LaunchJson);
        LedgerService().Apply(path, null, null, CancellationToken.None);
        File.SetLastWriteTimeUtc(LedgerPath, OldTime);
        var before = File.ReadAllBytes(LedgerPath);

        var plan = LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(LedgerAction.Unchanged, plan.Entry.Action);
        Assert.False(plan.Changed);
        Assert.Equal(before, File.ReadAllBytes(LedgerPath));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(LedgerPath));
    }

    [Fact]
    public void LedgerApply_AfterManifestUpdate_LineRewrittenInPlaceAndEqualsTheManifestLine()
    {
        var path = Repo(LaunchJson);
        var otherLine = "- 2025-12-31 | job_id=1 | iteration_id=iter0 | run_id=run_000 | status=synced";
        _dir.Write("docs/slurm_job_list.md", "# SLURM Job Ledger\n\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n" + otherLine + "\n");

        ManifestService().Apply(path, new JobStateInput(Job(JobStatus.Failed, "OUT_OF_MEMORY", end: Now, exitCode: 0, signal: 9)), null, CancellationToken.None);
        var plan = LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(LedgerAction.Updated, plan.Entry.Action);
        var expectedLine = LedgerLine.Build(RunManifestDocument.Load(path)).Line;
        Assert.Equal("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=failed", expectedLine);
        Assert.Equal("# SLURM Job Ledger\n\n" + expectedLine + "\n" + otherLine + "\n", File.ReadAllText(LedgerPath));
    }

    [Fact]
    public void LedgerApply_WithNote_NoteUnderTheEntryAtClockTime()
    {
        var path = Repo(LaunchJson);

        var plan = LedgerService().Apply(path, null, "job 12345 vanished from sacct and squeue.", CancellationToken.None);

        Assert.True(plan.Entry.NoteAdded);
        Assert.Equal(
            "# SLURM Job Ledger\n\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n" +
            "  - note: 2026-01-01T00:30:00Z job 12345 vanished from sacct and squeue.\n",
            File.ReadAllText(LedgerPath));
    }

    [Fact]
    public void LedgerApply_ReadOnlyLedger_FileReadOnlyAndUnchanged()
    {
        var path = Repo(LaunchJson);
        var ledger = _dir.Write("docs/slurm_job_list.md", "# SLURM Job Ledger\n\n");
        File.SetUnixFileMode(ledger, Mode0444);

        var ex = Assert.Throws<AutolabException>(() => LedgerService().Apply(path, null, null, CancellationToken.None));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Equal("# SLURM Job Ledger\n\n", File.ReadAllText(ledger));
    }

    [Fact]
    public void LedgerApply_CrlfLedgerInRepository_KeptCrlf()
    {
        var path = Repo(WithEdit(m => m["status"] = "running"));
        var crlf = "# SLURM Job Ledger\r\n\r\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\r\n";
        _dir.Write("docs/slurm_job_list.md", crlf);

        LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(
            "# SLURM Job Ledger\r\n\r\n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=running\r\n",
            File.ReadAllText(LedgerPath));
    }

    [Fact]
    public void LedgerApply_LedgerWithBom_OtherLinesStayByteForByte()
    {
        // "Every line that is not this run's entry or its notes stays byte-for-byte": the first line's
        // bytes include the BOM an editor may have written.
        var path = Repo(WithEdit(m => m["status"] = "running"));
        var header = new byte[] { 0xEF, 0xBB, 0xBF }.Concat("# SLURM Job Ledger\n\n"u8.ToArray()).ToArray();
        var entry = "- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n"u8.ToArray();
        Directory.CreateDirectory(_dir.Combine("docs"));
        File.WriteAllBytes(LedgerPath, header.Concat(entry).ToArray());

        LedgerService().Apply(path, null, null, CancellationToken.None);

        var expected = header.Concat("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=running\n"u8.ToArray()).ToArray();
        Assert.Equal(expected, File.ReadAllBytes(LedgerPath));
    }

    [Fact]
    public void LedgerApply_OtherLineWithNonUtf8Bytes_KeptByteForByteOrRefusedUntouched()
    {
        // A hand-edited line in Latin-1 (0xE9 = 'é'). Either outcome honours the contract: the line is
        // kept byte-for-byte, or the ledger is refused with an Autolab error and left as it was.
        // Silently turning the byte into U+FFFD would not.
        var path = Repo(WithEdit(m => m["status"] = "running"));
        var latin1Line = new List<byte>();
        latin1Line.AddRange("caf"u8.ToArray());
        latin1Line.Add(0xE9);
        latin1Line.Add((byte)'\n');
        var before = "# SLURM Job Ledger\n\n"u8.ToArray()
            .Concat(latin1Line)
            .Concat("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted\n"u8.ToArray())
            .ToArray();
        Directory.CreateDirectory(_dir.Combine("docs"));
        File.WriteAllBytes(LedgerPath, before);

        AutolabException? refused = null;
        try
        {
            LedgerService().Apply(path, null, null, CancellationToken.None);
        }
        catch (AutolabException ex)
        {
            refused = ex;
        }

        var after = File.ReadAllBytes(LedgerPath);
        if (refused is not null)
        {
            Assert.Equal(before, after);
        }
        else
        {
            var expected = "# SLURM Job Ledger\n\n"u8.ToArray()
                .Concat(latin1Line)
                .Concat("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=running\n"u8.ToArray())
                .ToArray();
            Assert.Equal(expected, after);
        }
    }

    [Fact]
    public void LedgerApply_PlanMadeBeforeAnotherWriter_NoEntryLost()
    {
        var pathA = Repo(LaunchJson);
        var pathB = _dir.Write("experiments/plan/iter1/runs/run_002/run_manifest.json", WithEdit(m =>
        {
            m["run_id"] = "run_002";
            m["job_id"] = "12346";
            m["slurm"]!["job_id"] = "12346";
            m["resource_request"]!["job_id"] = "12346";
            m["resource_request"]!["slurm"]!["job_id"] = "12346";
        }));
        var service = LedgerService();
        var planA = service.Plan(pathA, null, null);

        service.Apply(pathB, null, null, CancellationToken.None);
        service.Apply(planA, null, CancellationToken.None);

        var lines = File.ReadAllLines(LedgerPath);
        Assert.Equal(1, lines.Count(l => l == "# SLURM Job Ledger"));
        Assert.Contains("- 2026-01-01 | job_id=12346 | iteration_id=iter1 | run_id=run_002 | status=submitted", lines);
        Assert.Contains("- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted", lines);
    }

    [Fact]
    public async Task LedgerApply_ManyRunsInParallel_EveryEntryWrittenOnce()
    {
        Directory.CreateDirectory(_dir.Combine(".autolab"));
        var paths = Enumerable.Range(1, 12).Select(i =>
        {
            var id = (20000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return _dir.Write($"experiments/plan/iter1/runs/run_{i:D3}/run_manifest.json", WithEdit(m =>
            {
                m["run_id"] = $"run_{i:D3}";
                m["job_id"] = id;
                m["slurm"]!["job_id"] = id;
                m["resource_request"]!["job_id"] = id;
                m["resource_request"]!["slurm"]!["job_id"] = id;
            }));
        }).ToArray();

        await Task.WhenAll(paths.Select(p => Task.Run(() => LedgerService().Apply(p, null, null, CancellationToken.None))));

        var lines = File.ReadAllLines(LedgerPath);
        Assert.Equal("# SLURM Job Ledger", lines[0]);
        Assert.Equal(1, lines.Count(l => l == "# SLURM Job Ledger"));
        for (var i = 1; i <= 12; i++)
        {
            Assert.Equal(1, lines.Count(l => l.Contains($"| run_id=run_{i:D3} |", StringComparison.Ordinal)));
        }

        Assert.Equal(new[] { "slurm_job_list.md" }, Names(_dir.Combine("docs")));
    }

    [Fact]
    public void Apply_PlanMadeBeforeAnotherWriter_OtherWritersChangeNotLost()
    {
        // A plan computed from the submitted manifest must not overwrite a failure written meanwhile.
        var path = Repo(LaunchJson);
        var service = ManifestService();
        var stalePlan = service.Plan(path, Running());
        service.Apply(path, new JobStateInput(Job(JobStatus.Failed, "FAILED", end: Now, exitCode: 1)), null, CancellationToken.None);

        service.Apply(stalePlan, path, Running(), null, CancellationToken.None);

        var manifest = Parse(File.ReadAllText(path));
        Assert.Equal("failed", Str(manifest["status"]));
        Assert.Equal("FAILED", Str(manifest["failure"]!["state"]));
    }

    [Fact]
    public void LedgerPlan_Only_WritesNothing()
    {
        var path = Repo(LaunchJson);

        var plan = LedgerService().Plan(path, null, "a note.");

        Assert.True(plan.Changed);
        Assert.Equal(LedgerAction.Added, plan.Entry.Action);
        Assert.False(Directory.Exists(_dir.Combine("docs")));
    }

    [Fact]
    public void LedgerApply_ManifestBelowNestedRepository_UsesTheNearestAutolabRoot()
    {
        // The repository root is the nearest parent of the manifest that holds .autolab/.
        Directory.CreateDirectory(_dir.Combine(".autolab"));
        var inner = _dir.Combine("inner");
        Directory.CreateDirectory(Path.Combine(inner, ".autolab"));
        var path = _dir.Write("inner/" + RunDir + "/run_manifest.json", LaunchJson);

        var plan = LedgerService().Apply(path, null, null, CancellationToken.None);

        Assert.Equal(Path.Combine(inner, "docs", "slurm_job_list.md"), plan.Entry.LedgerPath);
        Assert.True(File.Exists(Path.Combine(inner, "docs", "slurm_job_list.md")));
        Assert.False(Directory.Exists(_dir.Combine("docs")));
    }
}
