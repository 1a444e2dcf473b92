using System.Diagnostics;
using System.Globalization;
using System.Text;
using Autolab.Slurm.Common;
using Autolab.Slurm.IO;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// Writer processes killed with SIGKILL in the middle of rewriting a 2,000-line ledger or a manifest (each
/// kill lands while a temporary file of the write is open) must leave each file old or new, never torn, and
/// no stray temp files once the next write ran.
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

        // Each writer is killed by strace's fault injection at a chosen system call of a chosen write: just
        // before the rename that would publish a finished temporary file, or before the fsync of a freshly
        // written one. Each kill therefore lands mid-write, and the test proves it: the temporary file of the
        // interrupted write is still there afterwards. (A writer does two writes per round, manifest then
        // ledger, each: temp written, fsync, rename, directory fsync; the first round ends with "ready".)
        var directories = new[] { dir.Combine("docs"), Path.GetDirectoryName(manifest)! };
        var kills = Enumerable.Range(3, 12).Select(n => ("rename", n))
            .Concat(Enumerable.Range(0, 13).Select(k => ("fsync", 5 + (2 * k))));
        foreach (var (syscall, when) in kills)
        {
            using var writer = StartWriter(manifest, syscall, when);
            var ready = await writer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("ready", ready);
            Assert.True(writer.WaitForExit(60_000), $"the writer was not killed at {syscall} #{when}");
            Assert.NotEqual(0, writer.ExitCode);
            var temps = directories.SelectMany(Directory.EnumerateFiles).Where(f => AtomicFile.IsTempFileName(Path.GetFileName(f))).ToArray();
            Assert.True(temps.Length == 1, $"killed at {syscall} #{when}: expected the interrupted write's temporary file, found {temps.Length}");

            var ledgerText = File.ReadAllText(ledgerPath);
            Assert.Contains(ledgerText, validLedgers.Values);
            // Old or new, each a whole document as written independently of the module's JSON writer.
            Assert.Contains(File.ReadAllText(manifest), Statuses.Select(ManifestText));
        }

        // The next write cleans up whatever temp files the killed writers left.
        var manifests = new RunManifestService(TestPaths.BundledManifestSchema, SlurmStateTable.Load(TestPaths.StateTable), SystemClock.Instance);
        manifests.Apply(manifest, new ForcedStatusInput("running", null), null, CancellationToken.None);
        new JobLedgerService(SystemClock.Instance).Apply(manifest, null, null, CancellationToken.None);
        Assert.Equal(new[] { "slurm_job_list.md" }, Directory.GetFiles(dir.Combine("docs")).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(manifest)!), f => AtomicFile.IsTempFileName(Path.GetFileName(f)));
        Assert.Equal(validLedgers["running"], File.ReadAllText(ledgerPath));
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

    /// <summary>Starts the writer under strace, which kills it (SIGKILL) when it enters <paramref name="syscall"/> for the <paramref name="when"/>th time.</summary>
    private static System.Diagnostics.Process StartWriter(string manifest, string syscall, int when)
    {
        var info = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall, "-e", string.Create(CultureInfo.InvariantCulture, $"inject={syscall}:signal=KILL:when={when}"), "dotnet" })
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Autolab.Slurm.TestWriter.dll"));
        info.ArgumentList.Add(manifest);
        info.ArgumentList.Add(TestPaths.BundledManifestSchema);
        info.ArgumentList.Add(TestPaths.StateTable);
        return System.Diagnostics.Process.Start(info)!;
    }
}
