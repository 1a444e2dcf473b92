using System.Globalization;
using System.Management.Automation;
using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Ssh;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Brings a run's artifacts home into its run directory: over SFTP, from a local folder, or by checking
/// a shared filesystem in place. Progress is written from the pipeline thread while workers transfer.
/// </summary>
[Cmdlet(VerbsData.Sync, "RunArtifacts", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ArtifactSyncResult))]
public sealed class SyncRunArtifactsCommand : SshCmdlet
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string ManifestPath { get; set; } = string.Empty;

    [Parameter]
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
        var path = ResolvePath(ManifestPath);
        RunManifestDocument? manifest = null;
        if (!TryRun(() => manifest = RunManifestDocument.Load(path)))
        {
            return;
        }

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
            plan = SyncSourceResolver.Resolve(manifest!, options);
        }
        catch (AutolabException ex)
        {
            CouldNotRun(ex, NoPlanRequest(manifest!), null);
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
                WriteObject(new ArtifactSyncResult { ManifestPath = path, RunId = manifest!.RunId, Destination = RelativeRunDirectory(plan.Request) });
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
                    WriteObject(verified);
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
                WriteObject(result);
            }
        }
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
            if (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            throw;
        }
    }

    /// <summary>The sync cannot run at all: an error with its id, and still a failed result the stage can count.</summary>
    private void CouldNotRun(AutolabException error, SyncRequest request, string? source)
    {
        WriteAutolabError(error);
        WriteObject(ArtifactSyncEngine.CouldNotRun(request, source, error.Message, TimeSpan.Zero));
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
