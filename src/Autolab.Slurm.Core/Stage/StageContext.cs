using System.Text.RegularExpressions;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Remote;
using Autolab.Slurm.Repository;

namespace Autolab.Slurm.Stage;

/// <summary>One run the stage looks after: the base run or a replicate of its run_group.</summary>
public sealed record StageRun(string RunId, string ManifestPath, bool IsReplicate);

/// <summary>
/// Everything a pass of the slurm_monitor stage needs to know before touching anything: the repository,
/// its state, the iteration folder, the run (and replicates) and their manifests. Errors here stop the stage.
/// </summary>
public sealed partial class StageContext
{
    private static readonly string[] IterationTypes = { "in_progress", "plan", "done" };

    private StageContext(string repositoryRoot, AutolabState state)
    {
        RepositoryRoot = repositoryRoot;
        State = state;
    }

    public string RepositoryRoot { get; }

    public AutolabState State { get; }

    public string IterationId => State.IterationId;

    /// <summary>The iteration folder (full path), e.g. experiments/in_progress/iter1; null when none exists.</summary>
    public string? IterationPath { get; private set; }

    /// <summary>The run to monitor; null when the state names none (then the stage passes through).</summary>
    public string? RunId { get; private set; }

    public StageRun? BaseRun { get; private set; }

    /// <summary>The run_group replicates (the base run excluded).</summary>
    public IReadOnlyList<StageRun> Replicates { get; private set; } = Array.Empty<StageRun>();

    public string ManifestSchemaPath => RepositoryLocator.RepositorySchemaPath(RepositoryRoot);

    /// <summary>
    /// Resolves the stage's inputs. The run id is -RunId, else the state's pending_run_id, else its
    /// last_run_id. The iteration folder is experiments/&lt;type&gt;/&lt;iteration_id&gt; for the first type that
    /// exists among in_progress, plan, done.
    /// </summary>
    public static StageContext Resolve(string repositoryRoot, string? runId, string stateSchemaPath)
    {
        var root = Path.GetFullPath(repositoryRoot);
        var state = AutolabState.Load(root, stateSchemaPath);
        ValidateNames(state);
        var context = new StageContext(root, state);
        context.IterationPath = IterationTypes
            .Select(type => Path.Combine(root, "experiments", type, state.IterationId))
            .FirstOrDefault(Directory.Exists);
        var chosen = !string.IsNullOrWhiteSpace(runId) ? runId!.Trim() : state.PendingRunId ?? state.LastRunId;
        if (chosen is null)
        {
            return context;
        }

        if (!RunIdShape().IsMatch(chosen))
        {
            throw new AutolabException(
                ErrorIds.StateInvalid,
                AutolabErrorCategory.InvalidData,
                $"The run id '{chosen}' is not a valid autolab run id (letters, digits, '.', '_' and '-', at most 128 characters). Fix {AutolabState.RelativePath} or -RunId.",
                chosen);
        }

        context.RunId = chosen;
        if (context.IterationPath is null)
        {
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The iteration folder for '{state.IterationId}' does not exist under {Path.Combine(root, "experiments")} (looked in in_progress, plan and done), so run {chosen} has no manifest. Complete the launch stage first.",
                root);
        }

        context.BaseRun = new StageRun(chosen, ManifestPathOf(context.IterationPath, chosen), IsReplicate: false);
        context.Replicates = state.RunGroup
            .Where(id => !string.Equals(id, chosen, StringComparison.Ordinal))
            .Select(id => new StageRun(id, ManifestPathOf(context.IterationPath, id), IsReplicate: true))
            .ToArray();
        return context;
    }

    /// <summary>
    /// The names state.json puts into paths: iteration_id must be one folder name, run ids and run_group
    /// entries autolab's run id shape, before anything is read or written (an iteration_id of "../x" would
    /// otherwise lead the pass to a manifest outside the repository).
    /// </summary>
    private static void ValidateNames(AutolabState state)
    {
        if (!IsFolderName(state.IterationId))
        {
            throw new AutolabException(
                ErrorIds.StateInvalid,
                AutolabErrorCategory.InvalidData,
                $"The iteration_id '{state.IterationId}' in '{state.Path}' is not a single folder name (no '/', not '.' or '..'). Fix {AutolabState.RelativePath}; nothing was read or written.",
                state.Path);
        }

        foreach (var id in new[] { state.PendingRunId, state.LastRunId }.Concat(state.RunGroup))
        {
            if (id is not null && !RunIdShape().IsMatch(id))
            {
                throw new AutolabException(
                    ErrorIds.StateInvalid,
                    AutolabErrorCategory.InvalidData,
                    $"The run id '{id}' in '{state.Path}' (pending_run_id, last_run_id or run_group) is not a valid autolab run id (letters, digits, '.', '_' and '-', at most 128 characters). Fix {AutolabState.RelativePath}; nothing was read or written.",
                    state.Path);
            }
        }
    }

    /// <summary>One folder name: not empty, no separator or NUL, not "." or "..".</summary>
    public static bool IsFolderName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && name is not ("." or "..") && name.IndexOfAny(new[] { '/', '\\', '\0' }) < 0;

    /// <summary>A manifest's run_id, as the pass would put it into paths and the ledger: autolab's run id shape.</summary>
    public static bool IsRunId(string? runId) => runId is not null && RunIdShape().IsMatch(runId);

    /// <summary>
    /// The inputs of one of autolab's hooks: the run is exactly <paramref name="runDirectory"/> (autolab's
    /// {run_dir}), not found again by our iteration-folder rules; the state is read (not validated: autolab
    /// owns it) for the run group's order and base run. A repository without .autolab/ or a missing
    /// -RunDirectory stops the hook before anything is read or written.
    /// </summary>
    public static StageContext ResolveHook(string repositoryRoot, string? runDirectory)
    {
        var root = Path.GetFullPath(repositoryRoot);
        if (!Directory.Exists(Path.Combine(root, RepositoryLocator.AutolabDirectoryName)))
        {
            throw new AutolabException(
                ErrorIds.RepositoryRootNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"'{root}' is not an autolab repository (it has no .autolab/ folder). Pass the repository root as -RepositoryRoot ({{repo_root}} in the command template); nothing was written.",
                root);
        }

        if (string.IsNullOrWhiteSpace(runDirectory))
        {
            throw new AutolabException(
                ErrorIds.RunDirectoryMissing,
                AutolabErrorCategory.InvalidArgument,
                "A hook needs the run's directory: add '-RunDirectory {run_dir}' to the command template in .autolab/verifier_policy.yaml; nothing was written.",
                root);
        }

        var state = AutolabState.Load(root, stateSchemaPath: null);
        ValidateNames(state);
        var context = new StageContext(root, state);
        var runDir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory, root));
        if (!RepositoryLocator.IsInside(root, runDir))
        {
            throw new AutolabException(
                ErrorIds.PathOutsideRepository,
                AutolabErrorCategory.InvalidArgument,
                $"The run directory '{runDir}' is not inside the repository '{root}': a hook writes only inside the repository it was given. Check {{run_dir}} and {{repo_root}} in the command template; nothing was written.",
                runDir);
        }

        var runId = Path.GetFileName(runDir);
        if (!RunIdShape().IsMatch(runId))
        {
            throw new AutolabException(
                ErrorIds.StateInvalid,
                AutolabErrorCategory.InvalidArgument,
                $"The run directory '{runDir}' does not end in an autolab run id (letters, digits, '.', '_' and '-'). Check {{run_dir}} in the command template; nothing was written.",
                runDir);
        }

        var runsFolder = Path.GetDirectoryName(runDir);
        context.IterationPath = runsFolder is not null && Path.GetFileName(runsFolder) == "runs" ? Path.GetDirectoryName(runsFolder) : null;
        context.RunId = runId;
        var group = state.RunGroup.ToArray();
        context.BaseRun = new StageRun(runId, Path.Combine(runDir, RunManifestDocument.FileName), IsReplicate: group.Contains(runId, StringComparer.Ordinal));
        if (context.IterationPath is not null && group.Length > 0 && (state.PendingRunId ?? state.LastRunId) is { } primary && RunIdShape().IsMatch(primary))
        {
            context.Replicates = group.Select(id => new StageRun(id, ManifestPathOf(context.IterationPath, id), IsReplicate: true)).ToArray();
            context.GroupBase = new StageRun(primary, ManifestPathOf(context.IterationPath, primary), IsReplicate: false);
        }

        return context;
    }

    /// <summary>Hooks only: the run group's base run (autolab writes the roll-up onto it), when the state has a run group.</summary>
    public StageRun? GroupBase { get; private set; }

    /// <summary>The stage stops (nothing written) when a manifest it must read is missing, or autolab's schema is gone.</summary>
    public void RequireManifestsAndSchema()
    {
        foreach (var run in new[] { BaseRun }.Concat(Replicates).OfType<StageRun>())
        {
            if (!File.Exists(run.ManifestPath))
            {
                throw new AutolabException(
                    ErrorIds.ManifestNotFound,
                    AutolabErrorCategory.ObjectNotFound,
                    $"The run manifest '{run.ManifestPath}' of run {run.RunId} does not exist. Complete the launch stage (it writes the manifest) before slurm_monitor.",
                    run.ManifestPath);
            }
        }

        if (!File.Exists(ManifestSchemaPath))
        {
            throw new AutolabException(
                ErrorIds.SchemaNotFound,
                AutolabErrorCategory.ResourceUnavailable,
                $"'{ManifestSchemaPath}' is missing: this autolab repository's scaffold is incomplete. Restore the schema (autolab's scaffold ships .autolab/schemas/run_manifest.schema.json) and run the stage again; nothing was written.",
                ManifestSchemaPath);
        }
    }

    /// <summary>The remote profile named by the manifest's remote_execution (its default when unnamed), unless it is shared_fs: then, and without remote_execution, null.</summary>
    public RemoteProfile? RemoteProfileFor(RunManifestDocument manifest)
    {
        if (manifest.Root.GetObject("remote_execution") is not { } remote)
        {
            return null;
        }

        var profile = RemoteProfiles.Resolve(RepositoryRoot, remote.GetPathText("profile") is { Length: > 0 } name ? name : null);
        return profile.IsSharedFilesystem ? null : profile;
    }

    /// <summary>The login node to poll through: that of <see cref="RemoteProfileFor"/>.</summary>
    public string? RemoteHostFor(RunManifestDocument manifest) => RemoteProfileFor(manifest)?.LoginHost;

    public string RepoRelative(string path) => RepositoryLocator.ToRepoRelative(RepositoryRoot, path);

    private static string ManifestPathOf(string iterationPath, string runId) =>
        Path.Combine(iterationPath, "runs", runId, RunManifestDocument.FileName);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex RunIdShape();
}
