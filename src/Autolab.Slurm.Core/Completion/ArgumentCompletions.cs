using System.Globalization;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Json;
using Autolab.Slurm.Repository;
using Autolab.Slurm.Slurm;
using Autolab.Slurm.Ssh;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Completion;

/// <summary>One tab-completion candidate: the text inserted, the text shown in a menu, and a tooltip.</summary>
public sealed record CompletionItem(string Value, string ListItemText, string ToolTip);

/// <summary>
/// What the argument completers offer, without PowerShell: the user's jobs (one squeue call), the clusters the
/// Slurm accounting knows (one sacctmgr call), the Host aliases of an ssh config, the runs of an autolab
/// repository. Completion must never fail or hang a prompt: a command that cannot run, fails or takes longer
/// than <see cref="CommandTimeout"/> gives no candidates.
/// </summary>
public static class ArgumentCompletions
{
    /// <summary>How long a completion waits for squeue or sacctmgr (a prompt is waiting).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The squeue that lists the user's own jobs (--me: on a login node, the remote user's), whatever their
    /// state while the controller still knows them (recently finished ones included), one line per job; a
    /// pending array stays one line (<c>7_[0-2]</c>, which Get-SlurmJobState expands).
    /// </summary>
    public static CommandSpec UserJobsCommand(string? cluster)
    {
        var arguments = new List<string> { "--me", "--noheader", "--states=all" };
        if (cluster is not null)
        {
            arguments.Add("--clusters=" + cluster);
        }

        arguments.Add("--format=%i|%j|%T|%r");
        return new CommandSpec("squeue", arguments)
        {
            UnsetVariables = SlurmJobQuery.SqueueVariables,
            UnsetPrefixes = new[] { "SQUEUE_" },
        };
    }

    /// <summary>The sacctmgr that lists the clusters of the accounting database, with their controller.</summary>
    public static CommandSpec ClustersCommand() =>
        new("sacctmgr", new[] { "--noheader", "--parsable2", "list", "clusters", "format=Cluster,ControlHost,ControlPort" });

    /// <summary>The user's jobs whose id (or name) starts with <paramref name="wordToComplete"/>, newest first.</summary>
    public static IReadOnlyList<CompletionItem> Jobs(ICommandRunner runner, string? cluster, string wordToComplete)
    {
        if (cluster is not null && !SlurmJobId.IsClusterName(cluster))
        {
            return Array.Empty<CompletionItem>();
        }

        var output = RunQuietly(runner, UserJobsCommand(cluster));
        if (output is null)
        {
            return Array.Empty<CompletionItem>();
        }

        var word = Unquote(wordToComplete);
        var jobs = new List<(long BaseId, string Id, string Name, string State, string Reason)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // id|name|state|reason; a job name may itself hold '|', so the name is what lies between.
            var fields = line.Split('|');
            if (fields.Length < 4 || fields[0].Length == 0 || !char.IsAsciiDigit(fields[0][0]))
            {
                continue;
            }

            var end = 0;
            while (end < fields[0].Length && char.IsAsciiDigit(fields[0][end]))
            {
                end++;
            }

            var baseId = long.Parse(fields[0].AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture);
            jobs.Add((baseId, fields[0], string.Join('|', fields[1..^2]), fields[^2], fields[^1]));
        }

        return jobs
            .Where(j => j.Id.StartsWith(word, StringComparison.Ordinal) || (word.Length > 0 && j.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(j => j.Id.StartsWith(word, StringComparison.Ordinal))
            .ThenByDescending(j => j.BaseId)
            .ThenBy(j => j.Id, StringComparer.Ordinal)
            .Select(j =>
            {
                var reason = j.Reason is "" or "None" ? string.Empty : ", " + j.Reason;
                return new CompletionItem(QuoteIfNeeded(j.Id), j.Id, $"{j.Id} {j.Name} ({j.State}{reason})");
            })
            .ToList();
    }

    /// <summary>The clusters the accounting database knows whose name starts with <paramref name="wordToComplete"/>.</summary>
    public static IReadOnlyList<CompletionItem> Clusters(ICommandRunner runner, string wordToComplete)
    {
        var output = RunQuietly(runner, ClustersCommand());
        if (output is null)
        {
            return Array.Empty<CompletionItem>();
        }

        var word = Unquote(wordToComplete);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Where(f => SlurmJobId.IsClusterName(f[0]) && f[0].StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(f => f[0], StringComparer.Ordinal)
            .OrderBy(f => f[0], StringComparer.Ordinal)
            .Select(f => new CompletionItem(f[0], f[0], f.Length >= 3 && f[1].Length > 0
                ? $"Slurm cluster {f[0]} (controller {f[1]}:{f[2]})"
                : $"Slurm cluster {f[0]}"))
            .ToList();
    }

    /// <summary>
    /// The Host aliases of the ssh config at <paramref name="configPath"/> (patterns with <c>*</c>, <c>?</c> or
    /// <c>!</c> left out) that start with <paramref name="wordToComplete"/>, in file order, each with where it leads.
    /// </summary>
    public static IReadOnlyList<CompletionItem> SshHosts(string configPath, string wordToComplete)
    {
        var word = Unquote(wordToComplete);
        IReadOnlyList<string> aliases;
        try
        {
            aliases = SshConfigFile.HostAliases(configPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<CompletionItem>();
        }

        return aliases
            .Where(a => a.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(a =>
            {
                var settings = SshConfigFile.Resolve(a, configPath);
                var user = settings.User is null ? string.Empty : settings.User + "@";
                var port = settings.Port is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $":{settings.Port}");
                return new CompletionItem(QuoteIfNeeded(a), a, $"{a}: {user}{settings.HostName}{port} ({configPath})");
            })
            .ToList();
    }

    /// <summary>
    /// The run ids under experiments/&lt;type&gt;/&lt;iteration_id&gt;/runs/ of the autolab repository that holds
    /// <paramref name="location"/> (the location itself when no parent holds .autolab/), starting with
    /// <paramref name="wordToComplete"/>: the state's pending_run_id and last_run_id first, then newest name first.
    /// </summary>
    public static IReadOnlyList<CompletionItem> RunIds(string location, string wordToComplete)
    {
        var root = RepositoryLocator.FindRoot(location) ?? location;
        var experiments = Path.Combine(root, "experiments");
        if (!Directory.Exists(experiments))
        {
            return Array.Empty<CompletionItem>();
        }

        var word = Unquote(wordToComplete);
        var runs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            foreach (var runsFolder in Directory.EnumerateDirectories(experiments, "runs", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
            {
                // Only experiments/<type>/<iteration_id>/runs.
                if (Path.GetRelativePath(experiments, runsFolder).Split(Path.DirectorySeparatorChar).Length != 3)
                {
                    continue;
                }

                foreach (var run in Directory.EnumerateDirectories(runsFolder))
                {
                    var id = Path.GetFileName(run);
                    if (id.StartsWith(word, StringComparison.Ordinal) && !id.StartsWith('.'))
                    {
                        (runs.TryGetValue(id, out var where) ? where : runs[id] = new List<string>()).Add(RepositoryLocator.ToRepoRelative(root, run));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<CompletionItem>();
        }

        var (pending, last) = StateRunIds(root);
        return runs
            .OrderByDescending(r => r.Key == pending)
            .ThenByDescending(r => r.Key == last)
            .ThenByDescending(r => r.Key, StringComparer.Ordinal)
            .Select(r =>
            {
                var role = r.Key == pending ? " (the state's pending_run_id)" : r.Key == last ? " (the state's last_run_id)" : string.Empty;
                return new CompletionItem(QuoteIfNeeded(r.Key), r.Key, string.Join(", ", r.Value.Order(StringComparer.Ordinal)) + role);
            })
            .ToList();
    }

    /// <summary>pending_run_id and last_run_id of .autolab/state.json, when it can be read; completion never fails on it.</summary>
    private static (string? Pending, string? Last) StateRunIds(string root)
    {
        try
        {
            var path = AutolabState.PathFor(root);
            if (!File.Exists(path) || RawJson.Parse(File.ReadAllText(path)) is not RawObject state)
            {
                return (null, null);
            }

            static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
            return (NonEmpty(state.GetPathText("pending_run_id")), NonEmpty(state.GetPathText("last_run_id")));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RawJsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The command's stdout, or null when it could not run, failed or timed out.</summary>
    private static string? RunQuietly(ICommandRunner runner, CommandSpec command)
    {
        try
        {
            var result = runner.Run(command, CommandTimeout, CancellationToken.None);
            return result.ExitCode == 0 ? result.StandardOutput : null;
        }
        catch (Exception ex) when (ex is CommandStartException or CommandTimeoutException or AutolabException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The word as typed, without the quote PowerShell leaves on it while it is being completed.</summary>
    private static string Unquote(string? word)
    {
        var text = word ?? string.Empty;
        if (text.Length > 0 && text[0] is '\'' or '"')
        {
            text = text[1..];
            if (text.Length > 0 && text[^1] is '\'' or '"')
            {
                text = text[..^1];
            }
        }

        return text;
    }

    /// <summary>Single-quotes a value PowerShell would not read as one bare word (brackets, spaces, quotes, $).</summary>
    private static string QuoteIfNeeded(string value) =>
        value.IndexOfAny(new[] { ' ', '[', ']', '\'', '"', '$', '`', ',', ';', '(', ')', '{', '}', '@', '#', '|', '&', '<', '>' }) >= 0
            ? "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'"
            : value;
}
