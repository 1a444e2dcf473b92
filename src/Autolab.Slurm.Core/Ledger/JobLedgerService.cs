using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Repository;

namespace Autolab.Slurm.Ledger;

/// <summary>A planned ledger change for one manifest.</summary>
public sealed record LedgerPlan(JobListEntry Entry, string? LedgerPath, LedgerEdit? Edit, bool IsSlurmRun)
{
    /// <summary>The manifest the plan was built from.</summary>
    public RunManifestDocument? Manifest { get; init; }

    /// <summary>The ledger text the edit was computed on (empty for a missing ledger).</summary>
    public string BaseText { get; init; } = string.Empty;

    /// <summary>The repository whose .autolab/locks holds the ledger's lock, when the caller knows it.</summary>
    public string? RepositoryRoot { get; init; }

    public bool Changed => Edit?.Changed ?? false;
}

/// <summary>
/// Keeps docs/slurm_job_list.md true for one run: plans the line (and note), then rewrites the file
/// atomically under an exclusive cross-process lock in <c>.autolab/locks/</c>, re-reading it under
/// the lock so concurrent stage scripts never lose an entry.
/// </summary>
public sealed class JobLedgerService
{
    private readonly IClock _clock;

    public JobLedgerService(IClock clock) => _clock = clock;

    public TimeSpan LockTimeout { get; init; } = FileLock.DefaultTimeout;

    public static string ResolveLedgerPath(string manifestPath, string? ledgerPath)
    {
        if (!string.IsNullOrEmpty(ledgerPath))
        {
            return Path.GetFullPath(ledgerPath);
        }

        var root = RepositoryLocator.FindRoot(manifestPath) ?? throw new AutolabException(
            ErrorIds.RepositoryRootNotFound,
            AutolabErrorCategory.ObjectNotFound,
            $"No autolab repository holds '{Path.GetFullPath(manifestPath)}' (no parent folder has .autolab/), so the ledger's place is unknown. Pass -LedgerPath, or run from inside the repository.",
            manifestPath);
        return RepositoryLocator.DefaultLedgerPath(root);
    }

    public LedgerPlan Plan(string manifestPath, string? ledgerPath, string? note)
    {
        var manifest = RunManifestDocument.Load(manifestPath);
        return PlanFor(manifest, ledgerPath, note);
    }

    /// <summary>Plans and applies in one call.</summary>
    public LedgerPlan Apply(string manifestPath, string? ledgerPath, string? note, CancellationToken cancellationToken) =>
        Apply(Plan(manifestPath, ledgerPath, note), note, cancellationToken);

    /// <summary>
    /// Writes a plan under the ledger's exclusive lock. When the ledger changed since the plan was made
    /// (another stage script wrote first), the edit is computed again on the current text, so no entry is lost.
    /// </summary>
    public LedgerPlan Apply(LedgerPlan plan, string? note, CancellationToken cancellationToken)
    {
        if (!plan.IsSlurmRun || plan.LedgerPath is null || plan.Manifest is null)
        {
            return plan;
        }

        var target = AtomicFile.ResolveTarget(plan.LedgerPath);
        var lockPath = FileLock.LockPathFor(target, plan.RepositoryRoot);
        using var held = FileLock.Acquire(lockPath, LockTimeout, $"the ledger '{target}'", cancellationToken);
        if (!string.Equals(ReadLedger(target), plan.BaseText, StringComparison.Ordinal))
        {
            plan = PlanFor(plan.Manifest, target, note, plan.RepositoryRoot);
        }

        AtomicFile.RemoveStaleTemps(target);
        if (plan.Changed)
        {
            GroupShare.CreateDirectory(Path.GetDirectoryName(target)!);

            AtomicFile.WriteAllText(target, plan.Edit!.NewText);
        }

        return plan;
    }

    /// <summary>
    /// Plans the line for a manifest already in memory (the stage's current or projected manifest; for a hook,
    /// the manifest autolab is about to write), with an optional note. The repository root (given, else found
    /// from the ledger or the manifest) is found once and kept in the plan: the containment check here and the
    /// lock <see cref="Apply(LedgerPlan, string?, CancellationToken)"/> takes use the same one.
    /// </summary>
    public LedgerPlan PlanFor(RunManifestDocument manifest, string? ledgerPath, string? note, string? repositoryRoot = null)
    {
        if (!manifest.IsSlurmRun)
        {
            var entry = new JobListEntry
            {
                LedgerPath = string.IsNullOrEmpty(ledgerPath) ? string.Empty : Path.GetFullPath(ledgerPath),
                ManifestPath = manifest.Path,
                RunId = manifest.RunId,
                IterationId = manifest.IterationId,
                Status = manifest.RawStatus,
                Action = LedgerAction.Unchanged,
            };
            return new LedgerPlan(entry, null, null, IsSlurmRun: false) { Manifest = manifest };
        }

        var fields = LedgerLine.Build(manifest);
        var target = ResolveLedgerPath(manifest.Path, ledgerPath);
        var root = repositoryRoot ?? RepositoryLocator.FindRoot(target) ?? RepositoryLocator.FindRoot(manifest.Path);
        var baseText = ReadLedger(target);
        var document = LedgerDocument.Parse(baseText);
        var edit = document.Apply(fields, string.IsNullOrWhiteSpace(note) ? null : note, _clock.UtcNow);
        if (edit.Changed)
        {
            // An explicit -LedgerPath elsewhere is the user's choice; a ledger inside the repository must stay inside it.
            if (root is not null && RepositoryLocator.IsInside(root, Path.GetFullPath(target)))
            {
                RepositoryLocator.EnsureInside(root, target, "ledger");
            }

            AtomicFile.EnsureWritable(AtomicFile.ResolveTarget(target), "ledger");
        }

        return new LedgerPlan(
            new JobListEntry
            {
                LedgerPath = target,
                ManifestPath = manifest.Path,
                RunId = fields.RunId,
                JobId = fields.JobId,
                IterationId = fields.IterationId,
                Status = fields.Status,
                Date = fields.Date,
                Action = edit.Action,
                Line = fields.Line,
                NoteAdded = edit.NoteAdded,
            },
            target,
            edit,
            IsSlurmRun: true)
        {
            Manifest = manifest,
            BaseText = baseText,
            RepositoryRoot = root,
        };
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the ledger as it is: a byte-order mark stays in the text (as U+FEFF) so it is written back, and
    /// bytes that are not UTF-8 are refused rather than silently replaced in lines we would rewrite.
    /// </summary>
    private static string ReadLedger(string path)
    {
        try
        {
            return File.Exists(path) ? StrictUtf8.GetString(File.ReadAllBytes(path)) : string.Empty;
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new AutolabException(
                ErrorIds.LedgerInvalid,
                AutolabErrorCategory.InvalidData,
                $"The ledger '{path}' is not UTF-8 text ({ErrorText.Clause(ex.Message)}); it was not changed. Convert it to UTF-8.",
                path,
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AutolabException(
                ErrorIds.LedgerInvalid,
                AutolabErrorCategory.ReadError,
                $"The ledger '{path}' cannot be read: {ErrorText.Clause(ex.Message)}. Check its permissions.",
                path,
                ex);
        }
    }
}
