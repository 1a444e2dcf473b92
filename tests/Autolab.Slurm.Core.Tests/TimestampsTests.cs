using Autolab.Slurm.Manifest;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// Time formats of autolab-contract.md: every time written is UTC `YYYY-MM-DDTHH:MM:SSZ`; a ledger date
/// is the `20YY-MM-DD` prefix of a value, else the UTC date of the parsed ISO time; a run id may carry a
/// `YYYYMMDDTHHMMSSZ` stamp.
/// </summary>
public class TimestampsTests
{
    [Theory]
    [InlineData(2026, 1, 1, 0, 0, 0, 0, 0, "2026-01-01T00:00:00Z")]
    [InlineData(2026, 1, 1, 23, 30, 0, 0, -5, "2026-01-02T04:30:00Z")]
    [InlineData(2026, 1, 1, 1, 15, 59, 0, 2, "2025-12-31T23:15:59Z")]
    [InlineData(2026, 6, 30, 12, 0, 7, 999, 0, "2026-06-30T12:00:07Z")]
    public void Format_AnyOffset_WritesUtcSecondsWithZ(int y, int mo, int d, int h, int mi, int s, int ms, int offsetHours, string expected)
    {
        var value = new DateTimeOffset(y, mo, d, h, mi, s, ms, TimeSpan.FromHours(offsetHours));

        Assert.Equal(expected, Timestamps.Format(value));
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00z", "2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T23:30:00-05:00", "2026-01-02T04:30:00Z")]
    [InlineData("2026-01-01T00:00:00.123456Z", "2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01 10:20:30+00:00", "2026-01-01T10:20:30Z")]
    [InlineData("  2026-01-01T00:00:00Z  ", "2026-01-01T00:00:00Z")]
    [InlineData("20260101T233000-05:00", "2026-01-02T04:30:00Z")]
    public void ParseUtc_IsoTimes_GiveUtcInstant(string text, string expectedUtc)
    {
        var parsed = Timestamps.ParseUtc(text);

        Assert.NotNull(parsed);
        Assert.Equal(TimeSpan.Zero, parsed!.Value.Offset);
        Assert.Equal(expectedUtc, Timestamps.Format(parsed.Value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("yesterday")]
    [InlineData("2026-13-45T99:00:00Z")]
    [InlineData("01/02/2026")]
    [InlineData("not 2026-01-01")]
    public void ParseUtc_NotATime_IsNull(string? text)
    {
        Assert.Null(Timestamps.ParseUtc(text));
    }

    // The contract: "a value starting 20YY-MM-DD gives that prefix; else parse ISO and take the UTC date".
    // Reading: the prefix rule comes first, so 2026-01-01T23:30:00-05:00 gives 2026-01-01 even though its
    // UTC date is 2026-01-02 (the brief's example said 2026-01-02; the contract's wording is binding).
    // The UTC conversion shows on values that do not start with 20YY-MM-DD.
    [Theory]
    [InlineData("2026-01-01T00:00:00Z", "2026-01-01")]
    [InlineData("2026-01-01", "2026-01-01")]
    [InlineData("2026-01-01T23:30:00-05:00", "2026-01-01")]
    [InlineData("2026-01-01 garbage after the date", "2026-01-01")]
    [InlineData("  2026-03-04T05:06:07Z", "2026-03-04")]
    [InlineData("20260101T233000-05:00", "2026-01-02")]
    [InlineData("20260101T003000+02:00", "2025-12-31")]
    [InlineData("1999-12-31T23:30:00-05:00", "2000-01-01")]
    [InlineData("1999-12-31T23:30:00Z", "1999-12-31")]
    public void LedgerDateOf_Value_PrefixWinsElseUtcDate(string text, string expected)
    {
        Assert.Equal(expected, Timestamps.LedgerDateOf(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("19-01-01")]
    [InlineData("Jan 1 2026")]
    public void LedgerDateOf_Unparseable_IsNull(string? text)
    {
        Assert.Null(Timestamps.LedgerDateOf(text));
    }

    [Theory]
    [InlineData("run_20260315T120000Z", "2026-03-15")]
    [InlineData("20260101T000000Z", "2026-01-01")]
    [InlineData("exp-a.20251231T235959Z-rep2", "2025-12-31")]
    public void RunIdDate_StampInside_GivesDate(string runId, string expected)
    {
        Assert.Equal(expected, Timestamps.RunIdDate(runId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("run_001")]
    [InlineData("run_20260315T1200Z")]
    [InlineData("run_20260315")]
    [InlineData("run_20260315T120000")]
    public void RunIdDate_NoStamp_IsNull(string? runId)
    {
        Assert.Null(Timestamps.RunIdDate(runId));
    }
}
