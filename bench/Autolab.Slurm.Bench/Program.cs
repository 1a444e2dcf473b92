using System.Diagnostics;
using System.Globalization;
using System.Text;
using Autolab.Slurm.Bench;
using Autolab.Slurm.Common;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;

// Usage: Autolab.Slurm.Bench parse [rows]
// Parses a sacct answer of N rows (built from the shapes of the real fixtures: plain jobs, array
// tasks, het components, a name holding the delimiter) and reports rows per second (median of 7 runs).
//
// Usage: Autolab.Slurm.Bench manifest-file <MB> <path>, then Autolab.Slurm.Bench manifest <path> <schemas folder>
// Writes a SLURM run manifest of about <MB> megabytes; then makes one Update-RunManifest as the cmdlet makes it
// (plan, validate, apply under the lock) on a copy of it, in a fresh process: reports the time and the process's
// peak working set.
var mode = args.Length > 0 ? args[0] : "parse";
switch (mode)
{
    case "manifest-file" when args.Length == 3:
        File.WriteAllText(args[2], LargeManifest.Build((long)(double.Parse(args[1], CultureInfo.InvariantCulture) * 1024 * 1024)));
        return 0;

    case "manifest" when args.Length == 3:
        {
            // The manifest comes from a file written by another process (manifest-file), so the peak working
            // set of this one is the update's, not the generator's.
            var root = Path.Combine(Path.GetTempPath(), "autolab-bench-manifest-" + Guid.NewGuid().ToString("N")[..8]);
            var runDirectory = Path.Combine(root, "experiments", "plan", "iter1", "runs", "run_001");
            Directory.CreateDirectory(Path.Combine(root, ".autolab"));
            Directory.CreateDirectory(runDirectory);
            try
            {
                var manifest = Path.Combine(runDirectory, "run_manifest.json");
                File.Copy(args[1], manifest);
                var size = new FileInfo(manifest).Length;
                var schemas = args[2];
                var service = new RunManifestService(Path.Combine(schemas, "run_manifest.schema.json"), SlurmStateTable.Load(Path.Combine(schemas, "slurm_states.json")), SystemClock.Instance);
                using var process = Process.GetCurrentProcess();
                var baseline = process.WorkingSet64;
                var watch = Stopwatch.StartNew();
                var input = new ForcedStatusInput("running", null);
                var plan = service.Plan(manifest, input);
                plan = service.Apply(plan, manifest, input, null, CancellationToken.None);
                watch.Stop();
                if (!plan.Changed)
                {
                    throw new InvalidOperationException("the update changed nothing");
                }

                process.Refresh();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{size / 1048576.0:N1} MB manifest: {watch.Elapsed.TotalSeconds:N2} s, peak working set {process.PeakWorkingSet64 / 1048576.0:N0} MB ({(process.PeakWorkingSet64 - baseline) / (double)size:N1} x the file above the {baseline / 1048576.0:N0} MB before the update), {GC.GetTotalAllocatedBytes() / 1048576.0:N0} MB allocated"));
                return 0;
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }

    case "parse":
        {
            var rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
            var text = BuildSacctText(rows);
            // Warm-up: enough calls for tiered compilation to promote the parser to optimized code,
            // as it would be in a long-lived session.
            var small = BuildSacctText(1000);
            for (var i = 0; i < 60; i++)
            {
                _ = SacctParser.Parse(small, "bench");
            }

            Thread.Sleep(500);
            var times = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                var watch = Stopwatch.StartNew();
                var parsed = SacctParser.Parse(text, "bench");
                watch.Stop();
                if (parsed.Count != rows)
                {
                    throw new InvalidOperationException($"parsed {parsed.Count} rows, expected {rows}");
                }

                times.Add(watch.Elapsed.TotalSeconds);
            }

            times.Sort();
            var median = times[times.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sacct parse: {rows} rows ({text.Length / 1024.0 / 1024.0:N1} MiB) in {median * 1000:N1} ms = {rows / median / 1e6:N2} million rows/s"));
            return 0;
        }

    default:
        Console.Error.WriteLine("usage: Autolab.Slurm.Bench parse [rows] | manifest-file <MB> <path> | manifest <path> <schemas folder>");
        return 2;
}

static string BuildSacctText(int rows)
{
    var sb = new StringBuilder(rows * 110);
    for (var i = 0; i < rows; i++)
    {
        var id = 100000 + i;
        switch (i % 4)
        {
            case 0:
                sb.Append(CultureInfo.InvariantCulture, $"{id}|{id}|train|COMPLETED|0:0|0:0|None|1796100149|1796100150|1796100238|00:01:28|vm|debug|autolab\n");
                break;
            case 1:
                sb.Append(CultureInfo.InvariantCulture, $"{id}_3|{id + 7}|arr|FAILED|3:0|0:0|None|1796100158|1796100159|1796100159|00:00:00|vm-2|debug|autolab\n");
                break;
            case 2:
                sb.Append(CultureInfo.InvariantCulture, $"{id}+1|{id + 1}|het|CANCELLED by 0|0:0|0:0|None|1796100158|1796100159|1796100179|1-00:00:20|vm-3|debug|autolab\n");
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"{id}|{id}|name|with|pipes|PENDING|0:0|0:0|JobHeldUser|1796100179|Unknown|Unknown|00:00:00|None assigned|debug|autolab\n");
                break;
        }
    }

    return sb.ToString();
}
