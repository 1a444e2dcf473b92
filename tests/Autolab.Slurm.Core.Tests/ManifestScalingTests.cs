using Autolab.Slurm.Bench;
using Autolab.Slurm.Common;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;
using Xunit;
using static Autolab.Slurm.Core.Tests.TestManifests;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// A manifest of several megabytes (a long pulled_paths list, a big metrics block) updated as Update-RunManifest
/// does it: plan, validate, apply under the lock. Guards memory (bytes allocated on this thread, which is where
/// the whole update runs) rather than time: bench/ reports the time and peak working set at 5.6 and 56 MB.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ManifestScalingTests : IDisposable
{
    private const string RunDir = "experiments/plan/iter1/runs/run_001";
    private readonly TempDir _dir = new();

    public ManifestScalingTests() => Directory.CreateDirectory(_dir.Combine(".autolab"));

    public void Dispose() => _dir.Dispose();

    private static RunManifestService Service() =>
        new(TestPaths.BundledManifestSchema, SlurmStateTable.Load(TestPaths.StateTable), new FixedClock(Submitted.AddMinutes(30)));

    /// <summary>Bytes allocated by one update of a manifest of about <paramref name="bytes"/> bytes, and the file's size.</summary>
    private (long Allocated, long FileSize) Update(long bytes, string status)
    {
        var path = _dir.Write(RunDir + "/run_manifest.json", LargeManifest.Build(bytes));
        var size = new FileInfo(path).Length;
        var service = Service();
        var input = new ForcedStatusInput(status, null);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var plan = service.Plan(path, input);
        plan = service.Apply(plan, path, input, null, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(plan.Changed);
        Assert.Contains($"\"status\": \"{status}\"", File.ReadAllText(path), StringComparison.Ordinal);
        return (allocated, size);
    }

    [Fact]
    public void Apply_FourMegabyteManifest_AllocatesUnderTwentyTimesItsSize()
    {
        Update(64 * 1024, "pending");

        var (allocated, size) = Update(4 * 1024 * 1024, "running");

        Assert.True(allocated < 20 * size, $"one update of a {size / 1048576.0:N1} MB manifest allocated {allocated / 1048576.0:N0} MB ({allocated / (double)size:N1} x its size; the guard is 20 x)");
    }

    [Fact]
    public void Apply_OneAndEightMegabytes_AllocationGrowsLinearly()
    {
        Update(64 * 1024, "pending");

        var (small, smallSize) = Update(1024 * 1024, "running");
        var (large, largeSize) = Update(8 * 1024 * 1024, "pending");

        var perByteSmall = small / (double)smallSize;
        var perByteLarge = large / (double)largeSize;
        Assert.True(perByteLarge < perByteSmall * 1.5, $"allocation per byte of manifest: {perByteSmall:N1} at {smallSize / 1048576.0:N1} MB, {perByteLarge:N1} at {largeSize / 1048576.0:N1} MB (more than linear growth)");
    }
}
