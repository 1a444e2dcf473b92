using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Ssh;
using Core = Autolab.Slurm.Completion;

namespace Autolab.Slurm.Completers;

/// <summary>
/// What the module's argument completers share: the parameters already typed on the command line (the
/// login node of -ComputerName, -SshConfigPath, -RepositoryRoot) and the session's current location. The
/// listing itself is the Core's (<see cref="Core.ArgumentCompletions"/>), which never throws or hangs.
/// </summary>
public abstract class AutolabArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var bound = fakeBoundParameters ?? new Hashtable();
        return Complete(wordToComplete ?? string.Empty, bound)
            .Select(item => new CompletionResult(item.Value, item.ListItemText, CompletionResultType.ParameterValue, item.ToolTip))
            .ToList();
    }

    protected abstract IReadOnlyList<Core.CompletionItem> Complete(string wordToComplete, IDictionary bound);

    /// <summary>A bound parameter's value as text (null when absent or not a constant the parser could read).</summary>
    protected static string? Text(IDictionary bound, string name) =>
        bound.Contains(name) && bound[name] is { } value && (value is PSObject ps ? ps.BaseObject : value) is { } raw && raw.ToString() is { Length: > 0 } text
            ? text
            : null;

    /// <summary>
    /// The session's current file-system location. A completer runs inside the completion pipeline, where the
    /// runspace's SessionStateProxy refuses calls ("a pipeline is already running"); a script block invoked on
    /// this thread reads the same session state. Outside a runspace, the process's directory.
    /// </summary>
    protected static string CurrentLocation()
    {
        if (Runspace.DefaultRunspace is not null)
        {
            var location = ScriptBlock.Create("$PWD.ProviderPath").Invoke().FirstOrDefault()?.BaseObject as string;
            if (!string.IsNullOrEmpty(location))
            {
                return location;
            }
        }

        return Environment.CurrentDirectory;
    }

    /// <summary>A path as typed (~, relative to the current location) made absolute.</summary>
    protected static string ResolveUserPath(string path)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var expanded = path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;
        return Path.GetFullPath(expanded, CurrentLocation());
    }

    /// <summary>
    /// Where Slurm commands run: this machine, or the login node of a bound -ComputerName reached with the other
    /// bound SSH parameters. A completer never trusts a new host key (it would write known_hosts).
    /// </summary>
    protected static ICommandRunner Runner(IDictionary bound)
    {
        var host = Text(bound, "ComputerName");
        if (host is null)
        {
            return LocalCommandRunner.Instance;
        }

        var options = new SshConnectionOptions
        {
            ComputerName = host,
            Port = int.TryParse(Text(bound, "Port"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : null,
            UserName = Text(bound, "UserName"),
            KeyFilePath = Text(bound, "KeyFilePath") is { } key ? ResolveUserPath(key) : null,
            KnownHostsPath = Text(bound, "KnownHostsPath") is { } known ? ResolveUserPath(known) : null,
            SshConfigPath = Text(bound, "SshConfigPath") is { } config ? ResolveUserPath(config) : null,
            AcceptNewHostKey = false,
            ConnectTimeout = Core.ArgumentCompletions.CommandTimeout,
        };
        return new SshCommandRunner(SshConnectionPool.Shared.Get(options));
    }
}

/// <summary>-JobId: the user's jobs from one squeue call (on the -ComputerName login node when one is typed), newest first.</summary>
public sealed class JobIdCompleter : AutolabArgumentCompleter
{
    protected override IReadOnlyList<Core.CompletionItem> Complete(string wordToComplete, IDictionary bound) =>
        Core.ArgumentCompletions.Jobs(Runner(bound), Text(bound, "Cluster"), wordToComplete);
}

/// <summary>-Cluster: the clusters the Slurm accounting knows, from one sacctmgr call.</summary>
public sealed class ClusterCompleter : AutolabArgumentCompleter
{
    protected override IReadOnlyList<Core.CompletionItem> Complete(string wordToComplete, IDictionary bound) =>
        Core.ArgumentCompletions.Clusters(Runner(bound), wordToComplete);
}

/// <summary>-ComputerName: the Host aliases of the ssh config (-SshConfigPath when typed, else ~/.ssh/config), patterns left out.</summary>
public sealed class ComputerNameCompleter : AutolabArgumentCompleter
{
    protected override IReadOnlyList<Core.CompletionItem> Complete(string wordToComplete, IDictionary bound)
    {
        var config = Text(bound, "SshConfigPath") is { } typed ? ResolveUserPath(typed) : Path.Combine(SshConnectionOptions.DefaultSshDirectory, "config");
        return Core.ArgumentCompletions.SshHosts(config, wordToComplete);
    }
}

/// <summary>-RunId: the runs under experiments/&lt;type&gt;/&lt;iteration_id&gt;/runs/ of -RepositoryRoot, else of the repository holding the current location.</summary>
public sealed class RunIdCompleter : AutolabArgumentCompleter
{
    protected override IReadOnlyList<Core.CompletionItem> Complete(string wordToComplete, IDictionary bound)
    {
        var root = Text(bound, "RepositoryRoot") is { } typed ? ResolveUserPath(typed) : CurrentLocation();
        return Core.ArgumentCompletions.RunIds(root, wordToComplete);
    }
}
