using System.Text;
using System.Text.RegularExpressions;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Models;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// autolab-contract.md, "docs/slurm_job_list.md (the ledger)": in-place rewrite, exact token matching,
/// append with header, CRLF kept, final newline on append, duplicates, and the notes under an entry.
/// </summary>
public class LedgerDocumentTests
{
    private const string Header = "# SLURM Job Ledger";
    private static readonly DateTimeOffset Now = new(2026, 2, 3, 4, 5, 6, TimeSpan.Zero);

    private static LedgerLineFields Fields(string runId = "run_001", string iterationId = "iter1", string status = "running", string jobId = "100", string date = "2026-01-01") =>
        new(date, jobId, iterationId, runId, status);

    private static string Line(string runId = "run_001", string iterationId = "iter1", string status = "running", string jobId = "100", string date = "2026-01-01") =>
        Fields(runId, iterationId, status, jobId, date).Line;

    private static LedgerEdit Apply(string text, LedgerLineFields fields, string? note = null, DateTimeOffset? now = null) =>
        LedgerDocument.Parse(text).Apply(fields, note, now ?? Now);

    private static string Note(DateTimeOffset when, string sentence) =>
        "  - note: " + when.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) + " " + sentence;

    [Fact]
    public void Line_Fields_AreInTheContractOrder()
    {
        Assert.Equal("- 2026-01-01 | job_id=100 | iteration_id=iter1 | run_id=run_001 | status=running", Line());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\n\n  \n")]
    public void Apply_NewOrEmptyLedger_StartsWithHeaderBlankLineThenEntry(string existing)
    {
        var edit = Apply(existing, Fields());

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.True(edit.Changed);
        Assert.Equal(Header + "\n\n" + Line() + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_LedgerHoldingOnlyABom_IsEmptySoStartsWithHeader()
    {
        // An editor's "empty" UTF-8 file may hold just a byte-order mark: still a new, empty ledger.
        var edit = Apply("\uFEFF", Fields());

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.Equal(Header + "\n\n" + Line() + "\n", edit.NewText.TrimStart('\uFEFF'));
    }

    [Fact]
    public void FindEntries_Duplicates_ZeroBasedLineIndicesInOrder()
    {
        var text = Header + "\n\n" + Line() + "\n" + Line("run_b") + "\n" + Line(status: "x") + "\r\n" + Line("run_0010");

        var document = LedgerDocument.Parse(text);

        Assert.Equal(new[] { 2, 4 }, document.FindEntries("run_001", "iter1"));
        Assert.Empty(document.FindEntries("run_00", "iter1"));
        Assert.Equal(new[] { 5 }, document.FindEntries("run_0010", "iter1"));
    }

    [Fact]
    public void Apply_StaleLine_IsRewrittenInPlace()
    {
        var text = Header + "\n\n" + Line("run_a") + "\n" + Line(status: "submitted") + "\n" + Line("run_z") + "\n";

        var edit = Apply(text, Fields(status: "synced"));

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(Header + "\n\n" + Line("run_a") + "\n" + Line(status: "synced") + "\n" + Line("run_z") + "\n", edit.NewText);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("date")]
    [InlineData("job_id")]
    public void Apply_LineDiffersInAnyField_IsUpdated(string field)
    {
        var stale = field switch
        {
            "status" => Line(status: "pending"),
            "date" => Line(date: "2025-12-31"),
            _ => Line(jobId: "99"),
        };
        var text = Header + "\n\n" + stale + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(Header + "\n\n" + Line() + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_LineAlreadyRight_IsUnchanged()
    {
        var text = Header + "\n\n" + Line() + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Unchanged, edit.Action);
        Assert.False(edit.Changed);
        Assert.Equal(text, edit.NewText);
    }

    [Fact]
    public void Apply_RunOnePrefixOfRunTen_MatchesOnlyItsOwnLine()
    {
        var text = Header + "\n\n" + Line("run_10", status: "submitted") + "\n" + Line("run_1", status: "submitted") + "\n" + Line("run_100", status: "submitted") + "\n";

        var edit = Apply(text, Fields("run_1", status: "failed"));

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(
            Header + "\n\n" + Line("run_10", status: "submitted") + "\n" + Line("run_1", status: "failed") + "\n" + Line("run_100", status: "submitted") + "\n",
            edit.NewText);
    }

    [Fact]
    public void Apply_OnlyRunTenPresent_RunOneIsAppendedAndRunTenUntouched()
    {
        var text = Header + "\n\n" + Line("run_10", status: "submitted") + "\n";

        var edit = Apply(text, Fields("run_1"));

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.Equal(text + Line("run_1") + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_SameRunIdInAnotherIteration_IsAnotherRun()
    {
        var text = Header + "\n\n" + Line(iterationId: "iter2", status: "submitted") + "\n" + Line(iterationId: "iter10", status: "submitted") + "\n";

        var edit = Apply(text, Fields(iterationId: "iter1"));

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.Equal(text + Line(iterationId: "iter1") + "\n", edit.NewText);
    }

    [Theory]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1 | run_id=run_001.bak | status=submitted")]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1 | prev_run_id=run_001 | status=submitted")]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1x | run_id=run_001 | status=submitted")]
    [InlineData("- 2026-01-01 | job_id=100 | xiteration_id=iter1 | run_id=run_001 | status=submitted")]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1 | run_id=run_0012")]
    public void Apply_LineWithNearMissToken_IsNotTheEntry(string otherLine)
    {
        var text = Header + "\n\n" + otherLine + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.Equal(text + Line() + "\n", edit.NewText);
    }

    [Theory]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1 | run_id=run_001")]
    [InlineData("- 2026-01-01 | job_id=100 | run_id=run_001 | iteration_id=iter1")]
    [InlineData("- 2026-01-01 | job_id=100 | iteration_id=iter1 | run_id=run_001 | status=submitted | extra=1")]
    public void Apply_TokenEndingAtBarOrEndOfLine_IsTheEntry(string existing)
    {
        var text = Header + "\n\n" + existing + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(Header + "\n\n" + Line() + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_CrlfLedger_StaysCrlfByteForByteExceptTheEditedLine()
    {
        var prose = "Some prose, kept as is.  ";
        var text = Header + "\r\n\r\n" + prose + "\r\n" + Line("run_a") + "\r\n" + Line(status: "pending") + "\r\n" + "  - note: 2026-01-01T00:00:00Z an older note\r\n" + Line("run_z") + "\r\n";

        var edit = Apply(text, Fields(status: "running"));

        var expected = Header + "\r\n\r\n" + prose + "\r\n" + Line("run_a") + "\r\n" + Line(status: "running") + "\r\n" + "  - note: 2026-01-01T00:00:00Z an older note\r\n" + Line("run_z") + "\r\n";
        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(expected, edit.NewText);
    }

    [Fact]
    public void Apply_CrlfLedgerAppend_KeepsExistingBytesAndUsesCrlf()
    {
        // Reading: "CRLF endings are valid input and kept"; a line appended to a CRLF file uses CRLF too.
        var text = Header + "\r\n\r\n" + Line("run_a") + "\r\n";

        var edit = Apply(text, Fields());

        Assert.Equal(text + Line() + "\r\n", edit.NewText);
    }

    [Fact]
    public void Apply_MixedEndings_EachUntouchedLineKeepsItsOwnEnding()
    {
        var text = Header + "\r\n\n" + Line("run_a") + "\r\n" + Line(status: "pending") + "\n" + Line("run_z") + "\r\n";

        var edit = Apply(text, Fields());

        Assert.Equal(Header + "\r\n\n" + Line("run_a") + "\r\n" + Line() + "\n" + Line("run_z") + "\r\n", edit.NewText);
    }

    [Fact]
    public void Apply_NoFinalNewlineThenAppend_LastLineGetsOne()
    {
        var text = Header + "\n\n" + Line("run_a");

        var edit = Apply(text, Fields());

        Assert.Equal(Header + "\n\n" + Line("run_a") + "\n" + Line() + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_NoFinalNewlineCrlfThenAppend_LastLineGetsCrlf()
    {
        var text = Header + "\r\n\r\n" + Line("run_a");

        var edit = Apply(text, Fields());

        Assert.Equal(Header + "\r\n\r\n" + Line("run_a") + "\r\n" + Line() + "\r\n", edit.NewText);
    }

    [Fact]
    public void Apply_LastLineWithoutNewlineEditedInPlace_KeepsItsOwnMissingEnding()
    {
        // Only a line appended after the last line adds the final newline; an in-place rewrite keeps the line's ending.
        var text = Header + "\n\n" + Line(status: "pending");

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(Header + "\n\n" + Line(), edit.NewText);
    }

    [Fact]
    public void Apply_Duplicates_FirstIsTheEntryOthersUntouchedWithWarning()
    {
        var first = Line(status: "pending");
        var second = Line(status: "submitted", jobId: "7");
        var text = Header + "\n\n" + first + "\n" + Line("run_a") + "\n" + second + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Updated, edit.Action);
        Assert.Equal(Header + "\n\n" + Line() + "\n" + Line("run_a") + "\n" + second + "\n", edit.NewText);
        var warning = Assert.Single(edit.Warnings);
        Assert.Contains("run_001", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_DuplicatesWithCorrectFirst_UnchangedButStillWarns()
    {
        var stale = Line(status: "submitted");
        var text = Header + "\n\n" + Line() + "\n" + stale + "\n";

        var edit = Apply(text, Fields());

        Assert.Equal(LedgerAction.Unchanged, edit.Action);
        Assert.False(edit.Changed);
        Assert.Equal(text, edit.NewText);
        Assert.Single(edit.Warnings);
    }

    [Fact]
    public void Apply_SingleEntry_NoWarnings()
    {
        var edit = Apply(Header + "\n\n" + Line(status: "pending") + "\n", Fields());

        Assert.Empty(edit.Warnings);
    }

    [Fact]
    public void Apply_Note_HasTheContractFormatInUtc()
    {
        var text = Header + "\n\n" + Line() + "\n";
        var inParis = new DateTimeOffset(2026, 2, 3, 5, 5, 6, TimeSpan.FromHours(1));

        var edit = Apply(text, Fields(), "sacct could not be reached.", inParis);

        Assert.True(edit.NoteAdded);
        Assert.True(edit.Changed);
        Assert.Equal(LedgerAction.NoteAdded, edit.Action);
        Assert.Equal(text + "  - note: 2026-02-03T04:05:06Z sacct could not be reached.\n", edit.NewText);
        var noteLine = edit.NewText.Split('\n')[3];
        Assert.Matches(new Regex(@"^  - note: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \S.*$"), noteLine);
    }

    [Fact]
    public void Apply_NoteWithLineBreaks_StaysOneNoteLine()
    {
        // A note is "one sentence" on one indented line; a line break in it must not create a stray line.
        var text = Header + "\n\n" + Line() + "\n";

        var edit = Apply(text, Fields(), "sacct failed:\nerror: Slurm controller not responding\r\n");

        // Header, blank line, entry, one note, then the final newline's empty remainder.
        var lines = edit.NewText.Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal(string.Empty, lines[4]);
        Assert.StartsWith("  - note: 2026-02-03T04:05:06Z sacct failed:", lines[3], StringComparison.Ordinal);
        Assert.EndsWith("Slurm controller not responding", lines[3], StringComparison.Ordinal);
        Assert.DoesNotContain('\r', edit.NewText);
    }

    [Fact]
    public void Apply_NoteForNewRun_GoesRightUnderTheAppendedLine()
    {
        var edit = Apply(string.Empty, Fields(), "job lost.");

        Assert.Equal(LedgerAction.Added, edit.Action);
        Assert.Equal(Header + "\n\n" + Line() + "\n" + Note(Now, "job lost.") + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_TwoNotes_OldestFirst()
    {
        var first = Apply(Header + "\n\n" + Line() + "\n", Fields(), "first sentence.", Now);
        var later = Now.AddMinutes(5);

        var second = Apply(first.NewText, Fields(), "second sentence.", later);

        Assert.Equal(
            Header + "\n\n" + Line() + "\n" + Note(Now, "first sentence.") + "\n" + Note(later, "second sentence.") + "\n",
            second.NewText);
    }

    [Fact]
    public void Apply_SixthNote_OldestDroppedFiveKept()
    {
        var text = Header + "\n\n" + Line() + "\n";
        var times = Enumerable.Range(0, 6).Select(i => Now.AddMinutes(i)).ToArray();
        for (var i = 0; i < 6; i++)
        {
            text = Apply(text, Fields(), $"note number {i}.", times[i]).NewText;
        }

        var expected = new StringBuilder(Header + "\n\n" + Line() + "\n");
        for (var i = 1; i < 6; i++)
        {
            expected.Append(Note(times[i], $"note number {i}.")).Append('\n');
        }

        Assert.Equal(expected.ToString(), text);
    }

    [Fact]
    public void Apply_SeveralHandWrittenNotesAboveTheCap_KeepsTheFiveNewest()
    {
        var text = new StringBuilder(Header + "\n\n" + Line() + "\n");
        for (var i = 0; i < 7; i++)
        {
            text.Append(Note(Now.AddHours(-10 + i), $"old {i}.")).Append('\n');
        }

        var edit = Apply(text.ToString(), Fields(), "newest.");

        var lines = edit.NewText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var notes = lines.Where(l => l.StartsWith("  - note: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, notes.Length);
        Assert.EndsWith("old 3.", notes[0], StringComparison.Ordinal);
        Assert.EndsWith("newest.", notes[4], StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NoteEqualToNewestSentence_IsNotRepeated()
    {
        var text = Header + "\n\n" + Line() + "\n" + Note(Now.AddHours(-1), "scheduler unreachable.") + "\n";

        var edit = Apply(text, Fields(), "scheduler unreachable.", Now);

        Assert.False(edit.NoteAdded);
        Assert.False(edit.Changed);
        Assert.Equal(text, edit.NewText);
    }

    [Fact]
    public void Apply_NoteEqualToAnOlderNoteOnly_IsAdded()
    {
        var text = Header + "\n\n" + Line() + "\n" + Note(Now.AddHours(-2), "A.") + "\n" + Note(Now.AddHours(-1), "B.") + "\n";

        var edit = Apply(text, Fields(), "A.", Now);

        Assert.True(edit.NoteAdded);
        Assert.Equal(text + Note(Now, "A.") + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_NoteForFirstOfTwoEntries_GoesUnderItsOwnEntry()
    {
        var other = Line("run_b");
        var otherNote = Note(Now.AddDays(-1), "about run_b.");
        var text = Header + "\n\n" + Line() + "\n" + Note(Now.AddHours(-1), "about run_001.") + "\n" + other + "\n" + otherNote + "\n";

        var edit = Apply(text, Fields(), "second note about run_001.");

        Assert.Equal(
            Header + "\n\n" + Line() + "\n" + Note(Now.AddHours(-1), "about run_001.") + "\n" + Note(Now, "second note about run_001.") + "\n" + other + "\n" + otherNote + "\n",
            edit.NewText);
    }

    [Fact]
    public void Apply_NotesOfAnotherEntry_DoNotCountForDedupOrCap()
    {
        // run_b's newest note has the same sentence; it is not run_001's note, so run_001 gets its own.
        var text = Header + "\n\n" + Line("run_b") + "\n" + Note(Now.AddHours(-1), "scheduler unreachable.") + "\n" + Line() + "\n";

        var edit = Apply(text, Fields(), "scheduler unreachable.");

        Assert.True(edit.NoteAdded);
        Assert.Equal(text + Note(Now, "scheduler unreachable.") + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_EntryUpdatedWithNotes_NotesStayUnderIt()
    {
        var note = Note(Now.AddHours(-1), "older.");
        var text = Header + "\n\n" + Line(status: "running") + "\n" + note + "\n" + Line("run_b") + "\n";

        var edit = Apply(text, Fields(status: "failed"), "job ended FAILED.");

        Assert.Equal(
            Header + "\n\n" + Line(status: "failed") + "\n" + note + "\n" + Note(Now, "job ended FAILED.") + "\n" + Line("run_b") + "\n",
            edit.NewText);
    }

    [Fact]
    public void Apply_NoteUnderLastEntryWithoutFinalNewline_EntryGetsANewline()
    {
        var text = Header + "\n\n" + Line();

        var edit = Apply(text, Fields(), "a note.");

        Assert.Equal(Header + "\n\n" + Line() + "\n" + Note(Now, "a note.") + "\n", edit.NewText);
    }

    [Fact]
    public void Apply_NoteInCrlfLedger_UsesCrlf()
    {
        var text = Header + "\r\n\r\n" + Line() + "\r\n" + Line("run_b") + "\r\n";

        var edit = Apply(text, Fields(), "a note.");

        Assert.Equal(Header + "\r\n\r\n" + Line() + "\r\n" + Note(Now, "a note.") + "\r\n" + Line("run_b") + "\r\n", edit.NewText);
    }

    [Fact]
    public void Apply_LargeLedgerWithOneEdit_ChangesExactlyOneLine()
    {
        var lines = new List<string> { Header, string.Empty };
        for (var i = 0; i < 2000; i++)
        {
            lines.Add(Line($"run_{i:D4}", status: "submitted", jobId: (10000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var text = string.Join("\n", lines) + "\n";

        var edit = Apply(text, Fields("run_1234", status: "synced", jobId: "11234"));

        var before = text.Split('\n');
        var after = edit.NewText.Split('\n');
        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        var index = Assert.Single(changed);
        Assert.Equal(2 + 1234, index);
        Assert.Equal(Line("run_1234", status: "synced", jobId: "11234"), after[index]);
    }

    [Fact]
    public void Parse_ToText_RoundTripsAnyEndings()
    {
        const string text = "a\r\nb\nc\r\n\r\nd";

        Assert.Equal(text, LedgerDocument.Parse(text).ToText());
    }
}
