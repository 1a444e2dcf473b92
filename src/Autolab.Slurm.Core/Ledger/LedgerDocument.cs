using System.Globalization;
using System.Text;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Ledger;

/// <summary>The outcome of applying one run's line (and maybe a note) to the ledger text.</summary>
public sealed record LedgerEdit(string Action, bool NoteAdded, string NewText, bool Changed, IReadOnlyList<string> Warnings);

/// <summary>
/// docs/slurm_job_list.md as text. Edits splice the run's entry (and its notes) into the original text,
/// so every other byte is written back as it was (CRLF files stay CRLF), and a 10,000-line ledger costs
/// one search and one copy rather than a parse of every line.
/// </summary>
public sealed class LedgerDocument
{
    public const string Header = "# SLURM Job Ledger";
    public const int MaxNotes = 5;
    private const string NotePrefix = "  - note: ";

    private string _text;

    private LedgerDocument(string text) => _text = text;

    public static LedgerDocument Parse(string text) => new(text);

    public int LineCount => _text.Length == 0 ? 0 : _text.AsSpan().Count('\n') + (_text[^1] == '\n' ? 0 : 1);

    public string ToText() => _text;

    /// <summary>Indices (0-based) of the lines that belong to the run: unindented, with exact run_id= and iteration_id= tokens.</summary>
    public IReadOnlyList<int> FindEntries(string runId, string iterationId) =>
        FindEntryLines(runId, iterationId).Select(l => _text.AsSpan(0, l.Start).Count('\n')).ToArray();

    /// <summary>True when <paramref name="token"/> stands alone: after the line start, a space or '|', and ending at " |" or the end of the line.</summary>
    public static bool HasToken(string line, string token) => HasToken(line.AsSpan(), token);

    private static bool HasToken(ReadOnlySpan<char> line, string token)
    {
        var trimmed = line.TrimEnd();
        var offset = 0;
        while (offset < trimmed.Length)
        {
            var found = trimmed[offset..].IndexOf(token, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            var index = offset + found;
            var before = index == 0 || trimmed[index - 1] is ' ' or '|' or '\t';
            var end = index + token.Length;
            var after = end == trimmed.Length || trimmed[end..].StartsWith(" |", StringComparison.Ordinal);
            if (before && after)
            {
                return true;
            }

            offset = index + 1;
        }

        return false;
    }

    /// <summary>
    /// Puts the run's canonical line in place (rewritten where it stands, or appended) and adds a note
    /// under it when given. Other lines are untouched.
    /// </summary>
    public LedgerEdit Apply(LedgerLineFields fields, string? note, DateTimeOffset now)
    {
        var before = _text;
        var warnings = new List<string>();
        var line = fields.Line;
        var entries = FindEntryLines(fields.RunId, fields.IterationId);
        string action;
        Line entry;
        if (entries.Count == 0)
        {
            entry = Append(line);
            action = LedgerAction.Added;
        }
        else
        {
            entry = entries[0];
            if (entries.Count > 1)
            {
                var numbers = entries.Select(e => (_text.AsSpan(0, e.Start).Count('\n') + 1).ToString(CultureInfo.InvariantCulture));
                warnings.Add($"{entries.Count} ledger lines match run_id={fields.RunId} iteration_id={fields.IterationId} (lines {string.Join(", ", numbers)}); the first is the entry, the others were left alone. Remove the duplicates by hand.");
            }

            if (_text.AsSpan(entry.Start, entry.ContentEnd - entry.Start).SequenceEqual(line))
            {
                action = LedgerAction.Unchanged;
            }
            else
            {
                _text = string.Concat(_text.AsSpan(0, entry.Start), line, _text.AsSpan(entry.ContentEnd));
                entry = LineAt(entry.Start);
                action = LedgerAction.Updated;
            }
        }

        var noteAdded = note is not null && AddNote(entry, note, now);
        if (noteAdded && action == LedgerAction.Unchanged)
        {
            action = LedgerAction.NoteAdded;
        }

        return new LedgerEdit(action, noteAdded, _text, !ReferenceEquals(before, _text) && !string.Equals(before, _text, StringComparison.Ordinal), warnings);
    }

    /// <summary>A line: where it starts, where its content ends (before \r\n or \n), and where the next line starts.</summary>
    private readonly record struct Line(int Start, int ContentEnd, int End)
    {
        public bool HasEnding => End > ContentEnd;
    }

    private Line LineAt(int start)
    {
        var newline = _text.IndexOf('\n', start);
        if (newline < 0)
        {
            return new Line(start, _text.Length, _text.Length);
        }

        var contentEnd = newline > start && _text[newline - 1] == '\r' ? newline - 1 : newline;
        return new Line(start, contentEnd, newline + 1);
    }

    private List<Line> FindEntryLines(string runId, string iterationId)
    {
        var runToken = "run_id=" + runId;
        var iterationToken = "iteration_id=" + iterationId;
        var found = new List<Line>();
        var position = 0;
        while (position < _text.Length)
        {
            var hit = _text.IndexOf(runToken, position, StringComparison.Ordinal);
            if (hit < 0)
            {
                break;
            }

            var start = hit == 0 ? 0 : _text.LastIndexOf('\n', hit - 1) + 1;
            var current = LineAt(start);
            var content = _text.AsSpan(current.Start, current.ContentEnd - current.Start);
            if (content.Length > 0 && !char.IsWhiteSpace(content[0])
                && HasToken(content, runToken) && HasToken(content, iterationToken))
            {
                found.Add(current);
            }

            position = current.End > hit ? current.End : hit + 1;
        }

        return found;
    }

    private Line Append(string line)
    {
        var ending = DominantEnding();
        var bom = _text.StartsWith('\uFEFF') ? "\uFEFF" : string.Empty;
        if (string.IsNullOrWhiteSpace(_text[bom.Length..]))
        {
            // A new (or blank) ledger starts with the header and a blank line; an editor's BOM stays in front.
            _text = bom + Header + ending + ending + line + ending;
            return LineAt(bom.Length + Header.Length + (2 * ending.Length));
        }

        var prefix = _text.EndsWith('\n') ? _text : _text + ending;
        _text = prefix + line + ending;
        return LineAt(prefix.Length);
    }

    private bool AddNote(Line entry, string note, DateTimeOffset now)
    {
        var sentence = NormalizeSentence(note);
        if (sentence.Length == 0)
        {
            return false;
        }

        // The notes that belong to the entry: the note lines right under it.
        var notes = new List<Line>();
        var next = entry.End;
        while (entry.HasEnding && next < _text.Length && string.CompareOrdinal(_text, next, NotePrefix, 0, NotePrefix.Length) == 0)
        {
            var current = LineAt(next);
            notes.Add(current);
            if (!current.HasEnding)
            {
                break;
            }

            next = current.End;
        }

        if (notes.Count > 0 && string.Equals(SentenceOf(_text[notes[^1].Start..notes[^1].ContentEnd]), sentence, StringComparison.Ordinal))
        {
            return false;
        }

        var ending = entry.HasEnding ? _text[entry.ContentEnd..entry.End] : DominantEnding();
        var last = notes.Count > 0 ? notes[^1] : entry;
        var keepFrom = notes.Count >= MaxNotes ? notes[notes.Count - MaxNotes + 1].Start : (notes.Count > 0 ? notes[0].Start : -1);
        var sb = new StringBuilder(_text.Length + 128);
        if (notes.Count > 0)
        {
            // Entry, then the kept notes (oldest dropped beyond five), then the new one.
            sb.Append(_text, 0, entry.End);
            sb.Append(_text, keepFrom, last.ContentEnd - keepFrom);
        }
        else
        {
            sb.Append(_text, 0, entry.ContentEnd);
        }

        // A file without a final newline gets one when a line goes after its last line.
        sb.Append(ending).Append(NotePrefix).Append(Timestamps.Format(now)).Append(' ').Append(sentence).Append(ending);
        var restStart = last.HasEnding ? last.End : last.ContentEnd;
        sb.Append(_text, restStart, _text.Length - restStart);
        _text = sb.ToString();
        return true;
    }

    private static string NormalizeSentence(string note) =>
        string.Join(' ', note.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The sentence of a note line, without its prefix and timestamp.</summary>
    private static string SentenceOf(string noteLine)
    {
        var rest = noteLine[NotePrefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? string.Empty : rest[(space + 1)..].Trim();
    }

    private string DominantEnding()
    {
        var lf = _text.AsSpan().Count('\n');
        var crlf = _text.AsSpan().Count("\r\n");
        return crlf > lf - crlf ? "\r\n" : "\n";
    }
}
