using Autolab.Slurm.Errors;
using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>interface.md, "Status words": the state table, loaded from the shipped schemas/slurm_states.json.</summary>
public sealed class SlurmStateTableTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static SlurmStateTable Table => SlurmStateTable.Load(TestPaths.StateTable);

    public void Dispose() => _dir.Dispose();

    /// <summary>Every row of interface.md's table: long name, short code, job Status, IsTerminal.</summary>
    public static TheoryData<string, string, string, bool> InterfaceTable => new()
    {
        { "PENDING", "PD", "pending", false },
        { "CONFIGURING", "CF", "pending", false },
        { "REQUEUED", "RQ", "pending", false },
        { "REQUEUE_HOLD", "RH", "pending", false },
        { "REQUEUE_FED", "RF", "pending", false },
        { "RESV_DEL_HOLD", "RD", "pending", false },
        { "SPECIAL_EXIT", "SE", "pending", false },
        { "RUNNING", "R", "running", false },
        { "COMPLETING", "CG", "running", false },
        { "SUSPENDED", "S", "running", false },
        { "STOPPED", "ST", "running", false },
        { "RESIZING", "RS", "running", false },
        { "SIGNALING", "SI", "running", false },
        { "STAGE_OUT", "SO", "running", false },
        { "COMPLETED", "CD", "completed", true },
        { "FAILED", "F", "failed", true },
        { "CANCELLED", "CA", "failed", true },
        { "TIMEOUT", "TO", "failed", true },
        { "OUT_OF_MEMORY", "OOM", "failed", true },
        { "NODE_FAIL", "NF", "failed", true },
        { "BOOT_FAIL", "BF", "failed", true },
        { "DEADLINE", "DL", "failed", true },
        { "PREEMPTED", "PR", "failed", true },
        { "REVOKED", "RV", "unknown", false },
    };

    [Fact]
    public void Load_ShippedFile_HoldsExactlyTheInterfaceRows()
    {
        var expected = InterfaceTable.Select(r => ((string)r[0], (string)r[1], (string)r[2], (bool)r[3])).OrderBy(r => r.Item1, StringComparer.Ordinal);

        var actual = Table.Rules.Select(r => (r.State, r.Code, r.Status, r.Terminal)).OrderBy(r => r.State, StringComparer.Ordinal);

        Assert.Equal(expected, actual);
        Assert.Equal(1, Table.Version);
    }

    [Theory]
    [MemberData(nameof(InterfaceTable))]
    public void Find_LongName_MapsAsInterfaceSays(string state, string code, string status, bool terminal)
    {
        var rule = Table.Find(state);

        Assert.NotNull(rule);
        Assert.Equal((state, code), (rule!.State, rule.Code));
        Assert.Equal(status, Table.StatusOf(state));
        Assert.Equal(terminal, Table.IsTerminal(state));
    }

    [Theory]
    [MemberData(nameof(InterfaceTable))]
    public void Find_ShortCode_SameAsLongName(string state, string code, string status, bool terminal)
    {
        Assert.Equal(state, Table.Find(code)?.State);
        Assert.Equal(status, Table.StatusOf(code));
        Assert.Equal(terminal, Table.IsTerminal(code));
    }

    [Theory]
    [InlineData("CANCELLED by 1234")]
    [InlineData("CANCELLED by 0")]
    [InlineData("CANCELLED+")]
    [InlineData("cancelled")]
    [InlineData(" CANCELLED ")]
    public void StatusOf_CancelledVariants_FailedAndTerminal(string raw)
    {
        Assert.Equal("failed", Table.StatusOf(raw));
        Assert.True(Table.IsTerminal(raw));
        Assert.Equal("CANCELLED", Table.Find(raw)?.State);
    }

    [Theory]
    [InlineData("CANCELLED by 1234", "CANCELLED")]
    [InlineData("CANCELLED+", "CANCELLED")]
    [InlineData("OUT_OF_MEMORY", "OUT_OF_MEMORY")]
    [InlineData("completed", "COMPLETED")]
    [InlineData("", "UNKNOWN")]
    [InlineData(null, "UNKNOWN")]
    [InlineData("   ", "UNKNOWN")]
    [InlineData("123", "UNKNOWN")]
    public void BaseToken_RawState_UpperCaseLeadingWord(string? raw, string expected)
    {
        Assert.Equal(expected, SlurmStateTable.BaseToken(raw));
    }

    [Theory]
    [InlineData("BOGUS")]
    [InlineData("LAUNCH_FAILED")]
    [InlineData("PENDINGX")]
    [InlineData("COMPLETE")]
    [InlineData("X")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("0:0")]
    [InlineData("REVOKED")]
    public void StatusOf_UnknownWord_UnknownAndNotTerminal(string? raw)
    {
        Assert.Equal("unknown", Table.StatusOf(raw));
        Assert.False(Table.IsTerminal(raw));
    }

    [Theory]
    [InlineData("PREEMPTED", true)]
    [InlineData("REQUEUED", true)]
    [InlineData("COMPLETED", false)]
    [InlineData("FAILED", false)]
    public void Find_StatesTheControllerCanRefine_MarkedForSqueue(string state, bool refine)
    {
        Assert.Equal(refine, Table.Find(state)!.RefineWithSqueue);
    }

    [Fact]
    public void Load_NewStateLine_MappedWithoutCodeChange()
    {
        var path = _dir.Write("slurm_states.json", """
            { "version": 2, "states": [
              { "state": "PENDING", "code": "PD", "status": "pending", "terminal": false },
              { "state": "LAUNCH_FAILED", "code": "LF", "status": "failed", "terminal": true }
            ] }
            """);

        var table = SlurmStateTable.Load(path);

        Assert.Equal(2, table.Version);
        Assert.Equal("failed", table.StatusOf("LAUNCH_FAILED"));
        Assert.True(table.IsTerminal("LF"));
        Assert.Equal("unknown", table.StatusOf("COMPLETED"));
    }

    [Fact]
    public void Load_MissingFile_SchemaNotFound()
    {
        var error = Assert.Throws<AutolabException>(() => SlurmStateTable.Load(_dir.Combine("nope", "slurm_states.json")));

        Assert.Equal(ErrorIds.SchemaNotFound, error.ErrorId);
        Assert.Contains("slurm_states.json", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{ "version": 1 }""")]
    [InlineData("""{ "version": 1, "states": [ { "state": "X", "code": "X", "status": "done", "terminal": true } ] }""")]
    public void Load_MalformedFile_AutolabErrorNamingTheFile(string content)
    {
        var path = _dir.Write("bad-" + Guid.NewGuid().ToString("N") + ".json", content);

        var error = Assert.Throws<AutolabException>(() => SlurmStateTable.Load(path));

        Assert.StartsWith("Schema", error.ErrorId, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
