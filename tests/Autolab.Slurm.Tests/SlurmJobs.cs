using System.Diagnostics;

namespace Autolab.Slurm.Tests;

/// <summary>
/// Two real jobs on the local test cluster (tests/infra/up.sh), submitted once and awaited until sacct
/// records their end: one that completes, one that fails with exit code 3. sbatch, sacct and squeue come
/// from PATH, as the module finds them.
/// </summary>
public sealed class SlurmJobs
{
    public SlurmJobs()
    {
        SubmittedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        CompletedJobId = Submit("xunit-ok", "true");
        FailedJobId = Submit("xunit-bad", "exit 3");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var states = SacctStates(CompletedJobId, FailedJobId);
            if (states.GetValueOrDefault(CompletedJobId) == "COMPLETED" && states.GetValueOrDefault(FailedJobId) == "FAILED")
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Jobs {CompletedJobId} and {FailedJobId} did not end within 120 s (sacct says: {string.Join(", ", states)}).");
            }

            Thread.Sleep(500);
        }
    }

    public string CompletedJobId { get; }

    public string FailedJobId { get; }

    /// <summary>A little before the jobs were submitted: what a launch manifest's started_at would say.</summary>
    public DateTimeOffset SubmittedAt { get; }

    /// <summary>Submits `--wrap <paramref name="wrap"/>` with sbatch (plus <paramref name="extra"/> options, e.g. --hold) and returns the job id.</summary>
    internal static string Submit(string name, string wrap, params string[] extra)
    {
        string[] arguments = ["--parsable", .. extra, $"--job-name={name}", "--output=/dev/null", "--chdir=/tmp", "--time=1", "--cpus-per-task=1", "--wrap", wrap];
        var output = Run("sbatch", arguments);
        var id = output.Trim().Split(';')[0];
        if (!id.All(char.IsAsciiDigit) || id.Length == 0)
        {
            throw new InvalidOperationException($"sbatch printed '{output}', not a job id.");
        }

        return id;
    }

    private static Dictionary<string, string> SacctStates(params string[] ids)
    {
        var output = Run("sacct", "--noheader", "--parsable2", "--allocations", "--format=JobID,State", "--jobs=" + string.Join(',', ids));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|', 2))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);
    }

    /// <summary>Runs a Slurm command (sbatch, scancel, ...) from PATH and returns its stdout; a non-zero exit fails the test.</summary>
    internal static string Run(string program, params string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }
}
