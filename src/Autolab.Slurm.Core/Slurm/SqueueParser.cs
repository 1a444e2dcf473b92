namespace Autolab.Slurm.Slurm;

/// <summary>One line of <c>squeue --array --states=all</c> with <see cref="SqueueParser.Format"/>.</summary>
public sealed record SqueueRow(
    string JobArrayId,
    string JobId,
    string State,
    string Reason,
    int? Restarts,
    DateTimeOffset? Submit,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    TimeSpan? TimeUsed,
    string NodeList,
    string Partition,
    string HetJobId,
    string HetJobOffset,
    string ArrayJobId,
    string ArrayTaskId,
    string ExitCode,
    string Cluster,
    string Name);

/// <summary>
/// Parses squeue's <c>--Format</c> output. Every field carries the suffix '|' with no width (no padding,
/// no truncation), so each line ends with '|'; Name is last so a '|' inside a name cannot shift a column.
/// </summary>
public static class SqueueParser
{
    /// <summary>
    /// The field list (checked against 22.05's man page: 22.05 has no --helpformat for squeue; 24.11's and
    /// 26.05's list them all). exit_code is what a failed job that sacct does not know yet is recorded with:
    /// 22.05 prints the raw wait status (768 for exit 3), 24.11 and later <c>code:signal</c>; see
    /// <see cref="SlurmText.ParseSqueueExitCode"/>.
    /// </summary>
    public static readonly string[] Fields =
    {
        "JobArrayID", "JobID", "State", "Reason", "RestartCnt", "SubmitTime", "StartTime", "EndTime",
        "TimeUsed", "NodeList", "Partition", "HetJobID", "HetJobOffset", "ArrayJobID", "ArrayTaskID",
        "exit_code", "Cluster", "Name",
    };

    public static string Format => string.Join(',', Fields.Select(f => f + ":|"));

    private static readonly int FixedFields = Fields.Length - 1;

    public static List<SqueueRow> Parse(string output, string commandLine)
    {
        var rows = new List<SqueueRow>();
        var lineNumber = 0;
        foreach (var raw in output.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (!line.EndsWith('|'))
            {
                throw SacctParser.Invalid(commandLine, lineNumber, line, "a line does not end with the '|' field suffix");
            }

            var fields = line[..^1].Split('|');
            if (fields.Length < Fields.Length)
            {
                throw SacctParser.Invalid(commandLine, lineNumber, line, $"expected {Fields.Length} fields, found {fields.Length}");
            }

            var name = string.Join('|', fields[FixedFields..]);
            rows.Add(new SqueueRow(
                fields[0],
                fields[1],
                fields[2],
                fields[3],
                int.TryParse(fields[4], out var restarts) ? restarts : null,
                SlurmText.ParseTime(fields[5]),
                SlurmText.ParseTime(fields[6]),
                SlurmText.ParseTime(fields[7]),
                SlurmText.ParseElapsed(fields[8]),
                fields[9],
                fields[10],
                fields[11],
                fields[12],
                fields[13],
                fields[14],
                fields[15],
                fields[16],
                name));
        }

        return rows;
    }
}
