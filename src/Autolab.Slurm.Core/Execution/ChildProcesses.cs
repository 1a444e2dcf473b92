using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Autolab.Slurm.Execution;

/// <summary>
/// The scheduler commands this process has running (sacct, squeue), so that a signal that ends the process
/// (SIGTERM, or SIGINT for a non-interactive entry point) can end their whole trees first: a killed stage
/// must not leave a hung sacct and its children running under PID 1.
/// </summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, System.Diagnostics.Process> Running = new();
    private static readonly object InstallGate = new();
    private static PosixSignalRegistration? _term;
    private static PosixSignalRegistration? _interrupt;

    public static void Add(System.Diagnostics.Process process) => Running[process.Id] = process;

    public static void Remove(System.Diagnostics.Process process) => Running.TryRemove(process.Id, out _);

    /// <summary>Kills every registered child with its whole tree and waits (briefly) until each has exited.</summary>
    private static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            LocalCommandRunner.Kill(process, waitMilliseconds: 2000);
        }
    }

    /// <summary>
    /// For a process that is one command (bin/slurm-monitor.ps1): on SIGTERM or SIGINT, end the scheduler
    /// commands, say so on stderr as <paramref name="program"/>, and exit with 143 or 130.
    /// </summary>
    public static void ExitCleanlyOnSignals(string program) =>
        ExitCleanlyOnSignals(
            () => Say(program, "SIGTERM"),
            () => Say(program, "SIGINT"));

    private static void Say(string program, string signal)
    {
        Console.Error.WriteLine($"{program}: Stopped: stopped by {signal}; the scheduler commands it had started were ended with their children. No file was left half-written (every write is atomic); run it again.");
        Console.Error.Flush();
    }

    /// <summary>
    /// On SIGTERM (and, once an entry point asked for it, SIGINT) the children are killed first. SIGTERM then
    /// ends the process as it would have anyway (an interactive pwsh keeps its own Ctrl+C handling); an entry
    /// point that gives <paramref name="onTerminate"/>/<paramref name="onInterrupt"/> takes over: its callback
    /// says why and the process exits with 143 or 130. The handlers are installed once; a later call only
    /// sets the callbacks.
    /// </summary>
    public static void ExitCleanlyOnSignals(Action? onTerminate = null, Action? onInterrupt = null)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        lock (InstallGate)
        {
            _onTerminate = onTerminate ?? _onTerminate;
            _onInterrupt = onInterrupt ?? _onInterrupt;
            _term ??= PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                KillAll();
                if (_onTerminate is { } say)
                {
                    context.Cancel = true;
                    say();
                    Environment.Exit(143);
                }
            });
            if (_onInterrupt is not null)
            {
                _interrupt ??= PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
                {
                    context.Cancel = true;
                    KillAll();
                    _onInterrupt?.Invoke();
                    Environment.Exit(130);
                });
            }
        }
    }

    private static Action? _onTerminate;
    private static Action? _onInterrupt;
}
