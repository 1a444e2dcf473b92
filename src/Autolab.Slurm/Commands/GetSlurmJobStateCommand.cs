using System.Management.Automation;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Models;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Ssh;
using Autolab.Slurm.Slurm;

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
    private readonly List<JobRequest> _requests = new();
    private bool _refused;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByJobIdSet)]
    [Alias("job_id", "Id")]
    [ValidateNotNullOrEmpty]
    public string[] JobId { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByManifestSet)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] ManifestPath { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter]
    public DateTime? Since { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 60;

    protected override void ProcessRecord()
    {
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
        if (_requests.Count == 0)
        {
            if (!_refused)
            {
                WriteVerbose("No job ids to ask the scheduler about.");
            }

            return;
        }

        // With -ComputerName the scheduler commands run on that login node over the pooled SSH session.
        ICommandRunner runner = ComputerName is null
            ? LocalCommandRunner.Instance
            : new SshCommandRunner(SshConnectionPool.Shared.Get(SshOptions(ComputerName)));
        var query = new SlurmJobQuery(runner, ModuleContext.States, ModuleContext.Clock)
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

        foreach (var command in result.CommandsRun)
        {
            WriteVerbose($"ran: {command}");
        }

        foreach (var warning in result.Warnings.Distinct())
        {
            WriteWarning(warning);
        }

        foreach (var failure in result.Failures)
        {
            WriteAutolabError(failure.Error);
        }

        foreach (var (_, state) in result.States)
        {
            WriteObject(state);
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
