using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm.Execution;

/// <summary>
/// A command to run: a program and its argument list (never a shell line), plus environment changes.
/// The same spec runs locally or, quoted token by token, on a remote host.
/// </summary>
public sealed record CommandSpec(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables to set for the child (e.g. SLURM_TIME_FORMAT=%s).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Exact variable names to remove from the child's environment.</summary>
    public IReadOnlyList<string> UnsetVariables { get; init; } = Array.Empty<string>();

    /// <summary>Prefixes of variables to remove locally (e.g. SQUEUE_), where the whole environment is known.</summary>
    public IReadOnlyList<string> UnsetPrefixes { get; init; } = Array.Empty<string>();

    /// <summary>The command line with long arguments (a list of a thousand job ids) shortened, for messages.</summary>
    public string ShortDisplay
    {
        get
        {
            var display = Display;
            return display.Length <= 600 ? display : display[..400] + string.Create(System.Globalization.CultureInfo.InvariantCulture, $" [{display.Length - 400} more characters]");
        }
    }

    /// <summary>The command as a user could type it, for messages (each token POSIX-quoted when needed).</summary>
    public string Display
    {
        get
        {
            var parts = new List<string>();
            if (Environment.Count > 0 || UnsetVariables.Count > 0)
            {
                parts.Add("env");
                parts.AddRange(Environment.Select(kv => PosixQuote.QuoteIfNeeded(kv.Key + "=" + kv.Value)));
            }

            parts.Add(PosixQuote.QuoteIfNeeded(Program));
            parts.AddRange(Arguments.Select(PosixQuote.QuoteIfNeeded));
            return string.Join(' ', parts);
        }
    }
}

/// <summary>What a finished command printed and returned.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed, string CommandLine);

/// <summary>Thrown when a command could not be started at all (program missing, host unreachable).</summary>
public sealed class CommandStartException : Exception
{
    public CommandStartException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>Thrown when a command ran past its timeout; the process (tree) has been killed.</summary>
public sealed class CommandTimeoutException : Exception
{
    public CommandTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>Runs commands: locally (<see cref="LocalCommandRunner"/>) or over SSH.</summary>
public interface ICommandRunner
{
    /// <summary>A short name of where commands run, for messages ("local", "root@login:22").</summary>
    string Location { get; }

    CommandResult Run(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// Starts a local process with an argument list (no shell). On timeout or cancellation the whole
/// process tree is killed, so a hung sacct never outlives the cmdlet.
/// </summary>
public sealed class LocalCommandRunner : ICommandRunner
{
    public static readonly LocalCommandRunner Instance = new();

    public string Location => "local";

    public CommandResult Run(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var program = FindOnPath(command.Program)
            ?? throw new CommandStartException($"'{command.Program}' was not found on PATH; is it installed?");
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.ToArray())
        {
            if (command.UnsetVariables.Contains(key) || command.UnsetPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
            {
                info.Environment.Remove(key);
            }
        }

        foreach (var (key, value) in command.Environment)
        {
            info.Environment[key] = value;
        }

        var watch = Stopwatch.StartNew();
        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(info) ?? throw new CommandStartException($"'{command.Program}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new CommandStartException($"'{command.Program}' could not be started ({ErrorText.Clause(ex.Message)}); is it installed and on PATH?", ex);
        }

        using (process)
        {
            ChildProcesses.Add(process);
            try
            {
                return Wait(process, command, timeout, watch, cancellationToken);
            }
            finally
            {
                ChildProcesses.Remove(process);
            }
        }
    }

    private static CommandResult Wait(System.Diagnostics.Process process, CommandSpec command, TimeSpan timeout, Stopwatch watch, CancellationToken cancellationToken)
    {
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var killOnCancel = cancellationToken.Register(() => Kill(process));
        var exited = process.WaitForExit(timeout > TimeSpan.Zero ? timeout : Timeout.InfiniteTimeSpan);
        if (!exited)
        {
            Kill(process);
            process.WaitForExit();
            throw new CommandTimeoutException($"'{command.Display}' did not finish within {timeout.TotalSeconds:0.#} s and was killed.");
        }

        // The output may stay open after the process exits (a background child inherited it): wait for
        // it only as long as the timeout allows, never for the orphan.
        var remaining = timeout > TimeSpan.Zero ? timeout - watch.Elapsed : Timeout.InfiniteTimeSpan;
        if (!Task.WaitAll(new Task[] { stdout, stderr }, remaining > TimeSpan.Zero || remaining == Timeout.InfiniteTimeSpan ? remaining : TimeSpan.Zero))
        {
            throw new CommandTimeoutException($"'{command.Display}' exited, but its output stayed open past {timeout.TotalSeconds:0.#} s (a background child holds it).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new CommandResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), watch.Elapsed, command.Display);
    }

    /// <summary>
    /// The program's full path from PATH. .NET would also look in the application's and the current
    /// folder first, so a file named sacct where pwsh was started could run instead of the real one.
    /// </summary>
    public static string? FindOnPath(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        foreach (var directory in (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Path.IsPathFullyQualified(directory))
            {
                // A relative PATH entry would make the current folder decide what runs.
                continue;
            }

            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Kills the process with its whole tree and waits up to <paramref name="waitMilliseconds"/> for it to exit;
    /// a process already gone (or one this user may not kill) is left alone, so a cancel callback never throws.
    /// </summary>
    internal static void Kill(System.Diagnostics.Process process, int waitMilliseconds = 0)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            if (waitMilliseconds > 0)
            {
                process.WaitForExit(waitMilliseconds);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}

/// <summary>POSIX single-quote escaping: the only way remote command lines are built from tokens.</summary>
public static class PosixQuote
{
    /// <summary>Wraps <paramref name="token"/> in single quotes; an embedded quote becomes <c>'\''</c>.</summary>
    public static string Quote(string token) => "'" + token.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Quotes only when the token holds anything but safe characters (for readable messages).</summary>
    public static string QuoteIfNeeded(string token) =>
        token.Length > 0 && token.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? token : Quote(token);

    /// <summary>A whole remote command line: <c>env -u A K=V 'program' 'arg'…</c>, every token quoted.</summary>
    public static string CommandLine(CommandSpec command)
    {
        var parts = new List<string>();
        if (command.Environment.Count > 0 || command.UnsetVariables.Count > 0)
        {
            parts.Add("env");
            foreach (var name in command.UnsetVariables)
            {
                parts.Add("-u");
                parts.Add(Quote(name));
            }

            parts.AddRange(command.Environment.Select(kv => Quote(kv.Key + "=" + kv.Value)));
        }

        parts.Add(Quote(command.Program));
        parts.AddRange(command.Arguments.Select(Quote));
        return string.Join(' ', parts);
    }
}
