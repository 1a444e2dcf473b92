using System.Diagnostics;
using System.Globalization;
using System.Text;
using Autolab.Slurm.Slurm;

// Usage: Autolab.Slurm.Bench parse [rows]
// Parses a sacct answer of N rows (built from the shapes of the real fixtures: plain jobs, array
// tasks, het components, a name holding the delimiter) and reports rows per second (median of 7 runs).
var mode = args.Length > 0 ? args[0] : "parse";
switch (mode)
{
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
        Console.Error.WriteLine("usage: Autolab.Slurm.Bench parse [rows]");
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
