using System.Management.Automation;
using Autolab.Slurm.Completers;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Ssh;
using Autolab.Slurm.Slurm;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Asks the scheduler about jobs, by id or by run manifest. Input from the whole pipeline is collected
/// and queried at the end: one sacct call per cluster, at most one squeue call.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SlurmJobState", DefaultParameterSetName = ByJobIdSet)]
[OutputType(typeof(SlurmJobState))]
public sealed class GetSlurmJobStateCommand : SshCmdlet
{
    private const string ByJobIdSet = "ByJobId";
    private const string ByManifestSet = "ByManifest";
    private const string ByMonitorPassSet = "ByMonitorPass";
    private readonly List<JobRequest> _requests = new();
    private bool _refused;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByJobIdSet)]
    [Alias("job_id", "Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string[] JobId { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByManifestSet)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] ManifestPath { get; set; } = Array.Empty<string>();

    /// <summary>A pass of the stage (New-SlurmMonitorPass): its runs in flight are asked about, grouped by login node; what cannot be asked is recorded in the pass.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByMonitorPassSet)]
    [ValidateNotNull]
    public MonitorPass? MonitorPass { get; set; }

    [Parameter(ParameterSetName = ByJobIdSet)]
    [Parameter(ParameterSetName = ByManifestSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterCompleter))]
    public string? Cluster { get; set; }

    [Parameter(ParameterSetName = ByJobIdSet)]
    [Parameter(ParameterSetName = ByManifestSet)]
    public DateTime? Since { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 60;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByMonitorPassSet)
        {
            return;
        }

        if (ParameterSetName == ByJobIdSet)
        {
            foreach (var text in JobId)
            {
                try
                {
                    foreach (var id in SlurmJobId.ParseExpand(text))
                    {
                        _requests.Add(new JobRequest(id, Cluster: Cluster));
                    }
                }
                catch (AutolabException ex)
                {
                    _refused = true;
                    WriteAutolabError(ex);
                }
            }

            return;
        }

        foreach (var path in ManifestPath)
        {
            AddManifest(ResolvePath(path));
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == ByMonitorPassSet)
        {
            QueryPass(MonitorPass!);
            return;
        }

        if (_requests.Count == 0)
        {
            if (!_refused)
            {
                WriteVerbose("No job ids to ask the scheduler about.");
            }

            return;
        }

        // With -ComputerName the scheduler commands run on that login node over the pooled SSH session.
        var query = new SlurmJobQuery(RunnerFor(null), ModuleContext.States, ModuleContext.Clock)
        {
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
        };
        JobQueryResult? result = null;
        try
        {
            result = query.Query(_requests, Since is { } since ? new DateTimeOffset(since.ToUniversalTime(), TimeSpan.Zero) : null, CancellationToken);
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        Report(result, forUser: true);
        foreach (var (_, state) in result.States)
        {
            WriteObject(state);
        }
    }

    /// <summary>
    /// What a query ran (verbose), its warnings, and the ids it could not answer for or could not find: for a
    /// user, error records (one per cause: ids that failed for the same reason share one record whose target is
    /// the list of their ids or manifests) and a warning per id reported UNKNOWN; for a pass (which records and
    /// reports them itself), verbose lines.
    /// </summary>
    private void Report(JobQueryResult result, bool forUser)
    {
        foreach (var command in result.CommandsRun)
        {
            WriteVerbose($"ran: {command}");
        }

        foreach (var warning in result.Warnings.Distinct())
        {
            WriteWarning(warning);
        }

        foreach (var missing in result.NotFound)
        {
            if (forUser)
            {
                WriteWarning(missing.Message);
            }
            else
            {
                WriteVerbose(missing.Message);
            }
        }

        if (forUser)
        {
            foreach (var error in result.ErrorsByCause())
            {
                WriteAutolabError(error);
            }

            return;
        }

        foreach (var failure in result.Failures)
        {
            WriteVerbose($"{failure.Request.Id}: {failure.Error.ErrorId}: {failure.Error.Message}");
        }
    }

    /// <summary>
    /// One query per login node of the pass (this machine first): states go down the pipeline and into the
    /// pass; ids the scheduler or login node could not answer for become the pass's probe limitations (no
    /// error record: the stage reports them); any other error stops the pipeline.
    /// </summary>
    private void QueryPass(MonitorPass pass)
    {
        IReadOnlyList<PollGroup> groups;
        try
        {
            groups = pass.PlanPolls();
        }
        catch (AutolabException ex)
        {
            ThrowAutolabError(ex);
            return;
        }

        var timeout = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSec)) ? TimeSpan.FromSeconds(TimeoutSec) : pass.SchedulerTimeout;
        foreach (var group in groups)
        {
            var host = ComputerName ?? group.LoginHost;
            JobQueryResult result;
            try
            {
                result = new SlurmJobQuery(RunnerFor(host), ModuleContext.States, ModuleContext.Clock) { Timeout = timeout, Deadline = pass.SchedulerDeadline }.Query(group.Requests, null, CancellationToken);
            }
            catch (AutolabException ex)
            {
                // The login node's settings could not even be resolved (no key, a bad ssh config): every id of the group.
                result = new JobQueryResult(Array.Empty<(JobRequest, SlurmJobState)>(), group.Requests.Select(r => new JobQueryFailure(r, ex)).ToArray(), Array.Empty<string>(), Array.Empty<string>());
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            Report(result, forUser: false);
            var stops = pass.RecordPoll(result);
            if (stops.Count > 0)
            {
                ThrowAutolabError(stops[0]);
            }

            foreach (var (_, state) in result.States)
            {
                WriteObject(state);
            }
        }
    }

    private void AddManifest(string path)
    {
        try
        {
            var manifest = RunManifestDocument.Load(path);
            if (!manifest.IsSlurmRun)
            {
                WriteVerbose($"{path}: not a SLURM run (host_mode {manifest.Root.GetPathText("host_mode") ?? "unset"}); skipped.");
                return;
            }

            var jobId = ManifestTransitions.JobIdOf(manifest.Root, path);
            IReadOnlyList<SlurmJobId> ids;
            try
            {
                ids = SlurmJobId.ParseExpand(jobId);
            }
            catch (AutolabException ex)
            {
                throw new AutolabException(ex.ErrorId, ex.Category, $"The run manifest '{path}' holds a job id that is not valid: {ex.Message}", path, ex);
            }

            foreach (var id in ids)
            {
                _requests.Add(new JobRequest(id, manifest.Path, manifest.Cluster ?? Cluster, manifest.SubmittedAt));
            }
        }
        catch (AutolabException ex)
        {
            _refused = true;
            WriteAutolabError(ex);
        }
    }
}
