using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Repository;
using Autolab.Slurm.Schema;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm.Manifest;

/// <summary>
/// Reads a manifest, plans a transition, validates the result against the repository's schema (else
/// the bundled one) and writes it atomically under the manifest's lock. Plan and apply are separate so
/// a cmdlet can ask ShouldProcess with the exact change in between.
/// </summary>
public sealed class RunManifestService
{
    private readonly string _bundledSchemaPath;
    private readonly ManifestTransitions _transitions;
    private readonly IClock _clock;

    public RunManifestService(string bundledSchemaPath, SlurmStateTable states, IClock clock, ManifestUpdateOptions? options = null)
    {
        _bundledSchemaPath = bundledSchemaPath;
        _transitions = new ManifestTransitions(states, options);
        _clock = clock;
    }

    public TimeSpan LockTimeout { get; init; } = FileLock.DefaultTimeout;

    /// <summary>The schema a manifest is validated against: -SchemaPath, else the repository's, else ours.</summary>
    public string ResolveSchemaPath(string manifestPath, string? explicitSchemaPath)
    {
        if (!string.IsNullOrEmpty(explicitSchemaPath))
        {
            return Path.GetFullPath(explicitSchemaPath);
        }

        if (RepositoryLocator.FindRoot(manifestPath) is { } root)
        {
            var repositorySchema = RepositoryLocator.RepositorySchemaPath(root);
            if (File.Exists(repositorySchema))
            {
                return repositorySchema;
            }
        }

        return _bundledSchemaPath;
    }

    /// <summary>Computes the change without writing; throws the errors the write would meet (schema, read-only).</summary>
    public ManifestPlan Plan(string manifestPath, ManifestInput input, string? schemaPath = null)
    {
        var document = RunManifestDocument.Load(manifestPath);
        return PlanFor(document, input, schemaPath);
    }

    public ManifestPlan PlanFor(RunManifestDocument document, ManifestInput input, string? schemaPath = null)
    {
        var plan = _transitions.Plan(document, input, _clock.UtcNow);
        if (plan.Changed)
        {
            Validate(plan, ResolveSchemaPath(document.Path, schemaPath));
            if (RepositoryLocator.FindRoot(document.Path) is { } root)
            {
                RepositoryLocator.EnsureInside(root, document.Path, "run manifest");
            }

            AtomicFile.EnsureWritable(AtomicFile.ResolveTarget(document.Path), "run manifest");
        }

        return plan;
    }

    /// <summary>Plans and applies in one call (re-planned under the lock).</summary>
    public ManifestPlan Apply(string manifestPath, ManifestInput input, string? schemaPath, CancellationToken cancellationToken) =>
        Apply(null, manifestPath, input, schemaPath, cancellationToken);

    /// <summary>
    /// Writes a plan under the manifest's lock. When the file changed since <paramref name="plan"/> was made
    /// (another writer got there first), the change is planned again from the current text, so no update is lost.
    /// </summary>
    public ManifestPlan Apply(ManifestPlan? plan, string manifestPath, ManifestInput input, string? schemaPath, CancellationToken cancellationToken) =>
        Apply(plan, manifestPath, input, schemaPath, RepositoryLocator.FindRoot(Path.GetFullPath(manifestPath)), cancellationToken);

    /// <summary>As the other overload, for a caller that already knows the repository root (the lock lives under its .autolab/locks).</summary>
    public ManifestPlan Apply(ManifestPlan? plan, string manifestPath, ManifestInput input, string? schemaPath, string? repositoryRoot, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(manifestPath);
        var lockPath = FileLock.LockPathFor(AtomicFile.ResolveTarget(full), repositoryRoot);
        using var held = FileLock.Acquire(lockPath, LockTimeout, $"the run manifest '{full}'", cancellationToken);
        // A file unchanged since the plan was made (the usual case) is only hashed, not read and parsed again.
        if (plan is null || !string.Equals(plan.Document.Path, full, StringComparison.Ordinal) || !plan.Document.FileStillMatches())
        {
            plan = PlanFor(RunManifestDocument.Load(full), input, schemaPath);
        }

        AtomicFile.RemoveStaleTemps(full);
        if (plan.Changed)
        {
            AtomicFile.WriteAllText(full, plan.NewText);
        }

        return plan;
    }

    private static void Validate(ManifestPlan plan, string schemaPath)
    {
        var schema = JsonSchemaValidator.Load(schemaPath);
        var problems = JsonSchemaValidator.Validate(schema, plan.NewRoot);
        if (problems.Count > 0)
        {
            throw new AutolabException(
                ErrorIds.ManifestSchemaViolation,
                AutolabErrorCategory.InvalidData,
                $"The update of '{plan.Document.Path}' ({plan.Update.Description}) would not validate against '{schemaPath}', so the file was left as it was:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}{Environment.NewLine}Fix the manifest by hand (or its schema), then run the command again.",
                plan.Document.Path);
        }
    }
}
