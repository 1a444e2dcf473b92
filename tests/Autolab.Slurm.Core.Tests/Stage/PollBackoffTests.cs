using Autolab.Slurm.Stage;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Stage;

/// <summary>
/// The -Wait schedule (docs/Invoke-SlurmMonitorStage.md, -PollIntervalSec): starts at the poll interval,
/// grows 1.5 times per unchanged poll up to 300 s, resets on any change, about 20 % jitter.
/// Invoke-SlurmMonitorStage calls Next(changed) once per pass; its first call always reports a change.
/// </summary>
public class PollBackoffTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(300);

    private static void WithinJitter(TimeSpan interval, TimeSpan wait)
    {
        Assert.InRange(wait.Ticks, (long)(interval.Ticks * 0.8), (long)Math.Ceiling(interval.Ticks * 1.2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(30)]
    [InlineData(299)]
    [InlineData(3600)]
    public void Next_FirstPass_IntervalEqualsStart(int startSeconds)
    {
        var start = TimeSpan.FromSeconds(startSeconds);
        var backoff = new PollBackoff(start, new Random(1));

        Assert.Equal(start, backoff.Interval);
        var wait = backoff.Next(changed: true);

        Assert.Equal(start, backoff.Interval);
        WithinJitter(start, wait);
    }

    [Fact]
    public void Next_UnchangedPolls_Grows1Point5TimesUpTo300Seconds()
    {
        var backoff = new PollBackoff(TimeSpan.FromSeconds(30), new Random(7));
        backoff.Next(changed: true);

        var intervals = Enumerable.Range(0, 8).Select(_ =>
        {
            var wait = backoff.Next(changed: false);
            WithinJitter(backoff.Interval, wait);
            return backoff.Interval.TotalSeconds;
        }).ToArray();

        Assert.Equal(new[] { 45, 67.5, 101.25, 151.875, 227.8125, 300, 300, 300 }, intervals);
    }

    [Theory]
    [InlineData(1, 1.5)]
    [InlineData(10, 15)]
    [InlineData(100, 150)]
    [InlineData(199, 298.5)]
    [InlineData(200, 300)] // 300 exactly
    [InlineData(250, 300)] // 375 capped
    [InlineData(300, 300)] // already at the cap
    public void Next_OneUnchangedPoll_GrowsOrCaps(int startSeconds, double expectedSeconds)
    {
        var backoff = new PollBackoff(TimeSpan.FromSeconds(startSeconds), new Random(3));
        backoff.Next(changed: true);

        backoff.Next(changed: false);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), backoff.Interval);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(600)]
    [InlineData(3600)]
    public void Next_StartAboveCap_NeverShrunkBelowStart(int startSeconds)
    {
        var start = TimeSpan.FromSeconds(startSeconds);
        var backoff = new PollBackoff(start, new Random(5));
        backoff.Next(changed: true);

        for (var i = 0; i < 10; i++)
        {
            backoff.Next(changed: false);
            Assert.True(backoff.Interval >= start, $"poll {i}: {backoff.Interval} is shorter than the requested {start}");
            Assert.True(backoff.Interval <= start, $"poll {i}: {backoff.Interval} grew past the requested {start}, which is above the 300 s cap");
        }
    }

    [Fact]
    public void Next_ManyUnchangedPolls_NeverAboveCap()
    {
        var backoff = new PollBackoff(TimeSpan.FromSeconds(7), new Random(11));
        backoff.Next(changed: true);

        for (var i = 0; i < 100; i++)
        {
            var wait = backoff.Next(changed: false);
            Assert.True(backoff.Interval <= Cap, $"poll {i}: {backoff.Interval}");
            WithinJitter(backoff.Interval, wait);
        }

        Assert.Equal(Cap, backoff.Interval);
    }

    [Fact]
    public void Next_ChangeAfterGrowth_ResetsToStart()
    {
        var start = TimeSpan.FromSeconds(20);
        var backoff = new PollBackoff(start, new Random(13));
        backoff.Next(changed: true);
        for (var i = 0; i < 5; i++)
        {
            backoff.Next(changed: false);
        }

        Assert.True(backoff.Interval > start);
        var wait = backoff.Next(changed: true);

        Assert.Equal(start, backoff.Interval);
        WithinJitter(start, wait);
        backoff.Next(changed: false);
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.Interval); // growth starts again from the start
    }

    [Fact]
    public void Next_ChangeAtCap_ResetsToStart()
    {
        var start = TimeSpan.FromSeconds(5);
        var backoff = new PollBackoff(start, new Random(17));
        for (var i = 0; i < 30; i++)
        {
            backoff.Next(changed: false);
        }

        Assert.Equal(Cap, backoff.Interval);
        backoff.Next(changed: true);

        Assert.Equal(start, backoff.Interval);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(300)]
    public void Next_ManySamples_JitterWithinPlusMinus20PercentAndSpread(int intervalSeconds)
    {
        var interval = TimeSpan.FromSeconds(intervalSeconds);
        var backoff = new PollBackoff(interval, new Random(20260101));
        var ratios = new List<double>();

        for (var i = 0; i < 10_000; i++)
        {
            var wait = backoff.Next(changed: true);
            Assert.Equal(interval, backoff.Interval);
            ratios.Add((double)wait.Ticks / interval.Ticks);
        }

        Assert.All(ratios, r => Assert.InRange(r, 0.8, 1.2));

        // The jitter is real and uses the whole band: some waits near each edge, the mean near 1.
        Assert.True(ratios.Min() < 0.81, $"smallest ratio {ratios.Min()}");
        Assert.True(ratios.Max() > 1.19, $"largest ratio {ratios.Max()}");
        Assert.InRange(ratios.Average(), 0.98, 1.02);
        Assert.True(ratios.Distinct().Count() > 1000, "waits should vary from poll to poll");
    }

    [Fact]
    public void Next_SameSeed_SameWaits()
    {
        var a = new PollBackoff(TimeSpan.FromSeconds(30), new Random(99));
        var b = new PollBackoff(TimeSpan.FromSeconds(30), new Random(99));

        var first = Enumerable.Range(0, 20).Select(i => a.Next(changed: i % 4 == 0)).ToArray();
        var second = Enumerable.Range(0, 20).Select(i => b.Next(changed: i % 4 == 0)).ToArray();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Next_CappedInterval_JitterAroundTheCap()
    {
        var backoff = new PollBackoff(TimeSpan.FromSeconds(250), new Random(23));
        backoff.Next(changed: true);
        var waits = new List<TimeSpan>();

        for (var i = 0; i < 2000; i++)
        {
            waits.Add(backoff.Next(changed: false));
        }

        Assert.Equal(Cap, backoff.Interval);
        Assert.All(waits, w => WithinJitter(Cap, w));
    }
}
