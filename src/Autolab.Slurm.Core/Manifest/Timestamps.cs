using System.Globalization;
using System.Text.RegularExpressions;

namespace Autolab.Slurm.Manifest;

/// <summary>Time formats autolab reads and writes.</summary>
public static partial class Timestamps
{
    /// <summary>The one format written: UTC, seconds, <c>Z</c> (e.g. 2026-01-01T00:00:00Z).</summary>
    public static string Format(DateTimeOffset value)
    {
        // Written out by hand: the first custom DateTime format of a process costs ~15 ms to set up.
        var u = value.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{u.Year:D4}-{u.Month:D2}-{u.Day:D2}T{u.Hour:D2}:{u.Minute:D2}:{u.Second:D2}Z");
    }

    private static readonly string[] IsoFormats =
    {
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd'T'HH",
        "yyyy-MM-dd",
        "yyyyMMdd'T'HHmmss.FFFFFFFK",
        "yyyyMMdd'T'HHmmssK",
        "yyyyMMdd'T'HHmmK",
        "yyyyMMdd",
    };

    /// <summary>Parses an ISO 8601 time as Python's datetime.fromisoformat does (3.11); a time without zone is UTC.</summary>
    public static DateTimeOffset? ParseUtc(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var value = text.Trim();
        if (value.EndsWith('Z') || value.EndsWith('z'))
        {
            value = value[..^1] + "+00:00";
        }

        return DateTimeOffset.TryParseExact(
            value,
            IsoFormats,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var parsed)
            ? parsed.ToUniversalTime()
            : null;
    }

    /// <summary>
    /// The ledger date of one candidate value, as autolab derives it: a value starting <c>20YY-MM-DD</c>
    /// gives that prefix; otherwise the UTC date of the parsed ISO time.
    /// </summary>
    public static string? LedgerDateOf(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var value = text.Trim();
        var prefix = DatePrefix().Match(value);
        if (prefix.Success)
        {
            return prefix.Groups[1].Value;
        }

        return ParseUtc(value)?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>The date inside a run id holding <c>YYYYMMDDTHHMMSSZ</c> (e.g. run_20260101T120000Z).</summary>
    public static string? RunIdDate(string? runId)
    {
        if (string.IsNullOrEmpty(runId))
        {
            return null;
        }

        var match = RunIdStamp().Match(runId);
        return match.Success ? $"{match.Groups[1].Value}-{match.Groups[2].Value}-{match.Groups[3].Value}" : null;
    }

    [GeneratedRegex(@"^(20\d{2}-\d{2}-\d{2})", RegexOptions.CultureInvariant)]
    private static partial Regex DatePrefix();

    [GeneratedRegex(@"(20\d{2})(\d{2})(\d{2})T\d{6}Z", RegexOptions.CultureInvariant)]
    private static partial Regex RunIdStamp();
}
