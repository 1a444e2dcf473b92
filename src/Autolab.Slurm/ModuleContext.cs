using Autolab.Slurm.Common;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm;

/// <summary>
/// Where the module's data lives (the staged module folder: schemas/ beside the dll) and the
/// Core services built from it, created once per process.
/// </summary>
internal static class ModuleContext
{
    private static readonly Lazy<SlurmStateTable> LazyStates = new(() => SlurmStateTable.Load(Path.Combine(SchemasDirectory, SlurmStateTable.FileName)));

    public static string ModuleDirectory { get; } = Path.GetDirectoryName(typeof(ModuleContext).Assembly.Location) ?? AppContext.BaseDirectory;

    public static string SchemasDirectory => Path.Combine(ModuleDirectory, "schemas");

    public static string BundledManifestSchema => Path.Combine(SchemasDirectory, "run_manifest.schema.json");

    public static SlurmStateTable States => LazyStates.Value;

    public static IClock Clock => SystemClock.Instance;

    public static RunManifestService ManifestService(ManifestUpdateOptions options) =>
        new(BundledManifestSchema, States, Clock, options);

    public static JobLedgerService LedgerService() => new(Clock);
}
