using System.Globalization;

namespace Autolab.Slurm.Slurm;

/// <summary>Readers for the value formats sacct and squeue print (22.05, SLURM_TIME_FORMAT=%s).</summary>
public static class SlurmText
{
    /// <summary>Epoch seconds (what SLURM_TIME_FORMAT=%s prints), or an ISO local time; the words Unknown, None, N/A and empty mean no time.</summary>
    public static DateTimeOffset? ParseTime(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.IsEmpty || text.Equals("Unknown", StringComparison.Ordinal) || text.Equals("None", StringComparison.Ordinal)
            || text.Equals("N/A", StringComparison.Ordinal) || text.Equals("0", StringComparison.Ordinal))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        // Without SLURM_TIME_FORMAT Slurm prints local time without a zone.
        return DateTime.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local)
            ? new DateTimeOffset(local).ToUniversalTime()
            : null;
    }

    /// <summary><c>[D-]HH:MM:SS</c>, <c>MM:SS</c> or <c>M:SS</c>; null for anything else (INVALID, UNLIMITED).</summary>
    public static TimeSpan? ParseElapsed(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.IsEmpty)
        {
            return null;
        }

        var days = 0;
        var dash = text.IndexOf('-');
        if (dash > 0)
        {
            if (!int.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out days))
            {
                return null;
            }

            text = text[(dash + 1)..];
        }

        Span<int> parts = stackalloc int[3];
        var count = 0;
        while (!text.IsEmpty)
        {
            var colon = text.IndexOf(':');
            var piece = colon < 0 ? text : text[..colon];
            if (count == 3 || !int.TryParse(piece, NumberStyles.None, CultureInfo.InvariantCulture, out parts[count]))
            {
                return null;
            }

            count++;
            text = colon < 0 ? ReadOnlySpan<char>.Empty : text[(colon + 1)..];
        }

        return count switch
        {
            3 => new TimeSpan(days, parts[0], parts[1], parts[2]),
            2 => new TimeSpan(days, 0, parts[0], parts[1]),
            _ => null,
        };
    }

    /// <summary><c>code:signal</c> (e.g. <c>3:0</c>, <c>0:15</c>).</summary>
    public static (int? Code, int? Signal) ParseExitCode(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var only) ? (only, null) : (null, null);
        }

        int? code = int.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
        int? signal = int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        return (code, signal);
    }

    /// <summary>
    /// squeue's exit_code: <c>code:signal</c> (24.11 and later, like sacct's ExitCode), or the raw wait status
    /// (22.05: 768 is exit 3; 9 is signal 9 with no exit code). Null for an empty or unreadable field.
    /// </summary>
    public static (int? Code, int? Signal) ParseSqueueExitCode(ReadOnlySpan<char> text)
    {
        var value = text.Trim();
        if (value.Contains(':'))
        {
            return ParseExitCode(value);
        }

        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
        {
            return (null, null);
        }

        // POSIX wait status: the exit code in bits 8-15, the terminating signal in bits 0-6.
        return ((status >> 8) & 0xFF, status & 0x7F);
    }

    /// <summary>Text that means "no value" in Slurm output becomes null.</summary>
    public static string? NullIfNone(string text) =>
        text.Length == 0 || text is "None" or "N/A" or "(null)" or "None assigned" ? null : text;
}
