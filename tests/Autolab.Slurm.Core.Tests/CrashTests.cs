using System.Diagnostics;
using System.Text;
using Autolab.Slurm.Common;
using Autolab.Slurm.IO;
using Autolab.Slurm.Json;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// Writer processes killed with SIGKILL at random moments while rewriting a 2,000-line ledger and a
/// manifest must leave each file old or new, never torn, and no stray temp files once the next write ran.
/// </summary>
public class CrashTests
{
    private const string RunId = "run_1000";
    private static readonly string[] Statuses = { "submitted", "running", "pending" };

    [Fact]
    public async Task KilledWriters_LeaveOldOrNewFiles_AndNoTempFilesAfterTheNextWrite()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine(".autolab"));
        var manifest = dir.Write($"experiments/plan/iter1/runs/{RunId}/run_manifest.json", ManifestText("submitted"));
        var ledgerPath = dir.Combine("docs", "slurm_job_list.md");
        var others = new StringBuilder("# SLURM Job Ledger\n\n");
        for (var i = 0; i < 1997; i++)
        {
            others.Append("- 2026-01-01 | job_id=").Append(50000 + i).Append(" | iteration_id=iter1 | run_id=run_").Append(i).Append(" | status=completed\n");
            if (i == 999)
            {
                others.Append(EntryLine("submitted")).Append('\n');
            }
        }

        dir.Write("docs/slurm_job_list.md", others.ToString());
        var validLedgers = Statuses.ToDictionary(s => s, s => others.ToString().Replace(EntryLine("submitted"), EntryLine(s), StringComparison.Ordinal));
        Assert.Equal(2000, validLedgers["running"].Count(c => c == '\n'));

        var random = new Random(20261201);
        var killedMidRun = 0;
        for (var round = 0; round < 25; round++)
        {
            using var writer = StartWriter(manifest);
            var ready = await writer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("ready", ready);
            await Task.Delay(random.Next(1, 120));
            writer.Kill(entireProcessTree: true);
            writer.WaitForExit();
            killedMidRun++;

            var ledgerText = File.ReadAllText(ledgerPath);
            Assert.Contains(ledgerText, validLedgers.Values);
            var manifestText = File.ReadAllText(manifest);
            var parsed = Assert.IsType<RawObject>(RawJson.Parse(manifestText));
            Assert.Contains(parsed.GetString("status"), Statuses);
            Assert.True(manifestText == ManifestText("submitted") || manifestText == RawJson.Write(parsed), "manifest is not a whole document");
        }

        // The next write cleans up whatever temp files the killed writers left.
        var manifests = new RunManifestService(TestPaths.BundledManifestSchema, SlurmStateTable.Load(TestPaths.StateTable), SystemClock.Instance);
        manifests.Apply(manifest, new ForcedStatusInput("running", null), null, CancellationToken.None);
        new JobLedgerService(SystemClock.Instance).Apply(manifest, null, null, CancellationToken.None);
        Assert.Equal(new[] { "slurm_job_list.md" }, Directory.GetFiles(dir.Combine("docs")).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(manifest)!), f => AtomicFile.IsTempFileName(Path.GetFileName(f)));
        Assert.Equal(validLedgers["running"], File.ReadAllText(ledgerPath));
        Assert.Equal(25, killedMidRun);
    }

    private static string EntryLine(string status) =>
        $"- 2026-01-01 | job_id=71000 | iteration_id=iter1 | run_id={RunId} | status={status}";

    private static string ManifestText(string status) => $$"""
        {
          "schema_version": "1.0",
          "run_id": "{{RunId}}",
          "iteration_id": "iter1",
          "launch_mode": "slurm",
          "host_mode": "slurm",
          "command": "sbatch launch/run_slurm.sbatch",
          "resource_request": {
            "cpus": 1,
            "job_id": "71000"
          },
          "status": "{{status}}",
          "artifact_sync_to_local": {
            "status": "pending"
          },
          "timestamps": {
            "started_at": "2026-01-01T00:00:00Z"
          },
          "started_at": "2026-01-01T00:00:00Z",
          "job_id": "71000"
        }

        """;

    private static System.Diagnostics.Process StartWriter(string manifest)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Autolab.Slurm.TestWriter.dll"));
        info.ArgumentList.Add(manifest);
        info.ArgumentList.Add(TestPaths.BundledManifestSchema);
        info.ArgumentList.Add(TestPaths.StateTable);
        return System.Diagnostics.Process.Start(info)!;
    }
}
