using System.Text;
using System.Text.Json.Nodes;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Stage;
using Xunit;
using static Autolab.Slurm.Core.Tests.Stage.StageTestSupport;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// .autolab/state.json (autolab-contract.md, "state.json"): read and validated; with -UpdateState only
/// sync_status, stage_attempt (0) and stage (extract_results when advancing) are written, every other key
/// is kept in place, the write is atomic, keeps the mode, and a read-only file is refused.
/// </summary>
public sealed class AutolabStateTests : IDisposable
{
    /// <summary>
    /// A state as autolab writes it (json.dumps indent=2), with optional keys, an unknown key holding a
    /// float and literal non-ASCII / HTML-ish text, a history, and pending_run_id.
    /// </summary>
    private const string RichState = """
        {
          "iteration_id": "iter1",
          "experiment_id": "exp1",
          "stage": "slurm_monitor",
          "stage_attempt": 2,
          "last_run_id": "run_001",
          "pending_run_id": "run_002",
          "sync_status": "pending",
          "max_stage_attempts": 3,
          "max_total_iterations": 10,
          "run_group": [
            "run_002_r1",
            "run_002_r2"
          ],
          "custom_tool": {
            "ratio": 1.0,
            "note": "café <a> & b + 'c'",
            "flags": []
          },
          "history": [
            {
              "stage": "launch",
              "status": "complete",
              "at": "2026-01-01T00:00:00Z"
            }
          ],
          "zz_last_unknown": null
        }

        """;

    private readonly TempDir _repo = new();

    public void Dispose() => _repo.Dispose();

    private string StatePath => _repo.Combine(".autolab", "state.json");

    private AutolabState Load() => AutolabState.Load(_repo.Path, StateSchema);

    private AutolabException LoadFails() => Assert.Throws<AutolabException>(Load);

    private static string[] Keys(string json) => JsonNode.Parse(json)!.AsObject().Select(p => p.Key).ToArray();

    // ---- Load: missing and invalid files ----

    [Fact]
    public void Load_NoStateFile_StateNotFoundNamingThePath()
    {
        Directory.CreateDirectory(_repo.Combine(".autolab"));

        var ex = LoadFails();

        Assert.Equal(ErrorIds.StateNotFound, ex.ErrorId);
        Assert.Contains(StatePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StateIsAFolder_StateInvalidSayingSo()
    {
        Directory.CreateDirectory(StatePath);

        var ex = LoadFails();

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains($"'{StatePath}' is a folder", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(StatePath));
    }

    [Fact]
    public void Load_NoAutolabFolder_StateNotFound()
    {
        Assert.Equal(ErrorIds.StateNotFound, LoadFails().ErrorId);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"iteration_id\": \"iter1\",}")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("[{\"iteration_id\": \"iter1\"}]")]
    [InlineData("\"iter1\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void Load_NotAJsonObject_StateInvalidNamingThePath(string text)
    {
        WriteStateText(_repo, text);

        var ex = LoadFails();

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains(StatePath, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iteration_id")]
    [InlineData("stage")]
    [InlineData("stage_attempt")]
    [InlineData("last_run_id")]
    [InlineData("sync_status")]
    [InlineData("max_stage_attempts")]
    [InlineData("max_total_iterations")]
    public void Load_RequiredKeyMissing_StateInvalid(string key)
    {
        var state = State();
        Assert.True(state.Remove(key));
        WriteState(_repo, state);

        var ex = LoadFails();

        Assert.Equal(ErrorIds.StateInvalid, ex.ErrorId);
        Assert.Contains(StatePath, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stage", "\"monitoring\"")] // not one of autolab's stages
    [InlineData("stage", "\"Slurm_Monitor\"")]
    [InlineData("stage", "\"\"")]
    [InlineData("stage", "3")]
    [InlineData("stage_attempt", "-1")]
    [InlineData("stage_attempt", "\"0\"")]
    [InlineData("stage_attempt", "1.5")]
    [InlineData("iteration_id", "\"\"")]
    [InlineData("iteration_id", "7")]
    [InlineData("last_run_id", "null")]
    [InlineData("sync_status", "1")]
    [InlineData("max_stage_attempts", "0")]
    [InlineData("max_total_iterations", "0")]
    public void Load_RequiredKeyWrongValue_StateInvalid(string key, string valueJson)
    {
        var state = State();
        state[key] = JsonNode.Parse(valueJson);
        WriteState(_repo, state);

        Assert.Equal(ErrorIds.StateInvalid, LoadFails().ErrorId);
    }

    [Theory]
    [InlineData("hypothesis")]
    [InlineData("design")]
    [InlineData("implementation")]
    [InlineData("implementation_review")]
    [InlineData("launch")]
    [InlineData("slurm_monitor")]
    [InlineData("extract_results")]
    [InlineData("update_docs")]
    [InlineData("decide_repeat")]
    [InlineData("human_review")]
    [InlineData("stop")]
    public void Load_EveryAutolabStage_Accepted(string stage)
    {
        var state = State();
        state["stage"] = stage;
        WriteState(_repo, state);

        Assert.Equal(stage, Load().Stage);
    }

    [Fact]
    public void Load_ValidState_ExposesItsFields()
    {
        WriteStateText(_repo, RichState);

        var state = Load();

        Assert.Equal("iter1", state.IterationId);
        Assert.Equal("slurm_monitor", state.Stage);
        Assert.Equal("run_001", state.LastRunId);
        Assert.Equal("run_002", state.PendingRunId);
        Assert.Equal("exp1", state.ExperimentId);
        Assert.Equal(StatePath, state.Path);
        Assert.Equal(RichState, state.OriginalText);
    }

    [Fact]
    public void Load_EmptyOptionalRunIds_Null()
    {
        var state = State(lastRunId: "");
        state["pending_run_id"] = "";
        WriteState(_repo, state);

        var loaded = Load();

        Assert.Null(loaded.LastRunId);
        Assert.Null(loaded.PendingRunId);
    }

    // ---- RunGroup ----

    [Theory]
    [InlineData("\"run_a\"")]
    [InlineData("{\"run_a\": true}")]
    [InlineData("7")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[]")]
    public void RunGroup_NotANonEmptyList_Empty(string valueJson)
    {
        var state = State();
        state["run_group"] = JsonNode.Parse(valueJson);
        WriteState(_repo, state);

        Assert.Empty(Load().RunGroup);
    }

    [Fact]
    public void RunGroup_Absent_Empty()
    {
        WriteState(_repo, State());

        Assert.Empty(Load().RunGroup);
    }

    [Theory]
    [InlineData("[\"r1\", \"r2\", \"r3\"]", "r1,r2,r3")]
    [InlineData("[\"r1\", \"\", \"r2\", \"   \"]", "r1,r2")] // blanks dropped
    [InlineData("[\"r1\", \"r2\", \"r1\", \"r2\", \"r3\"]", "r1,r2,r3")] // duplicates removed, first order kept
    [InlineData("[\"r2\", \"r1\"]", "r2,r1")] // order as written
    [InlineData("[\"r1\", 5, null, {\"id\": \"r9\"}, \"r2\"]", "r1,r2")] // non-strings are not run ids
    [InlineData("[\"\", \" \"]", "")]
    public void RunGroup_List_NonEmptyStringsOnceEach(string valueJson, string expected)
    {
        var state = State();
        state["run_group"] = JsonNode.Parse(valueJson);
        WriteState(_repo, state);

        var expectedIds = expected.Length == 0 ? Array.Empty<string>() : expected.Split(',');
        Assert.Equal(expectedIds, Load().RunGroup);
    }

    // ---- Update: what it writes ----

    [Fact]
    public void Update_Advance_WritesSyncStatusAttemptZeroAndExtractResults()
    {
        WriteStateText(_repo, RichState);

        Assert.True(Load().Update("completed", advance: true, StateSchema));

        var written = JsonNode.Parse(File.ReadAllText(StatePath))!.AsObject();
        Assert.Equal("completed", written["sync_status"]!.GetValue<string>());
        Assert.Equal(0, written["stage_attempt"]!.GetValue<int>());
        Assert.Equal("extract_results", written["stage"]!.GetValue<string>());
    }

    [Fact]
    public void Update_NoAdvance_StageKept()
    {
        WriteStateText(_repo, RichState);

        Assert.True(Load().Update("syncing", advance: false, StateSchema));

        var written = JsonNode.Parse(File.ReadAllText(StatePath))!.AsObject();
        Assert.Equal("slurm_monitor", written["stage"]!.GetValue<string>());
        Assert.Equal("syncing", written["sync_status"]!.GetValue<string>());
        Assert.Equal(0, written["stage_attempt"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("completed", true)]
    [InlineData("syncing", false)]
    [InlineData(null, false)]
    public void WouldChange_AgreesWithUpdateAndWritesNothing(string? syncStatus, bool advance)
    {
        WriteStateText(_repo, RichState);
        var bytes = File.ReadAllBytes(StatePath);

        var would = Load().WouldChange(syncStatus, advance);

        Assert.Equal(bytes, File.ReadAllBytes(StatePath));
        Assert.Equal(Load().Update(syncStatus, advance, StateSchema), would);
        Assert.False(Load().WouldChange(syncStatus, advance), "once written, the same update changes nothing");
    }

    [Fact]
    public void WouldChange_StateAlreadyThere_False()
    {
        WriteStateText(_repo, RichState.Replace("\"stage_attempt\": 2", "\"stage_attempt\": 0", StringComparison.Ordinal).Replace("\"sync_status\": \"pending\"", "\"sync_status\": \"syncing\"", StringComparison.Ordinal));

        Assert.False(Load().WouldChange("syncing", advance: false));
    }

    [Fact]
    public void Update_AnyChange_EveryOtherKeyKeptInPlaceAndOrder()
    {
        WriteStateText(_repo, RichState);

        Load().Update("completed", advance: true, StateSchema);

        var text = File.ReadAllText(StatePath);
        Assert.Equal(Keys(RichState), Keys(text));
        var before = JsonNode.Parse(RichState)!.AsObject();
        var after = JsonNode.Parse(text)!.AsObject();
        foreach (var (key, value) in before)
        {
            if (key is "sync_status" or "stage_attempt" or "stage")
            {
                continue;
            }

            Assert.True(JsonNode.DeepEquals(value, after[key]), $"'{key}' changed: {value?.ToJsonString()} -> {after[key]?.ToJsonString()}");
        }

        // The orchestrator's keys are never touched.
        Assert.Equal("run_002", after["pending_run_id"]!.GetValue<string>());
        Assert.Single(after["history"]!.AsArray());
    }

    [Fact]
    public void Update_AnyChange_UnownedValuesKeepTheirExactText()
    {
        WriteStateText(_repo, RichState);

        Load().Update("completed", advance: true, StateSchema);

        var text = File.ReadAllText(StatePath);
        Assert.Contains("\"ratio\": 1.0", text, StringComparison.Ordinal);
        Assert.Contains("\"note\": \"café <a> & b + 'c'\"", text, StringComparison.Ordinal);
        Assert.Contains("\"zz_last_unknown\": null", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_AnyChange_Utf8WithoutBomAndOneTrailingNewline()
    {
        WriteStateText(_repo, RichState);

        Load().Update("completed", advance: true, StateSchema);

        var bytes = File.ReadAllBytes(StatePath);
        Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "the file starts with a BOM");
        var text = new UTF8Encoding(false, true).GetString(bytes);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.False(text.EndsWith("\n\n", StringComparison.Ordinal), "more than one trailing newline");
    }

    [Fact]
    public void Update_OnlyTheOwnedValuesDiffer_OtherLinesUnchanged()
    {
        // RichState is already in autolab's layout, so the rewrite differs in exactly the owned lines.
        WriteStateText(_repo, RichState);

        Load().Update("completed", advance: true, StateSchema);

        var before = RichState.Split('\n');
        var after = File.ReadAllText(StatePath).Split('\n');
        Assert.Equal(before.Length, after.Length);
        var differing = before.Zip(after).Where(p => p.First != p.Second).Select(p => p.Second.Trim()).ToArray();
        Assert.Equal(new[] { "\"stage\": \"extract_results\",", "\"stage_attempt\": 0,", "\"sync_status\": \"completed\"," }, differing);
    }

    [Fact]
    public void Update_StageAlreadyElsewhereAndNoAdvance_StageNotTouched()
    {
        var state = State();
        state["stage"] = "human_review";
        WriteState(_repo, state);

        Load().Update("pending", advance: false, StateSchema);

        Assert.Equal("human_review", JsonNode.Parse(File.ReadAllText(StatePath))!["stage"]!.GetValue<string>());
    }

    [Fact]
    public void Update_Change_NoTempFileLeft()
    {
        WriteStateText(_repo, RichState);

        Assert.True(Load().Update("completed", advance: true, StateSchema));

        var files = Directory.GetFiles(_repo.Combine(".autolab")).Select(Path.GetFileName).ToArray();
        Assert.Equal(new[] { "state.json" }, files);
    }

    [Theory]
    [InlineData(0b110_100_000)] // 0640
    [InlineData(0b110_000_000)] // 0600
    [InlineData(0b110_110_100)] // 0664
    public void Update_Change_KeepsTheFileMode(int mode)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        WriteStateText(_repo, RichState);
        File.SetUnixFileMode(StatePath, (UnixFileMode)mode);

        Assert.True(Load().Update("completed", advance: true, StateSchema));

        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(StatePath));
    }

    // ---- Update: nothing to change ----

    [Theory]
    [InlineData("completed", false, "slurm_monitor")]
    [InlineData("pending", false, "slurm_monitor")]
    [InlineData("completed", true, "extract_results")]
    public void Update_NothingChanges_FalseAndFileByteForByte(string sync, bool advance, string stage)
    {
        // Deliberately not autolab's layout (4-space indent, CRLF, no final newline): an unchanged
        // state must not be reformatted.
        var text = "{\r\n    \"iteration_id\": \"iter1\",\r\n    \"stage\": \"" + stage + "\",\r\n    \"stage_attempt\": 0,\r\n"
            + "    \"last_run_id\": \"run_001\",\r\n    \"sync_status\": \"" + sync + "\",\r\n"
            + "    \"max_stage_attempts\": 3,\r\n    \"max_total_iterations\": 10,\r\n    \"x\": 1.50\r\n}";
        WriteStateText(_repo, text);
        var before = File.ReadAllBytes(StatePath);
        var modified = File.GetLastWriteTimeUtc(StatePath);

        Assert.False(Load().Update(sync, advance, StateSchema));

        Assert.Equal(before, File.ReadAllBytes(StatePath));
        Assert.Equal(modified, File.GetLastWriteTimeUtc(StatePath));
        Assert.Equal(new[] { "state.json" }, Directory.GetFiles(_repo.Combine(".autolab")).Select(Path.GetFileName).ToArray());
    }

    [Fact]
    public void Update_AutolabLayoutUnchanged_FalseAndFileByteForByte()
    {
        var state = State();
        state["stage_attempt"] = 0;
        state["sync_status"] = "completed";
        state["pending_run_id"] = "run_001";
        state["history"] = new JsonArray(new JsonObject { ["stage"] = "launch" });
        WriteState(_repo, state);
        var before = File.ReadAllBytes(StatePath);

        Assert.False(Load().Update("completed", advance: false, StateSchema));

        Assert.Equal(before, File.ReadAllBytes(StatePath));
    }

    [Fact]
    public void Update_OnlyStageAttemptDiffers_Written()
    {
        // autolab resets stage_attempt on every successful evaluation, waiting included.
        var state = State();
        state["stage_attempt"] = 4;
        state["sync_status"] = "pending";
        WriteState(_repo, state);

        Assert.True(Load().Update("pending", advance: false, StateSchema));

        Assert.Equal(0, JsonNode.Parse(File.ReadAllText(StatePath))!["stage_attempt"]!.GetValue<int>());
    }

    // ---- Update: a read-only state ----

    [Theory]
    [InlineData(0b100_100_100)] // 0444
    [InlineData(0b100_000_000)] // 0400
    [InlineData(0b101_101_101)] // 0555
    public void Update_ReadOnlyFile_FileReadOnlyAndFileUnchanged(int mode)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        WriteStateText(_repo, RichState);
        var state = Load();
        var before = File.ReadAllBytes(StatePath);
        File.SetUnixFileMode(StatePath, (UnixFileMode)mode);

        var ex = Assert.Throws<AutolabException>(() => state.Update("completed", advance: true, StateSchema));

        Assert.Equal(ErrorIds.FileReadOnly, ex.ErrorId);
        Assert.Contains(StatePath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(StatePath));
        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(StatePath));
        Assert.Equal(new[] { "state.json" }, Directory.GetFiles(_repo.Combine(".autolab")).Select(Path.GetFileName).ToArray());
    }
}
