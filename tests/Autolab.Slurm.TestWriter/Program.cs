using System.Globalization;
using Autolab.Slurm.Common;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;

// Usage: Autolab.Slurm.TestWriter <manifest> <bundledSchema> <stateTable> [iterations]
// Alternates the run's status between running and pending, writing the manifest and then its ledger
// line each time, through the same Core services the cmdlets use. Prints "ready" after the first round.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Autolab.Slurm.TestWriter <manifest> <bundledSchema> <stateTable> [iterations]");
    return 2;
}

var manifest = args[0];
var iterations = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : int.MaxValue;
var manifests = new RunManifestService(args[1], SlurmStateTable.Load(args[2]), SystemClock.Instance);
var ledger = new JobLedgerService(SystemClock.Instance);
var statuses = new[] { "running", "pending" };
for (var i = 0; i < iterations; i++)
{
    manifests.Apply(manifest, new ForcedStatusInput(statuses[i % 2], null), null, CancellationToken.None);
    ledger.Apply(manifest, null, null, CancellationToken.None);
    if (i == 0)
    {
        Console.WriteLine("ready");
        Console.Out.Flush();
    }
}

return 0;
