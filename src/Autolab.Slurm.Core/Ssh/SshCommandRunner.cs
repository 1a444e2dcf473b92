using System.Diagnostics;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Execution;
using Renci.SshNet.Common;

namespace Autolab.Slurm.Ssh;

/// <summary>
/// Runs a command on a login node over the pooled SSH session. The command line is built only from the
/// spec's tokens, each POSIX single-quoted (<see cref="PosixQuote.CommandLine"/>), so nothing from input
/// is interpreted by the remote shell.
/// </summary>
public sealed class SshCommandRunner : ICommandRunner
{
    private readonly SshSession _session;

    public SshCommandRunner(SshSession session) => _session = session;

    public string Location => _session.Target.ToString();

    public CommandResult Run(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // SSH cannot reliably kill a remote process (sshd refuses signals in many setups), so the remote
        // side limits itself: coreutils' timeout ends it (and kills it 5 s later if it must).
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        var line = timeout > TimeSpan.Zero
            ? string.Join(' ', new[] { "timeout", "-k", "5", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Select(PosixQuote.Quote)) + " " + PosixQuote.CommandLine(command)
            : PosixQuote.CommandLine(command);
        var watch = Stopwatch.StartNew();
        Renci.SshNet.SshClient client;
        try
        {
            client = _session.Commands;
        }
        catch (Exception ex) when (ex is AutolabException or SshException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw new CommandStartException(ex.Message, ex);
        }

        using var ssh = client.CreateCommand(line);
        ssh.CommandTimeout = timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan;
        try
        {
            var task = ssh.ExecuteAsync(cancellationToken);
            if (!task.Wait(timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan, cancellationToken))
            {
                ssh.CancelAsync(forceKill: true, millisecondsTimeout: 500);
                throw new CommandTimeoutException($"'{command.Display}' did not finish within {timeout.TotalSeconds:0.#} s on {Location} and was cancelled.");
            }

            task.GetAwaiter().GetResult();
        }
        catch (AggregateException ex) when (ex.InnerException is SshOperationTimeoutException)
        {
            throw new CommandTimeoutException($"'{command.Display}' did not finish within {timeout.TotalSeconds:0.#} s on {Location}.");
        }
        catch (SshOperationTimeoutException)
        {
            throw new CommandTimeoutException($"'{command.Display}' did not finish within {timeout.TotalSeconds:0.#} s on {Location}.");
        }
        catch (Exception ex) when (ex is SshConnectionException or SshException or ObjectDisposedException or InvalidOperationException)
        {
            throw new CommandStartException($"the connection to {Location} failed while running '{command.Display}': {ex.Message}", ex);
        }

        // 124/137: timeout ended the command on the login node.
        if (timeout > TimeSpan.Zero && ssh.ExitStatus is 124 or 137)
        {
            throw new CommandTimeoutException($"'{command.Display}' did not finish within {timeout.TotalSeconds:0.#} s on {Location} and was stopped there.");
        }

        // 127 is the shell's "command not found": the program is not installed on the login node.
        if (ssh.ExitStatus == 127)
        {
            throw new CommandStartException($"'{command.Program}' was not found on {Location} ({ssh.Error.Trim()}).");
        }

        return new CommandResult(ssh.ExitStatus ?? -1, ssh.Result, ssh.Error, watch.Elapsed, command.Display + " (on " + Location + ")");
    }
}
