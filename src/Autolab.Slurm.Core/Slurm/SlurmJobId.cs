using System.Globalization;
using System.Text.RegularExpressions;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm.Slurm;

public enum SlurmJobIdKind
{
    /// <summary><c>123</c>: a job, or the parent of an array or het job (then aggregated).</summary>
    Job,

    /// <summary><c>123_4</c>: one array task.</summary>
    ArrayTask,

    /// <summary><c>123+1</c>: one het job component.</summary>
    HetComponent,
}

/// <summary>A validated job id. Only these shapes ever reach a scheduler command line.</summary>
public sealed partial record SlurmJobId(string Text, SlurmJobIdKind Kind, long BaseId, long? Index)
{
    /// <summary>Beyond this many tasks in one range, an id is refused rather than expanded (a typo like [1-9999999]).</summary>
    public const int MaxRangeTasks = 10000;

    public override string ToString() => Text;

    /// <summary>True for a cluster name Slurm could hold: a plain word (letters, digits, '_', '-', '.').</summary>
    public static bool IsClusterName(string? name) => name is not null && ClusterShape().IsMatch(name);

    /// <summary>
    /// Refuses a cluster name that is not a plain word (<c>InvalidJobId</c>): it would reach sacct and squeue as
    /// <c>--clusters=</c>, so anything else (a manifest's "123; touch /tmp/x" read as id 123 on cluster
    /// "touch /tmp/x") stops before a process starts.
    /// </summary>
    public static string? ValidateCluster(string? name, string where)
    {
        if (name is null || IsClusterName(name))
        {
            return name;
        }

        throw new AutolabException(
            ErrorIds.InvalidJobId,
            AutolabErrorCategory.InvalidArgument,
            $"'{name}' ({where}) is not a Slurm cluster name: a cluster is one plain word (letters, digits, '_', '-', '.'). A job id is 123, 123_4, 123_[1-3] or 123+1, optionally followed by ';<cluster>'. Nothing was asked.",
            name);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterShape();

    /// <summary>
    /// Parses one id as the user wrote it. <c>123_[1-3]</c> (also <c>[1,3,5-7]</c>) expands to one id per task.
    /// Anything else is refused with <c>InvalidJobId</c>, before any process starts.
    /// </summary>
    public static IReadOnlyList<SlurmJobId> ParseExpand(string? text)
    {
        var value = text?.Trim() ?? string.Empty;
        var match = Shape().Match(value);
        if (!match.Success)
        {
            throw Invalid(text);
        }

        var baseId = ParseNumber(match.Groups["base"].Value, text);
        if (match.Groups["task"].Success)
        {
            var task = ParseNumber(match.Groups["task"].Value, text);
            return new[] { new SlurmJobId($"{baseId}_{task}", SlurmJobIdKind.ArrayTask, baseId, task) };
        }

        if (match.Groups["het"].Success)
        {
            var offset = ParseNumber(match.Groups["het"].Value, text);
            return new[] { new SlurmJobId($"{baseId}+{offset}", SlurmJobIdKind.HetComponent, baseId, offset) };
        }

        if (match.Groups["range"].Success)
        {
            var tasks = ExpandRange(match.Groups["range"].Value, text);
            return tasks.Select(t => new SlurmJobId($"{baseId}_{t}", SlurmJobIdKind.ArrayTask, baseId, t)).ToArray();
        }

        return new[] { new SlurmJobId(baseId.ToString(CultureInfo.InvariantCulture), SlurmJobIdKind.Job, baseId, null) };
    }

    public static bool IsValid(string? text)
    {
        try
        {
            _ = ParseExpand(text);
            return true;
        }
        catch (AutolabException)
        {
            return false;
        }
    }

    /// <summary>Expands a range body like <c>1-3,7,9-11</c> (a <c>%N</c> throttle suffix is ignored).</summary>
    internal static IReadOnlyList<long> ExpandRange(string body, string? original)
    {
        var percent = body.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0)
        {
            body = body[..percent];
        }

        var tasks = new List<long>();
        foreach (var part in body.Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                tasks.Add(ParseNumber(part, original));
                continue;
            }

            var from = ParseNumber(part[..dash], original);
            var to = ParseNumber(part[(dash + 1)..], original);
            if (to < from || to - from >= MaxRangeTasks)
            {
                throw Invalid(original);
            }

            for (var t = from; t <= to; t++)
            {
                tasks.Add(t);
            }
        }

        if (tasks.Count > MaxRangeTasks)
        {
            throw Invalid(original);
        }

        return tasks.Distinct().ToArray();
    }

    private static long ParseNumber(string digits, string? original) =>
        long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < 1_000_000_000_000
            ? n
            : throw Invalid(original);

    private static AutolabException Invalid(string? text) =>
        new(
            ErrorIds.InvalidJobId,
            AutolabErrorCategory.InvalidArgument,
            $"'{text}' is not a Slurm job id. Use 123, an array task 123_4, an array range 123_[1-3] or a het job component 123+1.",
            text);

    [GeneratedRegex(@"^(?<base>[0-9]+)(?:_(?<task>[0-9]+)|_\[(?<range>[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)\]|\+(?<het>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
