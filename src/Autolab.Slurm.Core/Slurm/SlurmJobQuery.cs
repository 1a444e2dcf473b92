using System.Globalization;
using Autolab.Slurm.Common;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Execution;

namespace Autolab.Slurm.Slurm;

/// <summary>
/// Which optional fields the sacct at each location (this machine, a login node) knows: Restarts exists in
/// 24.11 and later, not in 22.05 (which refuses the whole call with "Invalid field requested"). Learnt from
/// the first call of the process (the field is asked for; a refusal is remembered and that call made again
/// without it), then reused: a query never costs an extra call to find out.
/// </summary>
public sealed class SacctFieldCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _restarts = new(StringComparer.Ordinal);

    public static SacctFieldCache Shared { get; } = new();

    /// <summary>True or false once learnt for <paramref name="location"/>; null before.</summary>
    public bool? KnowsRestarts(string location) => _restarts.TryGetValue(location, out var known) ? known : null;

    public void Learn(string location, bool knowsRestarts) => _restarts[location] = knowsRestarts;
}

/// <summary>One id to look up, with what its manifest knows (cluster, submission time).</summary>
public sealed record JobRequest(SlurmJobId Id, string? ManifestPath = null, string? Cluster = null, DateTimeOffset? SubmittedAt = null)
{
    /// <summary>How messages name the id: "Job 123", with the manifest it came from when there is one.</summary>
    public string Label => $"Job {Id}{(ManifestPath is null ? string.Empty : $" ({ManifestPath})")}";
}

/// <summary>An id the scheduler could not answer for; no state is reported for it.</summary>
public sealed record JobQueryFailure(JobRequest Request, AutolabException Error)
{
    /// <summary>
    /// The one failure behind this id's error when it is shared with other ids (sacct missing, the controller
    /// down, a -Cluster that is not a cluster name): the same object for every id it concerns. Null when the
    /// cause is this id's own.
    /// </summary>
    public AutolabException? Cause { get; init; }
}

/// <summary>An id that neither sacct nor squeue knows (reported UNKNOWN), and a sentence saying where it was looked for.</summary>
public sealed record JobNotFound(JobRequest Request, string Message);

/// <summary>The states found, in request order, plus the ids that failed and what was run.</summary>
public sealed record JobQueryResult(
    IReadOnlyList<(JobRequest Request, SlurmJobState State)> States,
    IReadOnlyList<JobQueryFailure> Failures,
    IReadOnlyList<string> CommandsRun,
    IReadOnlyList<string> Warnings)
{
    /// <summary>How many ids a grouped error lists by name before "and N more".</summary>
    private const int ListedIds = 10;

    public int SacctCalls => CommandsRun.Count(c => c.Contains("sacct", StringComparison.Ordinal));

    public int SqueueCalls => CommandsRun.Count(c => c.Contains("squeue", StringComparison.Ordinal));

    /// <summary>The ids reported UNKNOWN because neither tool knows them, each with why (for a warning).</summary>
    public IReadOnlyList<JobNotFound> NotFound { get; init; } = Array.Empty<JobNotFound>();

    /// <summary>
    /// <see cref="Failures"/> as a user should read them: one error per cause. Ids that failed for the same
    /// reason (<see cref="JobQueryFailure.Cause"/>) become one error whose target is the list of their targets
    /// (manifest path, else job id, in request order) and whose message names them; an error about an argument
    /// rather than the ids (the same object for each) is that error once; an id with a cause of its own keeps
    /// its own error. <see cref="Failures"/> itself stays per id (the stage pass records each run's failure).
    /// </summary>
    public IReadOnlyList<AutolabException> ErrorsByCause()
    {
        var errors = new List<AutolabException>();
        foreach (var group in Failures.GroupBy(f => (object?)f.Cause ?? f, ReferenceEqualityComparer.Instance))
        {
            var members = group.ToList();
            var cause = members[0].Cause;
            if (members.Count == 1 || cause is null)
            {
                errors.Add(members[0].Error);
            }
            else if (members.All(m => ReferenceEquals(m.Error, cause)))
            {
                errors.Add(cause);
            }
            else
            {
                var targets = members.Select(m => m.Request.ManifestPath ?? m.Request.Id.Text).Distinct(StringComparer.Ordinal).ToArray();
                var named = members.Select(m => m.Request.ManifestPath is null ? m.Request.Id.Text : $"{m.Request.Id} ({m.Request.ManifestPath})").Distinct(StringComparer.Ordinal).ToList();
                var list = named.Count <= ListedIds
                    ? string.Join(", ", named)
                    : string.Join(", ", named.Take(ListedIds)) + string.Create(CultureInfo.InvariantCulture, $" and {named.Count - ListedIds} more");
                errors.Add(new AutolabException(cause.ErrorId, cause.Category, $"Jobs {list}: {cause.Message}", targets, cause)
                {
                    Detail = cause.Detail ?? cause.Message,
                });
            }
        }

        return errors;
    }
}

/// <summary>
/// The module's eyes on the scheduler. For all requested ids: one sacct call per cluster (split only
/// past 1000 ids), then at most one squeue call, only when sacct cannot settle an id (not in
/// accounting yet, a state the controller can refine such as PREEMPTED or REQUEUED, or a pending or
/// running job whose restart count only the controller knows). Absence is never success.
/// </summary>
public sealed class SlurmJobQuery
{
    public const int MaxIdsPerSacct = 1000;

    // Variables that would change what sacct and squeue print or which jobs they select.
    private static readonly string[] SacctVariables = { "SACCT_FORMAT", "SACCT_FEDERATION", "SACCT_LOCAL" };
    // Also unset by the completion's squeue (ArgumentCompletions.UserJobsCommand).
    internal static readonly IReadOnlyList<string> SqueueVariables = new[]
    {
        "SQUEUE_ACCOUNT", "SQUEUE_ALL", "SQUEUE_ARRAY", "SQUEUE_ARRAY_UNIQUE", "SQUEUE_FEDERATION", "SQUEUE_FORMAT",
        "SQUEUE_FORMAT2", "SQUEUE_LICENSES", "SQUEUE_LOCAL", "SQUEUE_NAMES", "SQUEUE_PARTITION", "SQUEUE_PRIORITY",
        "SQUEUE_QOS", "SQUEUE_SIBLING", "SQUEUE_SORT", "SQUEUE_STATES", "SQUEUE_USERS",
    };

    private readonly ICommandRunner _runner;
    private readonly SlurmStateTable _states;
    private readonly IClock _clock;

    public SlurmJobQuery(ICommandRunner runner, SlurmStateTable states, IClock clock)
    {
        _runner = runner;
        _states = states;
        _clock = clock;
    }

    /// <summary>What each location's sacct knows (shared by the process; a test gives its own).</summary>
    public SacctFieldCache Fields { get; init; } = SacctFieldCache.Shared;

    /// <summary>Per-command timeout; a command past it is killed (with its process tree) and its ids fail with SchedulerTimeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public JobQueryResult Query(IReadOnlyList<JobRequest> requests, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var states = new List<(JobRequest, SlurmJobState)>();
        var failures = new List<JobQueryFailure>();
        var commands = new List<string>();
        var warnings = new List<string>();
        var notFound = new List<JobNotFound>();
        var resolved = new Dictionary<JobRequest, SlurmJobState>();
        foreach (var group in requests.GroupBy(r => r.Cluster ?? string.Empty, StringComparer.Ordinal))
        {
            if (group.Key.Length > 0 && !SlurmJobId.IsClusterName(group.Key))
            {
                // Never reaches a command line: each id of the group fails before any process starts. A bad
                // -Cluster is one error about the argument; a manifest's bad cluster is that manifest's own.
                AutolabException? argument = null;
                foreach (var request in group)
                {
                    try
                    {
                        SlurmJobId.ValidateCluster(group.Key, request.ManifestPath is null ? "-Cluster" : $"the cluster of '{request.ManifestPath}'");
                    }
                    catch (AutolabException ex)
                    {
                        if (request.ManifestPath is null)
                        {
                            argument ??= ex;
                            failures.Add(new JobQueryFailure(request, argument) { Cause = argument });
                        }
                        else
                        {
                            failures.Add(new JobQueryFailure(request, ex));
                        }
                    }
                }

                continue;
            }

            var cluster = group.Key.Length == 0 ? null : group.Key;
            QueryCluster(cluster, group.ToList(), since, cancellationToken, resolved, failures, commands, warnings, notFound);
        }

        foreach (var request in requests)
        {
            if (resolved.TryGetValue(request, out var state))
            {
                states.Add((request, state));
            }
        }

        return new JobQueryResult(states, failures, commands, warnings) { NotFound = notFound };
    }

    /// <summary>The sacct command for these ids (exposed for tests and benchmarks).</summary>
    public static CommandSpec SacctCommand(IEnumerable<string> ids, string? cluster, TimeSpan window) => SacctCommand(ids, cluster, window, withRestarts: false);

    /// <summary>The sacct command for these ids, asking for the restart count too when <paramref name="withRestarts"/>.</summary>
    public static CommandSpec SacctCommand(IEnumerable<string> ids, string? cluster, TimeSpan window, bool withRestarts)
    {
        var arguments = new List<string> { "--parsable2", "--noheader", "--allocations" };
        if (cluster is not null)
        {
            arguments.Add("--clusters=" + cluster);
        }

        var seconds = Math.Max(60, (long)Math.Ceiling(window.TotalSeconds));
        arguments.Add("--starttime");
        arguments.Add(string.Create(CultureInfo.InvariantCulture, $"now-{seconds}seconds"));
        arguments.Add("--format=" + (withRestarts ? SacctParser.FormatWithRestarts : SacctParser.Format));
        arguments.Add("--jobs=" + string.Join(',', ids));
        return new CommandSpec("sacct", arguments)
        {
            Environment = new Dictionary<string, string> { ["SLURM_TIME_FORMAT"] = "%s" },
            UnsetVariables = SacctVariables,
            UnsetPrefixes = new[] { "SACCT_" },
        };
    }

    /// <summary>
    /// The one squeue command: every job the controller knows, whoever submitted it (a colleague's job in a
    /// shared repository included), one line per array task. Not a --jobs list: one id the controller has
    /// forgotten fails the whole call on 22.05, and malformed ones on 26.05.
    /// </summary>
    public static CommandSpec SqueueCommand(string? cluster)
    {
        var arguments = new List<string> { "--noheader", "--array", "--states=all" };
        if (cluster is not null)
        {
            arguments.Add("--clusters=" + cluster);
        }

        arguments.Add("--Format=" + SqueueParser.Format);
        return new CommandSpec("squeue", arguments)
        {
            Environment = new Dictionary<string, string> { ["SLURM_TIME_FORMAT"] = "%s" },
            UnsetVariables = SqueueVariables,
            UnsetPrefixes = new[] { "SQUEUE_" },
        };
    }

    private void QueryCluster(
        string? cluster,
        List<JobRequest> requests,
        DateTimeOffset? since,
        CancellationToken cancellationToken,
        Dictionary<JobRequest, SlurmJobState> resolved,
        List<JobQueryFailure> failures,
        List<string> commands,
        List<string> warnings,
        List<JobNotFound> notFound)
    {
        var now = _clock.UtcNow;
        var start = since
            ?? (requests.Where(r => r.SubmittedAt is not null).Select(r => r.SubmittedAt!.Value).DefaultIfEmpty().Min() is var earliest && earliest != default
                ? earliest.AddDays(-1)
                : now.AddDays(-30));
        var window = now - start;

        // 1. sacct for every id (chunks of 1000). A failing chunk fails only its own ids.
        var sacctRows = new List<SacctRow>();
        var accountingDisabled = false;
        var sacctErrors = new Dictionary<string, AutolabException>(StringComparer.Ordinal);
        var ids = requests.Select(r => r.Id.Text).Distinct(StringComparer.Ordinal).ToList();
        for (var offset = 0; offset < ids.Count; offset += MaxIdsPerSacct)
        {
            var chunk = ids.Skip(offset).Take(MaxIdsPerSacct).ToList();
            var withRestarts = Fields.KnowsRestarts(_runner.Location) ?? true;
            var command = SacctCommand(chunk, cluster, window, withRestarts);
            commands.Add(command.Display);
            AutolabException? error = null;
            try
            {
                var result = Run(command, cancellationToken);
                if (withRestarts && result.ExitCode != 0 && result.StandardError.Contains("Invalid field requested", StringComparison.OrdinalIgnoreCase))
                {
                    // This sacct has no Restarts (22.05): remember it for the process and ask again without it.
                    Fields.Learn(_runner.Location, knowsRestarts: false);
                    withRestarts = false;
                    command = SacctCommand(chunk, cluster, window, withRestarts: false);
                    commands.Add(command.Display);
                    result = Run(command, cancellationToken);
                }
                else if (result.ExitCode == 0)
                {
                    Fields.Learn(_runner.Location, withRestarts);
                }

                if (result.ExitCode != 0)
                {
                    if (result.StandardError.Contains("accounting storage is disabled", StringComparison.OrdinalIgnoreCase))
                    {
                        accountingDisabled = true;
                        warnings.Add("Slurm accounting is disabled on this cluster: job states come from squeue alone, and a job the controller has forgotten is unknown.");
                        break;
                    }

                    error = Unavailable(result, command);
                }
                else if (string.IsNullOrWhiteSpace(result.StandardOutput) && !string.IsNullOrWhiteSpace(result.StandardError))
                {
                    // sacct exited 0 but said why it printed nothing (slurmdbd unreachable, a protocol error):
                    // that is a failed call, not "no such job" (which prints nothing and no error).
                    error = Unavailable(result, command);
                }
                else
                {
                    sacctRows.AddRange(SacctParser.Parse(result.StandardOutput, command.ShortDisplay, withRestarts));
                }
            }
            catch (AutolabException ex)
            {
                error = ex;
            }

            if (error is not null)
            {
                foreach (var id in chunk)
                {
                    sacctErrors[id] = error;
                }
            }
        }

        // Right after a job (or an array's last task) ends, slurmdbd briefly holds a placeholder row
        // named "allocation" with no partition. It is not the job's record yet: treat it as absent, so
        // the controller is asked instead of trusting a premature COMPLETED.
        var sacct = new ComponentIndex(sacctRows.Where(r => !IsPlaceholder(r)).Select(FromSacct));

        // 2. Which ids sacct cannot settle.
        var needSqueue = new List<JobRequest>();
        foreach (var request in requests)
        {
            var components = sacct.Find(request.Id);
            if (components.Count == 0 || components.Any(c => NeedsController(c)) || MayLackArrayTasks(request, components, now))
            {
                needSqueue.Add(request);
            }
        }

        // 3. At most one squeue call.
        ComponentIndex? squeue = null;
        AutolabException? squeueError = null;
        if (needSqueue.Count > 0)
        {
            var command = SqueueCommand(cluster);
            commands.Add(command.Display);
            try
            {
                var result = Run(command, cancellationToken);
                if (result.ExitCode != 0)
                {
                    squeueError = Unavailable(result, command);
                }
                else
                {
                    if (result.StandardError.Contains("error", StringComparison.OrdinalIgnoreCase))
                    {
                        // squeue exits 0 even for an invalid --Format field; its stderr says so.
                        throw new AutolabException(
                            ErrorIds.SchedulerOutputInvalid,
                            AutolabErrorCategory.InvalidData,
                            $"'{result.CommandLine}' reported an error on stderr although it exited 0: {result.StandardError.Trim()}. The installed squeue may not know one of the requested fields.",
                            result.CommandLine)
                        {
                            Detail = "squeue printed an error: " + LastLines(result.StandardError),
                        };
                    }

                    squeue = new ComponentIndex(SqueueParser.Parse(result.StandardOutput, command.ShortDisplay).Select(FromSqueue));
                }
            }
            catch (AutolabException ex)
            {
                squeueError = ex;
            }
        }

        // 4. Merge.
        foreach (var request in requests)
        {
            var fromSacct = sacct.Find(request.Id);
            var fromSqueue = squeue?.Find(request.Id) ?? (IReadOnlyList<Component>)Array.Empty<Component>();
            var asked = needSqueue.Contains(request);
            if (sacctErrors.TryGetValue(request.Id.Text, out var sacctError) && fromSqueue.Count == 0)
            {
                failures.Add(new JobQueryFailure(request, ForId(sacctError, request)) { Cause = sacctError });
                continue;
            }

            if (asked && squeueError is not null && fromSacct.Count == 0)
            {
                failures.Add(new JobQueryFailure(request, ForId(squeueError, request)) { Cause = squeueError });
                continue;
            }

            if (fromSacct.Count == 0 && fromSqueue.Count == 0)
            {
                notFound.Add(new JobNotFound(request, NotFoundMessage(request, start, accountingDisabled)));
            }

            if (asked && squeueError is not null)
            {
                warnings.Add($"squeue could not be asked about job {request.Id} ({squeueError.Message}); its state comes from sacct alone, without a restart count.");
            }

            resolved[request] = Build(request, Merge(fromSacct, fromSqueue), now);
        }
    }

    /// <summary>
    /// When set, no command runs past it: each gets the smaller of <see cref="Timeout"/> and what is left
    /// (at least half a second). Autolab's hooks use it to answer inside autolab's own timeout.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    private TimeSpan CommandTimeout()
    {
        if (Deadline is not { } deadline)
        {
            return Timeout;
        }

        var left = deadline - _clock.UtcNow;
        var floor = TimeSpan.FromMilliseconds(500);
        return left < floor ? floor : left < Timeout ? left : Timeout;
    }

    private CommandResult Run(CommandSpec command, CancellationToken cancellationToken)
    {
        var timeout = CommandTimeout();
        try
        {
            return _runner.Run(command, timeout, cancellationToken);
        }
        catch (CommandTimeoutException ex)
        {
            throw new AutolabException(
                ErrorIds.SchedulerTimeout,
                AutolabErrorCategory.OperationTimeout,
                $"{ErrorText.Clause(ex.Message)} (on {_runner.Location}). The controller or slurmdbd may be overloaded or down; try again later or raise -TimeoutSec.",
                command.ShortDisplay,
                ex)
            {
                Detail = string.Create(CultureInfo.InvariantCulture, $"{command.Program} did not answer within {timeout.TotalSeconds:0.#} s"),
            };
        }
        catch (CommandStartException ex) when (ex.InnerException is AutolabException ssh)
        {
            // The login node in front of the scheduler could not be reached or trusted: that is the cause to
            // report (its own id and advice), not a missing Slurm client.
            throw new AutolabException(
                ssh.ErrorId,
                ssh.Category,
                $"'{command.ShortDisplay}' could not be run on {_runner.Location}: {ssh.Message}",
                ssh.Target ?? command.ShortDisplay,
                ssh)
            {
                Detail = ssh.Detail ?? FirstSentence(ssh.Message),
            };
        }
        catch (CommandStartException ex)
        {
            throw new AutolabException(
                ErrorIds.SchedulerUnavailable,
                AutolabErrorCategory.ResourceUnavailable,
                $"'{command.ShortDisplay}' could not run on {_runner.Location}: {ex.Message} Install the Slurm client (sacct, squeue) or run where it is, or use -ComputerName to ask a login node.",
                command.ShortDisplay,
                ex)
            {
                Detail = $"{command.Program} could not run on {_runner.Location}",
            };
        }
    }

    private AutolabException Unavailable(CommandResult result, CommandSpec command) =>
        new(
            ErrorIds.SchedulerUnavailable,
            AutolabErrorCategory.ResourceUnavailable,
            string.Create(CultureInfo.InvariantCulture, $"'{command.ShortDisplay}' failed on {_runner.Location} with exit code {result.ExitCode}: {LastLines(result.StandardError)}. Check that slurmctld/slurmdbd are up (sinfo, sacctmgr show cluster), then try again."),
            command.ShortDisplay)
        {
            Detail = string.Create(CultureInfo.InvariantCulture, $"{command.Program} exited {result.ExitCode}: {LastLines(result.StandardError)}"),
        };

    /// <summary>Why an id is reported UNKNOWN: where it was looked for, and what to check.</summary>
    private string NotFoundMessage(JobRequest request, DateTimeOffset windowStart, bool accountingDisabled)
    {
        var job = request.Label;
        var where = (request.Cluster is null ? string.Empty : $" on cluster {request.Cluster}") + (_runner.Location == "local" ? string.Empty : $" (asked on {_runner.Location})");
        const string Squeue = "squeue (the controller forgets a finished job after MinJobAge)";
        var why = accountingDisabled
            ? $"accounting is disabled, so only {Squeue} could know it, and it does not"
            : string.Create(CultureInfo.InvariantCulture, $"it is neither in sacct's window (jobs since {windowStart.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}) nor known to {Squeue}");
        var check = request.Cluster is null ? "the job id (and -Cluster on a multi-cluster site)" : "the job id and the cluster";
        return $"{job} is reported UNKNOWN{where}: {why}. Check {check}; for an older job, widen the window with -Since.";
    }

    private static AutolabException ForId(AutolabException error, JobRequest request) =>
        new(error.ErrorId, error.Category, $"{request.Label}: {error.Message}", request.ManifestPath ?? (object)request.Id.Text, error)
        {
            Detail = error.Detail ?? error.Message,
        };

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? text[..end] : text.TrimEnd('.');
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message on stderr)" : string.Join(" / ", lines.TakeLast(3));
    }

    private static bool IsPlaceholder(SacctRow row) => row.Name == "allocation" && row.Partition.Length == 0;

    /// <summary>How long after an array's last recorded end the controller is asked whether other tasks still live.</summary>
    public static readonly TimeSpan ArrayConfirmWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// A whole array whose tasks sacct knows are all finished, the last of them recently: slurmdbd records each
    /// task separately, and the task holding the parent's raw id (often the last one) can be recorded as finished
    /// before the start of tasks still running (seen on the test cluster under load). sacct alone would then
    /// call the array done, so the controller is asked too (the one squeue call every query may make).
    /// </summary>
    private static bool MayLackArrayTasks(JobRequest request, IReadOnlyList<Component> components, DateTimeOffset now) =>
        request.Id.Kind == SlurmJobIdKind.Job
        && components.Any(c => c.Key.StartsWith(request.Id.Text + "_", StringComparison.Ordinal))
        && components.Max(c => c.End) is { } lastEnd
        && now - lastEnd < ArrayConfirmWindow;

    private bool NeedsController(Component component)
    {
        var rule = _states.Find(component.RawState);
        return rule is null || rule.RefineWithSqueue || !rule.Terminal;
    }

    /// <summary>One job, array task or het component as one tool reported it.</summary>
    private sealed record Component(
        string Key,
        long BaseId,
        string? RawId,
        string Name,
        string RawState,
        string? ExitCode,
        string? DerivedExitCode,
        string? Reason,
        int? Restarts,
        DateTimeOffset? Submit,
        DateTimeOffset? Start,
        DateTimeOffset? End,
        TimeSpan? Elapsed,
        string? NodeList,
        string? Partition,
        string? Cluster,
        string Source,
        IReadOnlyList<string> ExpandedKeys);

    private static Component FromSacct(SacctRow row)
    {
        var (baseId, keys) = KeysOf(row.JobId);
        return new Component(row.JobId, baseId, row.JobIdRaw, row.Name, row.State, row.ExitCode, row.DerivedExitCode,
            SlurmText.NullIfNone(row.Reason), row.Restarts, row.Submit, row.Start, row.End, row.Elapsed,
            SlurmText.NullIfNone(row.NodeList), SlurmText.NullIfNone(row.Partition), SlurmText.NullIfNone(row.Cluster), JobSource.Sacct, keys);
    }

    private static Component FromSqueue(SqueueRow row)
    {
        var (baseId, keys) = KeysOf(row.JobArrayId);
        return new Component(row.JobArrayId, baseId, row.JobId, row.Name, row.State, row.ExitCode, null,
            SlurmText.NullIfNone(row.Reason), row.Restarts, row.Submit, row.Start, row.End, row.TimeUsed,
            SlurmText.NullIfNone(row.NodeList), SlurmText.NullIfNone(row.Partition), SlurmText.NullIfNone(row.Cluster), JobSource.Squeue, keys);
    }

    /// <summary>The base id and the component keys a printed id stands for (<c>19_[0-2]</c> stands for 19_0, 19_1, 19_2).</summary>
    private static (long BaseId, IReadOnlyList<string> Keys) KeysOf(string printed)
    {
        var end = 0;
        while (end < printed.Length && char.IsAsciiDigit(printed[end]))
        {
            end++;
        }

        var baseId = long.TryParse(printed.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : -1;
        var bracket = printed.IndexOf("_[", StringComparison.Ordinal);
        if (bracket > 0 && printed.EndsWith(']'))
        {
            try
            {
                var tasks = SlurmJobId.ExpandRange(printed[(bracket + 2)..^1], printed);
                return (baseId, tasks.Select(t => string.Create(CultureInfo.InvariantCulture, $"{baseId}_{t}")).ToArray());
            }
            catch (AutolabException)
            {
                return (baseId, new[] { printed });
            }
        }

        return (baseId, new[] { printed });
    }

    /// <summary>Components by key and by base id, for one tool's answer.</summary>
    private sealed class ComponentIndex
    {
        private readonly Dictionary<string, Component> _byKey = new(StringComparer.Ordinal);
        private readonly Dictionary<long, List<(string Key, Component Component)>> _byBase = new();
        private readonly Dictionary<string, Component> _byRaw = new(StringComparer.Ordinal);

        public ComponentIndex(IEnumerable<Component> components)
        {
            foreach (var component in components)
            {
                foreach (var key in component.ExpandedKeys)
                {
                    // A concrete row wins over a collapsed range that also covers the key.
                    if (!_byKey.ContainsKey(key) || component.ExpandedKeys.Count == 1)
                    {
                        _byKey[key] = component;
                    }

                    if (!_byBase.TryGetValue(component.BaseId, out var list))
                    {
                        _byBase[component.BaseId] = list = new List<(string, Component)>();
                    }

                    list.RemoveAll(e => e.Key == key);
                    list.Add((key, component));
                }

                if (component.RawId is { Length: > 0 } raw && component.ExpandedKeys.Count == 1)
                {
                    _byRaw.TryAdd(raw, component);
                }
            }
        }

        /// <summary>The components a requested id stands for: itself, or an array's tasks / a het job's components.</summary>
        public IReadOnlyList<Component> Find(SlurmJobId id)
        {
            if (id.Kind != SlurmJobIdKind.Job)
            {
                // A task inside a collapsed row (19_1 in 19_[0-2]) is that row under the task's own key.
                return _byKey.TryGetValue(id.Text, out var one) ? new[] { one with { Key = id.Text } } : Array.Empty<Component>();
            }

            if (_byBase.TryGetValue(id.BaseId, out var list))
            {
                var parts = list.Where(e => e.Key != id.Text).Select(e => e.Component with { Key = e.Key }).ToList();
                if (parts.Count > 0)
                {
                    return parts.OrderBy(p => p.Key, KeyComparer.Instance).ToList();
                }

                if (_byKey.TryGetValue(id.Text, out var single))
                {
                    return new[] { single };
                }
            }

            // A raw id of an array task or het component (8 is 7_0's raw id) names that one component.
            return _byRaw.TryGetValue(id.Text, out var byRaw) ? new[] { byRaw } : Array.Empty<Component>();
        }
    }

    /// <summary>Orders 6_2 before 6_10 and 4+0 before 4+1.</summary>
    private sealed class KeyComparer : IComparer<string>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var xi = Index(x);
            var yi = Index(y);
            return xi != yi ? xi.CompareTo(yi) : string.CompareOrdinal(x, y);
        }

        private static long Index(string? key)
        {
            var separator = key?.IndexOfAny(new[] { '_', '+' }) ?? -1;
            return separator >= 0 && long.TryParse(key.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        }
    }

    /// <summary>Pairs each component's sacct row with its squeue row (the controller is fresher for live jobs).</summary>
    private List<(string Key, Component? Sacct, Component? Squeue)> Merge(IReadOnlyList<Component> fromSacct, IReadOnlyList<Component> fromSqueue)
    {
        var keys = fromSacct.Select(c => c.Key).Concat(fromSqueue.Select(c => c.Key)).Distinct(StringComparer.Ordinal).OrderBy(k => k, KeyComparer.Instance);
        return keys.Select(k => (k, fromSacct.FirstOrDefault(c => c.Key == k), fromSqueue.FirstOrDefault(c => c.Key == k))).ToList();
    }

    private SlurmJobState Build(JobRequest request, List<(string Key, Component? Sacct, Component? Squeue)> parts, DateTimeOffset now)
    {
        if (parts.Count == 0)
        {
            return new SlurmJobState
            {
                JobId = request.Id.Text,
                ManifestPath = request.ManifestPath,
                Cluster = request.Cluster,
                State = SlurmStateTable.UnknownState,
                RawState = null,
                Status = JobStatus.Unknown,
                IsTerminal = false,
                Source = JobSource.None,
                ObservedAt = now,
            };
        }

        var components = parts.Select(p => ComponentState(request, p.Key, p.Sacct, p.Squeue, now)).ToList();
        var id = request.Id.Text;
        var isParent = request.Id.Kind == SlurmJobIdKind.Job
            && parts.Any(p => p.Key.StartsWith(id + "_", StringComparison.Ordinal) || p.Key.StartsWith(id + "+", StringComparison.Ordinal));
        return isParent ? Aggregate(request, components, now) : components[0] with { JobId = id };
    }

    private SlurmJobState ComponentState(JobRequest request, string key, Component? sacct, Component? squeue, DateTimeOffset now)
    {
        // sacct settles a terminal state; the controller is fresher for anything still live or refinable.
        var useSqueue = squeue is not null && (sacct is null || NeedsController(sacct));
        var primary = useSqueue ? squeue! : sacct!;
        var rule = _states.Find(primary.RawState);
        var status = rule?.Status ?? JobStatus.Unknown;
        var terminal = rule?.Terminal ?? false;
        // The exit code comes from the tool whose state is reported: a job only squeue knows as FAILED has its
        // code there (never a running sacct row's 0:0 beside a failed squeue state).
        var (code, signal) = useSqueue
            ? SlurmText.ParseSqueueExitCode(squeue!.ExitCode ?? string.Empty)
            : SlurmText.ParseExitCode(sacct!.ExitCode ?? string.Empty);
        var source = useSqueue && !(sacct is not null && SlurmStateTable.BaseToken(sacct.RawState) == SlurmStateTable.BaseToken(squeue!.RawState))
            ? JobSource.Squeue
            : JobSource.Sacct;

        // squeue's start and end of a pending or running job are the scheduler's estimates, not facts.
        var started = status is JobStatus.Running || terminal;
        return new SlurmJobState
        {
            JobId = key,
            ManifestPath = request.ManifestPath,
            Cluster = primary.Cluster ?? sacct?.Cluster ?? request.Cluster,
            Name = sacct is { Name: not "allocation" } ? sacct.Name : squeue?.Name ?? sacct?.Name,
            State = SlurmStateTable.BaseToken(primary.RawState),
            RawState = primary.RawState,
            Status = status,
            IsTerminal = terminal,
            Reason = primary.Reason ?? (useSqueue ? null : squeue?.Reason),
            // sacct prints 0:0 for a job that has not ended: that is no exit code yet.
            ExitCode = terminal ? code : null,
            Signal = terminal ? signal : null,
            DerivedExitCode = terminal ? SlurmText.NullIfNone(sacct?.DerivedExitCode ?? string.Empty) : null,
            Restarts = squeue?.Restarts ?? sacct?.Restarts,
            SubmitTime = sacct?.Submit ?? squeue?.Submit,
            // A job cancelled while pending shows its cancel time as StartTime in squeue, but no nodes.
            StartTime = useSqueue ? (started && squeue!.NodeList is not null ? squeue.Start : null) : sacct!.Start,
            EndTime = useSqueue ? (terminal ? squeue!.End : null) : sacct!.End,
            Elapsed = useSqueue ? squeue!.Elapsed : sacct!.Elapsed,
            NodeList = primary.NodeList ?? sacct?.NodeList,
            Partition = primary.Partition ?? sacct?.Partition,
            Source = source,
            ObservedAt = now,
        };
    }

    /// <summary>
    /// An array parent or het job: when every component is terminal, failed if any failed, else completed;
    /// otherwise running if any runs, else pending if any pends, else unknown.
    /// </summary>
    private static SlurmJobState Aggregate(JobRequest request, List<SlurmJobState> tasks, DateTimeOffset now)
    {
        string status;
        SlurmJobState representative;
        if (tasks.All(t => t.IsTerminal))
        {
            var failed = tasks.FirstOrDefault(t => t.Status == JobStatus.Failed);
            status = failed is null ? JobStatus.Completed : JobStatus.Failed;
            representative = failed ?? tasks.OrderByDescending(t => t.EndTime).First();
        }
        else if (tasks.FirstOrDefault(t => t.Status == JobStatus.Running) is { } running)
        {
            status = JobStatus.Running;
            representative = running;
        }
        else if (tasks.FirstOrDefault(t => t.Status == JobStatus.Pending) is { } pending)
        {
            status = JobStatus.Pending;
            representative = pending;
        }
        else
        {
            status = JobStatus.Unknown;
            representative = tasks.First(t => !t.IsTerminal);
        }

        var counts = tasks.GroupBy(t => t.State).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}"));
        var terminal = status is JobStatus.Completed or JobStatus.Failed;
        return new SlurmJobState
        {
            JobId = request.Id.Text,
            ManifestPath = request.ManifestPath,
            Cluster = representative.Cluster ?? request.Cluster,
            Name = representative.Name,
            State = status == JobStatus.Unknown ? SlurmStateTable.UnknownState : representative.State,
            RawState = string.Create(CultureInfo.InvariantCulture, $"{tasks.Count} {(tasks.Any(t => t.JobId.Contains('+', StringComparison.Ordinal)) ? "components" : "tasks")}: {string.Join(", ", counts)}"),
            Status = status,
            IsTerminal = terminal,
            Reason = representative.Reason,
            ExitCode = terminal ? representative.ExitCode : null,
            Signal = terminal ? representative.Signal : null,
            DerivedExitCode = terminal ? representative.DerivedExitCode : null,
            Restarts = tasks.Any(t => t.Restarts is null) ? null : tasks.Max(t => t.Restarts),
            SubmitTime = tasks.Min(t => t.SubmitTime),
            StartTime = tasks.Where(t => t.StartTime is not null).Select(t => t.StartTime).DefaultIfEmpty().Min(),
            EndTime = terminal ? tasks.Max(t => t.EndTime) : null,
            Elapsed = tasks.Max(t => t.Elapsed),
            NodeList = string.Join(',', tasks.Select(t => t.NodeList).Where(n => n is not null).Distinct()) is { Length: > 0 } nodes ? nodes : null,
            Partition = representative.Partition,
            Source = tasks.Any(t => t.Source == JobSource.Squeue) ? JobSource.Squeue : JobSource.Sacct,
            ObservedAt = now,
            Tasks = tasks,
        };
    }
}
