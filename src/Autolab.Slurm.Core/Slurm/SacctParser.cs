using Autolab.Slurm.Errors;

namespace Autolab.Slurm.Slurm;

/// <summary>One allocation row of <c>sacct --parsable2 --allocations</c> with <see cref="SacctParser.Format"/>.</summary>
public sealed record SacctRow(
    string JobId,
    string JobIdRaw,
    string Name,
    string State,
    string ExitCode,
    string DerivedExitCode,
    string Reason,
    DateTimeOffset? Submit,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    TimeSpan? Elapsed,
    string NodeList,
    string Partition,
    string Cluster)
{
    /// <summary>The job's restart count, where the installed sacct has the Restarts field (24.11 and later; 22.05 has not).</summary>
    public int? Restarts { get; init; }
}

/// <summary>
/// Parses sacct's parsable text. The job name is the only free-text field (a name may contain the '|'
/// delimiter), so rows are split with 2 fields left of it and 11 right of it. Spans, not Split: a
/// 100,000-row answer parses in well under a second.
/// </summary>
public static class SacctParser
{
    /// <summary>The --format list every sacct call uses (each field checked against 22.05's --helpformat).</summary>
    public const string Format = "JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster";

    /// <summary><see cref="Format"/> with the restart count, for a sacct that knows the field (24.11 and later).</summary>
    public const string FormatWithRestarts = Format + ",Restarts";

    public static List<SacctRow> Parse(string output, string commandLine) => Parse(output, commandLine, withRestarts: false);

    /// <summary>Parses the output of <see cref="Format"/>, or of <see cref="FormatWithRestarts"/> when <paramref name="withRestarts"/>.</summary>
    public static List<SacctRow> Parse(string output, string commandLine, bool withRestarts)
    {
        var fieldCount = withRestarts ? 15 : 14;
        var rightOfName = fieldCount - 3;
        // A row is about 100 characters: size the list once instead of regrowing it.
        var rows = new List<SacctRow>((output.Length / 96) + 1);
        var pool = new StringPool();
        var text = output.AsSpan();
        Span<int> stackBars = stackalloc int[64];
        var lineNumber = 0;
        while (!text.IsEmpty)
        {
            var newline = text.IndexOf('\n');
            var line = newline < 0 ? text : text[..newline];
            text = newline < 0 ? ReadOnlySpan<char>.Empty : text[(newline + 1)..];
            lineNumber++;
            if (!line.IsEmpty && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.IsWhiteSpace())
            {
                continue;
            }

            // One pass over the line for the '|' positions. A job name may hold any number of '|': when 64
            // do not fit (rare), the line is counted and scanned again into a big enough array.
            var bars = stackBars;
            var count = FindBars(line, bars);
            if (count > bars.Length)
            {
                bars = new int[count];
                count = FindBars(line, bars);
            }

            if (count < fieldCount - 1)
            {
                throw Invalid(commandLine, lineNumber, line.ToString(), $"expected {fieldCount} '|'-separated fields, found {count + 1}");
            }

            // Fields 0,1 left of the name; the last 11 (12 with Restarts) right of it (indices into the bar positions).
            var nameStart = bars[1] + 1;
            var nameEnd = bars[count - rightOfName];
            ReadOnlySpan<char> Field(int index, ReadOnlySpan<char> l, Span<int> b)
            {
                var start = index == 0 ? 0 : b[index - 1] + 1;
                var end = index == count ? l.Length : b[index];
                return l[start..end];
            }

            var right = count - rightOfName; // bar index before field "State"
            var jobId = Field(0, line, bars).ToString();
            if (jobId.Length == 0)
            {
                throw Invalid(commandLine, lineNumber, line.ToString(), "the JobID field is empty");
            }

            var rawId = Field(1, line, bars);
            rows.Add(new SacctRow(
                jobId,
                rawId.SequenceEqual(jobId) ? jobId : rawId.ToString(),
                pool.Get(line[nameStart..nameEnd]),
                pool.Get(Field(right + 1, line, bars)),
                pool.Get(Field(right + 2, line, bars)),
                pool.Get(Field(right + 3, line, bars)),
                pool.Get(Field(right + 4, line, bars)),
                SlurmText.ParseTime(Field(right + 5, line, bars)),
                SlurmText.ParseTime(Field(right + 6, line, bars)),
                SlurmText.ParseTime(Field(right + 7, line, bars)),
                SlurmText.ParseElapsed(Field(right + 8, line, bars)),
                pool.Get(Field(right + 9, line, bars)),
                pool.Get(Field(right + 10, line, bars)),
                pool.Get(Field(right + 11, line, bars)))
            {
                Restarts = withRestarts && int.TryParse(Field(right + 12, line, bars), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var restarts) ? restarts : null,
            });
        }

        return rows;
    }

    /// <summary>Writes the positions of the '|' in <paramref name="line"/> into <paramref name="bars"/>; returns how many there are (more than bars holds when it is too small).</summary>
    private static int FindBars(ReadOnlySpan<char> line, Span<int> bars)
    {
        var count = 0;
        var from = 0;
        while (true)
        {
            var bar = line[from..].IndexOf('|');
            if (bar < 0)
            {
                return count;
            }

            if (count == bars.Length)
            {
                return count + 1 + line[(from + bar + 1)..].Count('|');
            }

            bars[count++] = from + bar;
            from += bar + 1;
        }
    }

    internal static AutolabException Invalid(string commandLine, int line, string text, string detail) =>
        new(
            ErrorIds.SchedulerOutputInvalid,
            AutolabErrorCategory.InvalidData,
            $"'{commandLine}' printed output that cannot be parsed (line {line}: {detail}): '{Truncate(text)}'. Check that the Slurm client matches the controller (22.05 or later) and that no wrapper script alters sacct's output.",
            commandLine)
        {
            Detail = "unparseable scheduler output: " + detail,
        };

    /// <summary>
    /// Shares the strings that repeat from row to row (states, partitions, node lists, cluster names)
    /// instead of allocating one per row: a direct-mapped cache keyed by the text's hash.
    /// </summary>
    private sealed class StringPool
    {
        private readonly string?[] _slots = new string?[2048];

        public string Get(ReadOnlySpan<char> text)
        {
            if (text.IsEmpty)
            {
                return string.Empty;
            }

            if (text.Length > 64)
            {
                return text.ToString();
            }

            // A cheap hash is enough: a collision only costs a comparison and an allocation.
            var slot = ((text.Length * 31) + text[0] + (text[text.Length / 2] * 7) + (text[^1] * 131)) & (_slots.Length - 1);
            var cached = _slots[slot];
            if (cached is not null && text.SequenceEqual(cached))
            {
                return cached;
            }

            cached = text.ToString();
            _slots[slot] = cached;
            return cached;
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] + " [truncated]" : text;
}
