using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>The value formats sacct and squeue print (Fixtures/README.md, "What the fixtures show").</summary>
public class SlurmTextTests
{
    [Theory]
    [InlineData("1796100149", 2026, 12, 1, 4, 42, 29)]
    [InlineData("1796100318", 2026, 12, 1, 4, 45, 18)]
    [InlineData(" 1796100149 ", 2026, 12, 1, 4, 42, 29)]
    [InlineData("1", 1970, 1, 1, 0, 0, 1)]
    public void ParseTime_EpochSeconds_UtcInstant(string text, int year, int month, int day, int hour, int minute, int second)
    {
        var parsed = SlurmText.ParseTime(text);

        Assert.Equal(new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero), parsed);
    }

    [Theory]
    [InlineData("Unknown")]
    [InlineData("None")]
    [InlineData("N/A")]
    [InlineData("")]
    [InlineData("   ")]
    public void ParseTime_NoTimeWord_Null(string text)
    {
        Assert.Null(SlurmText.ParseTime(text));
    }

    [Theory]
    [InlineData("2026-12-01T04:42:29", 2026, 12, 1, 4, 42, 29)]
    [InlineData("2026-06-15T23:59:59", 2026, 6, 15, 23, 59, 59)]
    public void ParseTime_IsoWithoutZone_ReadAsLocalTime(string text, int year, int month, int day, int hour, int minute, int second)
    {
        // Without SLURM_TIME_FORMAT, Slurm prints the machine's local time without a zone (real-default-timeformat).
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Local);

        var parsed = SlurmText.ParseTime(text);

        Assert.NotNull(parsed);
        Assert.Equal(new DateTimeOffset(local).UtcDateTime, parsed!.Value.UtcDateTime);
    }

    [Theory]
    [InlineData("00:00:05", 0, 0, 0, 5)]
    [InlineData("00:01:28", 0, 0, 1, 28)]
    [InlineData("00:02:18", 0, 0, 2, 18)]
    [InlineData("1-02:03:04", 1, 2, 3, 4)]
    [InlineData("12-23:59:59", 12, 23, 59, 59)]
    [InlineData("0:00", 0, 0, 0, 0)]
    [InlineData("0:08", 0, 0, 0, 8)]
    [InlineData("1:28", 0, 0, 1, 28)]
    [InlineData("2:18", 0, 0, 2, 18)]
    [InlineData("59:59", 0, 0, 59, 59)]
    [InlineData("1:02:03", 0, 1, 2, 3)]
    [InlineData("23:00:00", 0, 23, 0, 0)]
    [InlineData("3-00:00:00", 3, 0, 0, 0)]
    [InlineData(" 00:00:20 ", 0, 0, 0, 20)]
    public void ParseElapsed_SlurmDuration_TimeSpan(string text, int days, int hours, int minutes, int seconds)
    {
        Assert.Equal(new TimeSpan(days, hours, minutes, seconds), SlurmText.ParseElapsed(text));
    }

    [Theory]
    [InlineData("INVALID")]
    [InlineData("UNLIMITED")]
    [InlineData("Partition_Limit")]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1:2:3:4")]
    [InlineData("a:bc")]
    [InlineData("-1:00")]
    [InlineData("x-01:00:00")]
    public void ParseElapsed_NotADuration_Null(string text)
    {
        Assert.Null(SlurmText.ParseElapsed(text));
    }

    [Theory]
    [InlineData("3:0", 3, 0)]
    [InlineData("0:15", 0, 15)]
    [InlineData("15:0", 15, 0)]
    [InlineData("0:0", 0, 0)]
    [InlineData("1:0", 1, 0)]
    [InlineData("0:125", 0, 125)]
    [InlineData("255:9", 255, 9)]
    public void ParseExitCode_CodeColonSignal_BothParts(string text, int code, int signal)
    {
        var (parsedCode, parsedSignal) = SlurmText.ParseExitCode(text);

        Assert.Equal(code, parsedCode);
        Assert.Equal(signal, parsedSignal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("None")]
    [InlineData("a:b")]
    public void ParseExitCode_NotAnExitCode_BothNull(string text)
    {
        var (code, signal) = SlurmText.ParseExitCode(text);

        Assert.Null(code);
        Assert.Null(signal);
    }

    [Theory]
    [InlineData("None")]
    [InlineData("N/A")]
    [InlineData("(null)")]
    [InlineData("None assigned")]
    [InlineData("")]
    public void NullIfNone_NoValueWord_Null(string text)
    {
        Assert.Null(SlurmText.NullIfNone(text));
    }

    [Theory]
    [InlineData("vm-3")]
    [InlineData("JobHeldUser")]
    [InlineData("job requeued in held state")]
    [InlineData("none")]
    public void NullIfNone_Value_Unchanged(string text)
    {
        Assert.Equal(text, SlurmText.NullIfNone(text));
    }
}
