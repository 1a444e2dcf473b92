using System.Globalization;
using System.Management.Automation;
using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Ssh;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Brings a run's artifacts home into its run directory: over SFTP, from a local folder, or by checking
/// a shared filesystem in place. Progress is written from the pipeline thread while workers transfer.
/// </summary>
[Cmdlet(VerbsData.Sync, "RunArtifacts", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByManifestSet)]
[OutputType(typeof(ArtifactSyncResult))]
public sealed class SyncRunArtifactsCommand : SshCmdlet
{
    private const string ByManifestSet = "ByManifest";
    private const string ByMonitorPassSet = "ByMonitorPass";
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private MonitorPass? _pass;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByManifestSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string ManifestPath { get; set; } = string.Empty;

    /// <summary>A pass of the stage (New-SlurmMonitorPass): the runs whose artifacts it says to bring home are synced, and it keeps each outcome.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByMonitorPassSet)]
    [ValidateNotNull]
    public MonitorPass? MonitorPass { get; set; }

    [Parameter(ParameterSetName = ByManifestSet)]
    [ValidateNotNullOrEmpty]
    public string? Source { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Include { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Exclude { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateRange(0, 1048576)]
    public int MaxFileSizeMB { get; set; }

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    protected override void ProcessRecord()
    {
        if (MonitorPass is { } pass)
        {
            _pass = pass;
            foreach (var run in pass.PlanSyncs())
            {
                SyncWithin(pass.SyncTimeout, () => Sync(run.Document, run.ManifestPath));
            }

            return;
        }

        var path = ResolvePath(ManifestPath);
        RunManifestDocument? manifest = null;
        if (!TryRun(() => manifest = RunManifestDocument.Load(path)))
        {
            return;
        }

        Sync(manifest!, path);
    }

    /// <summary>
    /// Runs one sync under a deadline (the sync hook's share of autolab's sync timeout): past it, the transfer
    /// is cancelled and reported as a failure a later attempt may fix.
    /// </summary>
    private void SyncWithin(TimeSpan? limit, Action sync)
    {
        if (limit is null)
        {
            sync();
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(base.CancellationToken);
        deadline.CancelAfter(limit.Value);
        _deadline = deadline;
        _deadlineLimit = limit.Value;
        try
        {
            sync();
        }
        finally
        {
            _deadline = null;
        }
    }

    private CancellationTokenSource? _deadline;
    private TimeSpan _deadlineLimit;

    /// <summary>The cmdlet's token, or the deadline's while one runs.</summary>
    private new CancellationToken CancellationToken => _deadline?.Token ?? base.CancellationToken;

    private void Sync(RunManifestDocument manifest, string path)
    {
        var options = new SyncOptions
        {
            Source = Source is null || Source.Contains(':', StringComparison.Ordinal) || ComputerName is not null ? Source : ResolvePath(Source),
            Include = Include,
            Exclude = Exclude,
            MaxFileSizeMb = MyInvocation.BoundParameters.ContainsKey(nameof(MaxFileSizeMB)) ? MaxFileSizeMB : null,
            ThrottleLimit = ThrottleLimit,
        };

        SyncSourcePlan plan;
        try
        {
            plan = SyncSourceResolver.Resolve(manifest, options);
        }
        catch (AutolabException ex)
        {
            CouldNotRun(ex, NoPlanRequest(manifest), null);
            return;
        }

        // -ComputerName with a plain -Source path: that path on that computer.
        if (ComputerName is not null && plan.Kind is SyncSourceKind.LocalDirectory or SyncSourceKind.SharedFilesystem && Source is not null)
        {
            plan = plan with { Kind = SyncSourceKind.Remote, Host = ComputerName, Path = Source };
        }

        var engine = new ArtifactSyncEngine();
        switch (plan.Kind)
        {
            case SyncSourceKind.Refused:
                CouldNotRun(
                    new AutolabException(ErrorIds.ArtifactPullForbidden, AutolabErrorCategory.PermissionDenied, $"{plan.FailureReason} (profile '{plan.Profile?.Name}' in .autolab/remote_profiles.yaml). Nothing was pulled; change the profile's artifact_pull or data_policy if the artifacts should come home.", path),
                    plan.Request,
                    plan.Display);
                return;
            case SyncSourceKind.NoPull:
                WriteVerbose($"{path}: the profile '{plan.Profile?.Name}' pulls nothing (mode {plan.Profile?.Mode}, artifact_pull.enabled {plan.Profile?.ArtifactPull.Enabled}); the sync is ok with no paths.");
                Emit(new ArtifactSyncResult { ManifestPath = path, RunId = manifest.RunId, Destination = RelativeRunDirectory(plan.Request) });
                return;
            case SyncSourceKind.SharedFilesystem:
                // Verifying reads only; removing a terminal run's leftover partials is a change, so it is asked for.
                var leftovers = ArtifactSyncEngine.LeftoverPartials(plan.Request);
                var remove = leftovers.Count > 0 && ShouldProcess(
                    plan.Request.RunDirectory,
                    string.Create(CultureInfo.InvariantCulture, $"Remove {leftovers.Count} leftover partial download(s) of the terminal run: ")
                        + string.Join(", ", leftovers.Take(10).Select(p => Path.GetRelativePath(plan.Request.RunDirectory, p)))
                        + (leftovers.Count > 10 ? ", ..." : string.Empty));
                if (TryRunSync(plan, () => engine.VerifyInPlace(plan.Request, remove ? leftovers : Array.Empty<string>(), CancellationToken), out var verified))
                {
                    Emit(verified);
                }

                return;
        }

        IArtifactSource source;
        try
        {
            source = plan.Kind == SyncSourceKind.LocalDirectory
                ? new LocalDirectorySource(plan.Path!)
                : new SftpArtifactSource(SshConnectionPool.Shared.Get(SshOptions(plan.Host!, plan.User)), plan.Path!, ComputerName ?? plan.Host);
        }
        catch (AutolabException ex)
        {
            CouldNotRun(ex, plan.Request, plan.Display);
            return;
        }

        using (source)
        {
            if (!TryRunSync(plan, () => engine.Prepare(plan.Request, source, CancellationToken), out var pull))
            {
                return;
            }

            var action = string.Create(CultureInfo.InvariantCulture, $"Pull {pull.Changed.Count} new or changed file(s) ({pull.ChangedBytes / 1048576.0:N1} MB) of {pull.Files.Count} from {source.Display}")
                + (pull.Changed.Count is > 0 and <= 10 ? ": " + string.Join(", ", pull.Changed.Select(c => c.RelativePath)) : string.Empty);
            if (!ShouldProcess(plan.Request.RunDirectory, action))
            {
                return;
            }

            var progress = new SyncProgress();
            var task = Task.Run(() => engine.Execute(pull, progress, CancellationToken), CancellationToken);
            if (TryRunSync(plan, () => WaitWithProgress(task, progress, source.Display), out var result))
            {
                Emit(result);
            }
        }
    }

    /// <summary>A sync outcome: down the pipeline, and into the pass when there is one.</summary>
    private void Emit(ArtifactSyncResult result)
    {
        _pass?.RecordSync(result);
        WriteObject(result);
    }

    /// <summary>Blocks the pipeline thread on the transfer, writing progress from here (never from a worker).</summary>
    private ArtifactSyncResult WaitWithProgress(Task<ArtifactSyncResult> task, SyncProgress progress, string source)
    {
        var record = new ProgressRecord(1, "Sync-RunArtifacts", "listing " + source);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!task.Wait(ProgressInterval))
            {
                var seconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
                var rate = progress.BytesDone / 1048576.0 / seconds;
                record.StatusDescription = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{progress.Phase}: {progress.FilesDone}/{progress.FilesTotal} files, {progress.BytesDone / 1048576.0:N1}/{progress.BytesTotal / 1048576.0:N1} MB, {rate:N1} MB/s");
                record.CurrentOperation = progress.CurrentFile;
                record.PercentComplete = progress.BytesTotal > 0 ? (int)Math.Min(100, progress.BytesDone * 100 / progress.BytesTotal) : -1;
                WriteProgress(record);
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
    }

    /// <summary>Runs a step; a Core error means the sync cannot run at all (error + failed result). Ctrl+C stops the pipeline.</summary>
    private bool TryRunSync<T>(SyncSourcePlan plan, Func<T> step, out T result)
    {
        result = default!;
        try
        {
            result = step();
            return true;
        }
        catch (Exception ex) when ((ex as AutolabException ?? ex.InnerException as AutolabException) is { } error)
        {
            CouldNotRun(error, plan.Request, plan.Display);
            return false;
        }
        catch (Exception ex) when (ex is OperationCanceledException || ex.InnerException is OperationCanceledException)
        {
            if (base.CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            if (_deadline is { IsCancellationRequested: true })
            {
                CouldNotRun(
                    new AutolabException(
                        ErrorIds.SyncTimeout,
                        AutolabErrorCategory.OperationTimeout,
                        string.Create(CultureInfo.InvariantCulture, $"The sync of '{plan.Request.RunDirectory}' did not finish within {_deadlineLimit.TotalSeconds:0} s (the hook's share of autolab's sync_timeout_seconds) and was stopped; what arrived waits under its temporary name for the next attempt. Raise slurm.monitor.sync_timeout_seconds for large artifacts."),
                        plan.Request.RunDirectory),
                    plan.Request,
                    plan.Display);
                return false;
            }

            throw;
        }
    }

    /// <summary>The sync cannot run at all: an error with its id, and still a failed result the stage can count.</summary>
    private void CouldNotRun(AutolabException error, SyncRequest request, string? source)
    {
        if (_pass is null)
        {
            WriteAutolabError(error);
        }
        else
        {
            // The pass reports it (a ledger note, the stage result); no error record for the caller.
            WriteVerbose($"{request.ManifestPath}: {error.ErrorId}: {error.Message}");
        }

        Emit(ArtifactSyncEngine.CouldNotRun(request, source, error.Message, TimeSpan.Zero) with { Reachable = !ErrorIds.IsUnreachable(error.ErrorId) });
    }

    private static SyncRequest NoPlanRequest(RunManifestDocument manifest)
    {
        var runDirectory = Path.GetDirectoryName(manifest.Path)!;
        return new SyncRequest
        {
            ManifestPath = manifest.Path,
            RunDirectory = runDirectory,
            PathBase = Repository.RepositoryLocator.FindRoot(manifest.Path) ?? runDirectory,
            RunId = manifest.RunId,
        };
    }

    private static string RelativeRunDirectory(SyncRequest request) =>
        Path.GetRelativePath(request.PathBase, request.RunDirectory).Replace(Path.DirectorySeparatorChar, '/');
}
