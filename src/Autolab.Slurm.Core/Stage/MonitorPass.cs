using System.Globalization;
using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Ledger;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Remote;
using Autolab.Slurm.Repository;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm.Stage;

/// <summary>Who drives the pass: our own stage (Invoke-SlurmMonitorStage), or one of autolab's two hooks.</summary>
public enum MonitorPassMode
{
    /// <summary>A whole stage pass: manifests, ledger, log and (with -UpdateState) state.json are ours to write.</summary>
    Stage,

    /// <summary>autolab's poll_command_template: one run, autolab owns manifest and state; we keep ledger and log.</summary>
    PollHook,

    /// <summary>autolab's sync_command_template: one run's artifacts; autolab owns manifest and state.</summary>
    SyncHook,
}

public sealed record MonitorPassOptions
{
    public required string RepositoryRoot { get; init; }

    /// <summary>-RunId (stage mode); else the state's pending_run_id, else its last_run_id.</summary>
    public string? RunId { get; init; }

    /// <summary>The run directory autolab substituted for {run_dir} (hook modes): the run is exactly this one.</summary>
    public string? RunDirectory { get; init; }

    public MonitorPassMode Mode { get; init; } = MonitorPassMode.Stage;

    /// <summary>The module's schemas/ folder (state schema, bundled manifest schema).</summary>
    public required string SchemasDirectory { get; init; }

    public int MaxSyncAttempts { get; init; } = ManifestUpdateOptions.Default.MaxSyncAttempts;

    public TimeSpan LostAfter { get; init; } = ManifestUpdateOptions.Default.LostAfter;

    /// <summary>The first interval of -Wait; it grows 1.5 times per pass that sees nothing new (up to 300 s).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The previous pass's result (with -Wait), for the backoff.</summary>
    public MonitorStageResult? Previous { get; init; }

    /// <summary>The limit on each scheduler command of a stage pass (hooks derive theirs from autolab's timeouts).</summary>
    public TimeSpan SchedulerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The pass will write state.json (-UpdateState): it is checked with the other targets before the first write.</summary>
    public bool UpdateState { get; init; }

    /// <summary>When this process started: a hook's waits are counted from it (autolab's timeout runs from there).</summary>
    public DateTimeOffset ProcessStartedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Random source for the -Wait jitter (tests pin it).</summary>
    public Random? Random { get; init; }
}

/// <summary>One run the pass looks after, with its manifest as the pass last saw or made it.</summary>
public sealed class MonitorRun
{
    internal MonitorRun(string runId, string manifestPath, bool isReplicate, RunManifestDocument document)
    {
        RunId = runId;
        ManifestPath = manifestPath;
        IsReplicate = isReplicate;
        Document = document;
    }

    public string RunId { get; }

    public string ManifestPath { get; }

    public bool IsReplicate { get; }

    /// <summary>The manifest as written by this pass so far (under -WhatIf: as it would be).</summary>
    public RunManifestDocument Document { get; internal set; }

    /// <summary>The remote profile the manifest names, when its mode is not shared_fs.</summary>
    public RemoteProfile? Profile { get; internal set; }

    /// <summary>The login node this run is polled and pulled through; null for this machine.</summary>
    public string? LoginHost => Profile?.LoginHost;

    /// <summary>What the scheduler said about the run's job in this pass; null when it was not asked or could not answer.</summary>
    public SlurmJobState? JobState { get; internal set; }

    /// <summary>The ledger note this pass leaves under the run's line, or null.</summary>
    public string? Note { get; internal set; }

    /// <summary>The artifact sync of this pass, when one ran.</summary>
    public ArtifactSyncResult? SyncResult { get; internal set; }

    /// <summary>True when this pass planned a manifest change that -WhatIf kept from being written.</summary>
    public bool Projected { get; internal set; }

    public override string ToString() => RunId;
}

/// <summary>Runs polled through one place (a login node, or this machine when <see cref="LoginHost"/> is null): one scheduler query.</summary>
public sealed record PollGroup(string? LoginHost, IReadOnlyList<JobRequest> Requests);

/// <summary>A manifest change the pass decided: what to apply, the plan, and the run it belongs to.</summary>
public sealed record MonitorManifestChange(MonitorRun Run, ManifestInput Input, ManifestPlan Plan);

/// <summary>A ledger line the pass keeps: built from <see cref="Document"/> (for a hook, the manifest autolab will write), with a note.</summary>
public sealed record MonitorLedgerTarget(MonitorRun Run, RunManifestDocument Document, string? Note);

/// <summary>
/// One pass of the slurm_monitor stage, in the Core: it owns the context (repository, state, runs, login
/// hosts), the manifests it reads once and keeps current as it changes them, and every decision. Its steps
/// are typed requests and results that the cmdlets carry out (each writer still re-reads its file once
/// under its lock): poll (<see cref="PlanPolls"/>, <see cref="RecordPoll"/>), apply (<see cref="PlanJobState"/>),
/// sync (<see cref="PlanSyncs"/>, <see cref="PlanSyncResult"/>), the pass's own decisions
/// (<see cref="PlanOwnDecisions"/>: interactive runs, a run group's roll-up), the ledger
/// (<see cref="PlanLedger"/>) and the outcome (<see cref="BuildResult"/>). The same pass serves autolab's
/// hooks, where autolab owns manifest and state and the pass keeps the ledger and the log.
/// </summary>
public sealed partial class MonitorPass
{
    private readonly IClock _clock;
    private readonly SlurmStateTable _states;
    private readonly RunManifestService _manifests;
    private readonly List<string> _changed = new();
    private (string Signature, TimeSpan Interval, TimeSpan Delay)? _schedule;
    private readonly List<string> _probe = new();
    private bool _schedulerUnasked;
    private readonly List<MonitorRun> _runs = new();
    private readonly DateTimeOffset _openedAt;
    private bool _anyProjected;

    private MonitorPass(MonitorPassOptions options, StageContext context, SlurmStateTable states, IClock clock)
    {
        Options = options;
        Context = context;
        _states = states;
        _clock = clock;
        _openedAt = clock.UtcNow;
        _manifests = new RunManifestService(
            Path.Combine(options.SchemasDirectory, "run_manifest.schema.json"),
            states,
            clock,
            new ManifestUpdateOptions { MaxSyncAttempts = options.MaxSyncAttempts, LostAfter = options.LostAfter });
    }

    public MonitorPassOptions Options { get; }

    public MonitorPassMode Mode => Options.Mode;

    public StageContext Context { get; }

    public string RepositoryRoot => Context.RepositoryRoot;

    public string? RunId => Context.RunId;

    public string IterationId => Context.IterationId;

    /// <summary>The base run (the run itself when there is no run group); null when the state names no run.</summary>
    public MonitorRun? BaseRun { get; private set; }

    /// <summary>The runs the pass polls, syncs and records: the run group's replicates, else the base run.</summary>
    public IReadOnlyList<MonitorRun> Runs => _runs;

    public bool IsGroup => Context.Replicates.Count > 0 && Mode == MonitorPassMode.Stage;

    /// <summary>Null, or why the pass goes straight to extract_results without looking at the scheduler.</summary>
    public string? PassThroughReason { get; private set; }

    public bool IsPassThrough => PassThroughReason is not null;

    public string LedgerPath => RepositoryLocator.DefaultLedgerPath(RepositoryRoot);

    public string StateSchemaPath => Path.Combine(Options.SchemasDirectory, "state.schema.json");

    /// <summary>The manifest schema every write is validated against: the repository's own (the stage requires it).</summary>
    public string ManifestSchemaPath => Context.ManifestSchemaPath;

    public string? LogPath => BaseRun is null ? null : Path.Combine(Path.GetDirectoryName(BaseRun.ManifestPath)!, "logs", "slurm_monitor.log");

    /// <summary>Sentences saying what could not be asked or reached this pass (scheduler, login node).</summary>
    public IReadOnlyList<string> ProbeLimitations => _probe;

    /// <summary>Repo-relative files this pass changed (or, under -WhatIf, would change).</summary>
    public IReadOnlyList<string> ChangedFiles => _changed;

    /// <summary>
    /// Resolves the pass's inputs (errors here stop the stage and nothing is written): the state, the
    /// iteration folder, the run and its replicates, their manifests (each read once) and login hosts.
    /// </summary>
    public static MonitorPass Open(MonitorPassOptions options, SlurmStateTable states, IClock clock)
    {
        var hook = options.Mode != MonitorPassMode.Stage;
        var context = hook
            ? StageContext.ResolveHook(options.RepositoryRoot, options.RunDirectory)
            : StageContext.Resolve(options.RepositoryRoot, options.RunId, Path.Combine(options.SchemasDirectory, "state.schema.json"));
        var pass = new MonitorPass(options, context, states, clock);
        pass.Load();
        return pass;
    }

    private void Load()
    {
        if (Context.BaseRun is null)
        {
            PassThroughReason = "no run to monitor (the state names no run id): passing through";
            return;
        }

        if (Mode == MonitorPassMode.Stage)
        {
            Context.RequireManifestsAndSchema();
        }
        else if (!File.Exists(Context.BaseRun.ManifestPath))
        {
            throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The run directory '{Path.GetDirectoryName(Context.BaseRun.ManifestPath)}' holds no {RunManifestDocument.FileName}. Check {{run_dir}} in the hook's command template; nothing was written.",
                Context.BaseRun.ManifestPath);
        }

        BaseRun = NewRun(Context.BaseRun);
        if (IsGroup)
        {
            _runs.AddRange(Context.Replicates.Select(NewRun));
        }
        else if (!BaseRun.Document.IsSlurmRun)
        {
            PassThroughReason = "a local run: nothing to monitor, passing through";
            return;
        }
        else
        {
            _runs.Add(BaseRun);
        }

        Preflight();
    }

    /// <summary>
    /// Every file the pass may write, checked before the first write: it must stay inside the repository (no
    /// symlink leading elsewhere), be writable (a mode with a write bit), and its folder must let this user
    /// create the temporary file and the lock. A refusal here leaves every file as it was, and says so.
    /// </summary>
    private void Preflight()
    {
        var targets = new List<(string Path, string What)>();
        if (Mode == MonitorPassMode.Stage)
        {
            targets.AddRange(_runs.Append(BaseRun!).Distinct().Select(r => (r.ManifestPath, "run manifest")));
            if (Options.UpdateState)
            {
                targets.Add((Context.State.Path, "state file"));
            }
        }

        targets.Add((LedgerPath, "ledger"));
        targets.Add((LogPath!, "monitor log"));
        foreach (var (path, what) in targets)
        {
            RepositoryLocator.EnsureInside(RepositoryRoot, path, what);
            if (File.Exists(path) && what != "monitor log")
            {
                AtomicFile.EnsureWritable(AtomicFile.ResolveTarget(path), what);
            }

            var folder = NearestFolder(Path.GetDirectoryName(AtomicFile.ResolveTarget(path))!);
            if (!UnixFile.CanWrite(folder) || (what == "monitor log" && File.Exists(path) && !UnixFile.CanWrite(path)))
            {
                throw Denied(File.Exists(path) && what == "monitor log" ? path : folder, what);
            }
        }

        var locks = Path.Combine(RepositoryRoot, RepositoryLocator.AutolabDirectoryName, "locks");
        if (File.Exists(locks))
        {
            throw new AutolabException(
                ErrorIds.FileWriteFailed,
                AutolabErrorCategory.WriteError,
                $"'{locks}' is a file, where the module keeps its lock files. Move or remove it (the module wrote nothing into it); nothing was written.",
                locks);
        }

        if (!UnixFile.CanWrite(NearestFolder(locks)))
        {
            throw Denied(NearestFolder(locks), "lock folder");
        }
    }

    private static string NearestFolder(string path)
    {
        var current = path;
        while (!Directory.Exists(current) && Path.GetDirectoryName(current) is { } parent)
        {
            current = parent;
        }

        return current;
    }

    private static AutolabException Denied(string path, string what) =>
        new(
            ErrorIds.FileAccessDenied,
            AutolabErrorCategory.PermissionDenied,
            $"The pass cannot write the {what}: '{path}' is not writable by this user (or its file system is read-only); nothing was written. Make it writable (chmod u+w, or g+w and g+s in a repository shared by a group; chgrp to the repository's group), or run the stage as a user who may write the repository.",
            path);

    private MonitorRun NewRun(StageRun run)
    {
        var document = RunManifestDocument.Load(run.ManifestPath);
        if (document.RunId is { } manifestRunId && !StageContext.IsRunId(manifestRunId))
        {
            throw new AutolabException(
                ErrorIds.ManifestSchemaViolation,
                AutolabErrorCategory.InvalidData,
                $"The run manifest '{run.ManifestPath}' names the run '{manifestRunId}', which is not a valid autolab run id (one folder name: letters, digits, '.', '_' and '-'); it goes into paths and the ledger. Fix its run_id; nothing was written.",
                run.ManifestPath);
        }

        return new MonitorRun(run.RunId, run.ManifestPath, run.IsReplicate, document) { Profile = Context.RemoteProfileFor(document) };
    }

    private MonitorRun RunOf(string manifestPath)
    {
        var full = Path.GetFullPath(manifestPath);
        return _runs.FirstOrDefault(r => string.Equals(r.ManifestPath, full, StringComparison.Ordinal))
            ?? (BaseRun is not null && string.Equals(BaseRun.ManifestPath, full, StringComparison.Ordinal) ? BaseRun : null)
            ?? throw new AutolabException(
                ErrorIds.ManifestNotFound,
                AutolabErrorCategory.InvalidArgument,
                $"'{full}' is not one of this pass's runs ({string.Join(", ", _runs.Select(r => r.RunId))}). Give the pass only what it asked for.",
                full);
    }

    // ---- Poll ---------------------------------------------------------------------------------------

    /// <summary>
    /// The scheduler queries of this pass: every SLURM run still in flight, grouped by the login node it is
    /// polled through (one query per group: one sacct call, at most one squeue call). A hook always polls its run.
    /// </summary>
    public IReadOnlyList<PollGroup> PlanPolls()
    {
        if (IsPassThrough || Mode == MonitorPassMode.SyncHook)
        {
            return Array.Empty<PollGroup>();
        }

        var polled = _runs.Where(r => r.Document.IsSlurmRun && (Mode == MonitorPassMode.PollHook || StageRules.NeedsPolling(r.Document)));
        return polled
            .GroupBy(r => r.LoginHost ?? string.Empty, StringComparer.Ordinal)
            .Select(g => new PollGroup(g.Key.Length == 0 ? null : g.Key, g.SelectMany(RequestsOf).ToArray()))
            .ToArray();
    }

    private static IEnumerable<JobRequest> RequestsOf(MonitorRun run)
    {
        var document = run.Document;
        var jobId = ManifestTransitions.JobIdOf(document.Root, document.Path);
        IReadOnlyList<SlurmJobId> ids;
        try
        {
            ids = SlurmJobId.ParseExpand(jobId);
        }
        catch (AutolabException ex)
        {
            throw new AutolabException(ex.ErrorId, ex.Category, $"The run manifest '{document.Path}' holds a job id that is not valid: {ex.Message}", document.Path, ex);
        }

        return ids.Select(id => new JobRequest(id, document.Path, document.Cluster, document.SubmittedAt));
    }

    /// <summary>True for the errors that mean "could not ask this time": the scheduler, or the login node in front of it.</summary>
    public static bool IsProbeLimitation(string errorId) =>
        errorId.StartsWith("Scheduler", StringComparison.Ordinal) || ErrorIds.IsUnreachable(errorId);

    /// <summary>
    /// Takes a query's answer: the states found, and the ids it could not answer for. Errors that mean the
    /// scheduler or login node could not be asked become probe limitations (status kept, a ledger note);
    /// any other error stops the stage and is returned for the caller to throw.
    /// </summary>
    public IReadOnlyList<AutolabException> RecordPoll(JobQueryResult result)
    {
        foreach (var (request, state) in result.States)
        {
            if (request.ManifestPath is { } path)
            {
                RunOf(path).JobState = state;
            }
        }

        var stops = new List<AutolabException>();
        foreach (var failure in result.Failures)
        {
            if (RecordPollFailure(failure.Request, failure.Error) is { } stop)
            {
                stops.Add(stop);
            }
        }

        return stops;
    }

    /// <summary>One request the scheduler (or its login node) could not answer; returns the error when it must stop the stage.</summary>
    public AutolabException? RecordPollFailure(JobRequest request, AutolabException error)
    {
        if (!IsProbeLimitation(error.ErrorId))
        {
            return error;
        }

        var sentence = StageRules.ProbeLimitation(new[] { request.Id.Text }, error.ErrorId + ": " + (error.Detail ?? error.Message));
        AddProbe(sentence);
        if (request.ManifestPath is { } path)
        {
            RunOf(path).Note ??= sentence;
        }

        return null;
    }

    // ---- Apply --------------------------------------------------------------------------------------

    /// <summary>The manifest change a job state asks for (the transition table), planned on the run's current manifest.</summary>
    public MonitorManifestChange PlanJobState(SlurmJobState state)
    {
        var run = RunOf(state.ManifestPath ?? throw new ArgumentException("The job state does not come from a manifest.", nameof(state)));
        return Plan(run, new JobStateInput(state));
    }

    /// <summary>
    /// Keeps a sync's outcome (called by the sync step for every result): the files it pulled count as
    /// changed; a login node that could not be reached or trusted is a probe limitation (a ledger note; not
    /// counted as a sync attempt); a sync that could not run at all gets a note saying why.
    /// </summary>
    public void RecordSync(ArtifactSyncResult result)
    {
        var run = RunOf(result.ManifestPath);
        run.SyncResult = result;
        foreach (var path in result.PulledPaths)
        {
            AddChangedRelative(path);
        }

        var couldNotRun = result.Failures.FirstOrDefault(f => f.Path.Length == 0);
        if (!result.Reachable)
        {
            var reason = couldNotRun?.Reason ?? result.Failures.FirstOrDefault()?.Reason ?? "the login node could not be reached";
            var sentence = $"the artifacts of run {run.RunId} could not be pulled this time ({ErrorText.OneLine(reason)}); the sync was not counted as an attempt and the stage will try again";
            AddProbe(sentence, schedulerUnasked: false);
            run.Note ??= sentence;
        }
        else if (couldNotRun is not null && Mode == MonitorPassMode.Stage)
        {
            run.Note ??= $"artifact sync could not run: {ErrorText.OneLine(couldNotRun.Reason)}";
        }
    }

    /// <summary>
    /// The manifest change a sync result asks for (rows 4, 6, 13-15); null when there is nothing to apply:
    /// the login node could not be reached or trusted (sync fields and attempts stay), or autolab owns the
    /// manifest (hooks).
    /// </summary>
    public MonitorManifestChange? PlanSyncResult(ArtifactSyncResult result)
    {
        var run = RunOf(result.ManifestPath);
        if (!result.Reachable || Mode != MonitorPassMode.Stage)
        {
            return null;
        }

        return Plan(run, new SyncInput(result.Status, result));
    }

    /// <summary>
    /// The pass's own manifest decisions, after polling and syncing: an interactive run that completed with a
    /// good sync becomes synced (row 5), and a run group's base run gets the roll-up of its replicates.
    /// </summary>
    public IReadOnlyList<MonitorManifestChange> PlanOwnDecisions()
    {
        if (IsPassThrough || Mode != MonitorPassMode.Stage)
        {
            return Array.Empty<MonitorManifestChange>();
        }

        var changes = new List<MonitorManifestChange>();
        foreach (var run in _runs.Where(r => StageRules.IsCompletedInteractive(r.Document)))
        {
            changes.Add(Plan(run, new SyncInput(SyncStatus.Ok, null)));
        }

        return changes;
    }

    /// <summary>The run group's roll-up onto the base run (call after the replicates' changes were applied); null when nothing changes.</summary>
    public MonitorManifestChange? PlanRollup()
    {
        if (!IsGroup || BaseRun is null)
        {
            return null;
        }

        var rollup = StageRules.Rollup(_runs.Select(r => (r.Document.RawStatus, r.Document.RawSyncStatus)).ToArray());
        var base_ = BaseRun.Document;
        if (base_.RawStatus == rollup.Status && (rollup.SyncStatus is null || base_.RawSyncStatus == rollup.SyncStatus))
        {
            return null;
        }

        return Plan(BaseRun, new ForcedStatusInput(rollup.Status, rollup.SyncStatus));
    }

    private MonitorManifestChange Plan(MonitorRun run, ManifestInput input)
    {
        if (Mode != MonitorPassMode.Stage)
        {
            throw new InvalidOperationException("autolab owns the manifest in hook mode: the pass plans no manifest change.");
        }

        return new MonitorManifestChange(run, input, _manifests.PlanFor(run.Document, input, ManifestSchemaPath));
    }

    /// <summary>Writes a change (re-planned under the manifest's lock when the file moved meanwhile) and keeps the result as the run's manifest.</summary>
    public MonitorManifestChange Apply(MonitorManifestChange change, CancellationToken cancellationToken)
    {
        var plan = _manifests.Apply(change.Plan, change.Run.ManifestPath, change.Input, ManifestSchemaPath, RepositoryRoot, cancellationToken);
        var applied = change with { Plan = plan };
        Record(applied, written: true);
        return applied;
    }

    /// <summary>
    /// Keeps a change's outcome without writing it (-WhatIf, or nothing to write): later steps and the
    /// result then see the manifest as it would be.
    /// </summary>
    public void Record(MonitorManifestChange change, bool written)
    {
        var run = change.Run;
        var plan = change.Plan;
        if (plan.Changed)
        {
            run.Document = RunManifestDocument.Parse(run.ManifestPath, plan.NewText);
            AddChanged(run.ManifestPath);
            if (!written)
            {
                run.Projected = true;
                _anyProjected = true;
            }
        }

        if (plan.Update.Note is { } note)
        {
            run.Note = note;
        }

        if (plan.Update.ProbeLimitation is { } probe)
        {
            AddProbe(probe, schedulerUnasked: false);
        }
    }

    // ---- Sync ---------------------------------------------------------------------------------------

    /// <summary>
    /// The runs whose artifacts this pass brings home: a COMPLETED job whose artifacts are not home yet, a
    /// failed job's logs (rows 4, 6, 13, 14). The sync hook syncs its run unconditionally (autolab decided).
    /// </summary>
    public IReadOnlyList<MonitorRun> PlanSyncs()
    {
        if (IsPassThrough || Mode == MonitorPassMode.PollHook)
        {
            return Array.Empty<MonitorRun>();
        }

        return Mode == MonitorPassMode.SyncHook ? _runs.ToArray() : _runs.Where(r => StageRules.NeedsSync(r.Document)).ToArray();
    }

    // ---- Ledger -------------------------------------------------------------------------------------

    /// <summary>
    /// The ledger lines this pass keeps, each built from the run's manifest as this pass leaves it, with the
    /// note this pass has for it: every SLURM run polled, and a run group's base run when it is a SLURM run
    /// with a job id.
    /// </summary>
    public IReadOnlyList<MonitorLedgerTarget> PlanLedger()
    {
        if (IsPassThrough)
        {
            return Array.Empty<MonitorLedgerTarget>();
        }

        if (Mode != MonitorPassMode.Stage)
        {
            return PlanHookLedger();
        }

        var targets = _runs.Select(r => new MonitorLedgerTarget(r, r.Document, r.Note)).ToList();
        if (IsGroup && BaseRun is not null && BaseRun.Document.IsSlurmRun && BaseRun.Document.LedgerJobId is not null)
        {
            targets.Add(new MonitorLedgerTarget(BaseRun, BaseRun.Document, BaseRun.Note));
        }

        return targets;
    }

    /// <summary>The ledger change for one target (its line, and its note when this pass has one).</summary>
    public LedgerPlan PlanLedgerLine(MonitorLedgerTarget target) =>
        Ledger.PlanFor(target.Document, LedgerPath, target.Note, RepositoryRoot);

    /// <summary>Writes a ledger change under the ledger's lock (re-planned when the ledger moved meanwhile) and keeps what it did.</summary>
    public LedgerPlan ApplyLedgerLine(LedgerPlan plan, MonitorLedgerTarget target, CancellationToken cancellationToken)
    {
        var applied = Ledger.Apply(plan, target.Note, cancellationToken);
        RecordLedger(applied.Entry);
        return applied;
    }

    private JobLedgerService? _ledger;

    private JobLedgerService Ledger => _ledger ??= new JobLedgerService(_clock) { LockTimeout = LockTimeout };


    /// <summary>Keeps what a ledger update did (or would do).</summary>
    public void RecordLedger(JobListEntry entry)
    {
        if (entry.Action != LedgerAction.Unchanged)
        {
            AddChanged(entry.LedgerPath);
        }
    }

    // ---- Outcome ------------------------------------------------------------------------------------

    /// <summary>What the pass found and decided; <paramref name="applied"/> is false under -WhatIf.</summary>
    public MonitorStageResult BuildResult()
    {
        var probe = _probe.Count > 0 ? string.Join("; ", _probe) : null;
        if (IsPassThrough)
        {
            var local = BaseRun?.Document;
            var passThrough = Schedule(local?.RawStatus, null, local?.RawSyncStatus);
            return new MonitorStageResult
            {
                RunId = RunId,
                IterationId = IterationId,
                JobId = local?.PollJobId,
                HostMode = local is null ? null : ManifestText.HostMode(local),
                Status = local?.RawStatus,
                SyncStatus = local?.RawSyncStatus,
                NextStage = StageRules.ExtractResults,
                CanAdvance = true,
                Message = PassThroughReason!,
                Applied = !_anyProjected,
                ChangedFiles = _changed.ToArray(),
                Signature = passThrough.Signature,
                PollInterval = passThrough.Interval,
                NextPollDelay = passThrough.Delay,
            };
        }

        var baseDocument = BaseRun!.Document;
        var decision = StageRules.Decide(baseDocument.RawStatus, _schedulerUnasked);
        string? jobIds;
        string? schedulerText;
        if (IsGroup)
        {
            jobIds = string.Join(", ", _runs.Select(r => r.Document.PollJobId));
            schedulerText = StageRules.CountStates(_runs.Select(SchedulerStateOf));
        }
        else
        {
            jobIds = baseDocument.PollJobId;
            schedulerText = SchedulerStateOf(BaseRun);
        }

        var message = decision.Message;
        if (_anyProjected)
        {
            message = "what if: " + message + " (nothing was written)";
        }

        var schedule = Schedule(baseDocument.RawStatus, schedulerText, baseDocument.RawSyncStatus);
        return new MonitorStageResult
        {
            RunId = RunId,
            IterationId = IterationId,
            JobId = jobIds,
            HostMode = ManifestText.HostMode(baseDocument),
            SchedulerState = schedulerText,
            Status = baseDocument.RawStatus,
            SyncStatus = baseDocument.RawSyncStatus,
            NextStage = decision.NextStage,
            CanAdvance = decision.CanAdvance,
            Message = message,
            ProbeLimitation = probe,
            Applied = !_anyProjected,
            ChangedFiles = _changed.ToArray(),
            Signature = schedule.Signature,
            PollInterval = schedule.Interval,
            NextPollDelay = schedule.Delay,
        };
    }

    /// <summary>The result's signature and -Wait schedule, drawn once per signature (building the result again keeps its delay).</summary>
    private (string Signature, TimeSpan Interval, TimeSpan Delay) Schedule(string? status, string? schedulerState, string? syncStatus)
    {
        var signature = $"{status}|{schedulerState}|{syncStatus}";
        if (_schedule is not { } schedule || schedule.Signature != signature)
        {
            var previous = Options.Previous;
            var changed = previous is null || previous.Signature != signature;
            var backoff = new PollBackoff(Options.PollInterval, changed ? null : previous!.PollInterval, Options.Random);
            var delay = backoff.Next(changed);
            _schedule = schedule = (signature, backoff.Interval, delay);
        }

        return schedule;
    }

    /// <summary>The run's job state as this pass saw it, else as its manifest recorded it.</summary>
    private static string? SchedulerStateOf(MonitorRun run) => run.JobState?.State ?? StageRules.RecordedState(run.Document);

    /// <summary>The one line this pass appends to the run's monitor log (not for a pass-through).</summary>
    public string? LogLine(MonitorStageResult result)
    {
        if (IsPassThrough || BaseRun is null)
        {
            return null;
        }

        if (Mode != MonitorPassMode.Stage)
        {
            var answer = Mode == MonitorPassMode.PollHook ? HookLine : HookSucceeded ? "ok" : "failed";
            var probe = StageRules.ProbeSuffix(result.ProbeLimitation);
            return $"{Timestamps.Format(_clock.UtcNow)} run_id={HookRun.RunId} job_id={HookRun.Document.PollJobId ?? "-"} hook={(Mode == MonitorPassMode.PollHook ? "poll" : "sync")} answer={answer}{probe}";
        }

        var decision = new StageDecision(result.NextStage, result.CanAdvance, result.Message);
        return StageRules.LogLine(_clock.UtcNow, RunId!, result.JobId, result.SchedulerState, result.Status ?? RunStatus.Pending, result.SyncStatus, decision, result.ProbeLimitation);
    }

    /// <summary>
    /// Appends <see cref="LogLine"/> (and <paramref name="details"/>, each indented on its own line) to
    /// runs/&lt;run&gt;/logs/slurm_monitor.log: the one accepted non-atomic write, a single append.
    /// </summary>
    public void AppendLog(MonitorStageResult result, IReadOnlyList<string>? details = null)
    {
        if (LogLine(result) is not { } line || LogPath is not { } log)
        {
            return;
        }

        foreach (var detail in details ?? Array.Empty<string>())
        {
            line += "\n  " + ErrorText.OneLine(detail);
        }

        RepositoryLocator.EnsureInside(RepositoryRoot, log, "monitor log");
        AtomicFile.AppendLine(log, line);
        AddChanged(log);
    }

    /// <summary>
    /// -WhatIf declined the log line: nothing is appended, the log counts as a change the pass would make and
    /// the result becomes a what-if (as <see cref="Record"/> does for a manifest change not written).
    /// </summary>
    public void SkipLog(MonitorStageResult result)
    {
        if (LogLine(result) is not null && LogPath is { } log)
        {
            AddChanged(log);
            _anyProjected = true;
        }
    }

    /// <summary>
    /// The -UpdateState write of state.json (autolab-contract.md): sync_status (completed when the sync is
    /// success-like), stage_attempt 0, stage extract_results when the pass can advance; planned on the file as
    /// it is under its lock. Returns true when the file changed.
    /// </summary>
    public bool UpdateState(MonitorStageResult result, CancellationToken cancellationToken)
    {
        if (Mode != MonitorPassMode.Stage)
        {
            throw new InvalidOperationException("autolab owns state.json in hook mode.");
        }

        var changed = Context.State.Update(StageRules.StateSyncStatus(result.SyncStatus), result.CanAdvance, StateSchemaPath, cancellationToken);
        if (changed)
        {
            AddChanged(Context.State.Path);
        }

        return changed;
    }

    /// <summary>-WhatIf declined the state.json write: nothing is written; the file counts as a change when the update would change it.</summary>
    public void SkipStateUpdate(MonitorStageResult result)
    {
        if (Mode == MonitorPassMode.Stage && Context.State.WouldChange(StageRules.StateSyncStatus(result.SyncStatus), result.CanAdvance))
        {
            AddChanged(Context.State.Path);
        }

        _anyProjected = true;
    }

    /// <summary>Why the state write changed nothing although asked (the state moved on meanwhile), or null.</summary>
    public string? StateSkipped => Context.State.Skipped;

    private void AddProbe(string sentence, bool schedulerUnasked = true)
    {
        _schedulerUnasked |= schedulerUnasked;
        if (!_probe.Contains(sentence, StringComparer.Ordinal))
        {
            _probe.Add(sentence);
        }
    }

    private void AddChanged(string fullPath) => AddChangedRelative(Context.RepoRelative(fullPath));

    private void AddChangedRelative(string relative)
    {
        if (!_changed.Contains(relative, StringComparer.Ordinal))
        {
            _changed.Add(relative);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mode} pass over {RunId ?? "(no run)"} in {RepositoryRoot}");
}
