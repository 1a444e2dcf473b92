using System.Globalization;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Slurm;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// Reads the captured fixtures (Fixtures/sacct, Fixtures/squeue: NAME.txt, NAME.cmd, NAME.stderr) and the
/// hand-written ones (Fixtures/synthetic, see its README.md).
/// </summary>
internal static class SlurmFixture
{
    /// <summary>The squeue field the capture asked for that the module's <see cref="SqueueParser.Fields"/> leaves out.</summary>
    public const string CapturedOnlyField = "exit_code";

    /// <summary>Where <see cref="CapturedOnlyField"/> sits in the captured squeue lines (0-based; Cluster and Name follow it).</summary>
    public const int CapturedOnlyFieldIndex = 15;

    /// <summary>Epoch seconds as the fixtures print them (SLURM_TIME_FORMAT=%s).</summary>
    public static DateTimeOffset Epoch(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    public static string FilePath(string tool, string name, string extension) => TestPaths.Fixture(tool, name + extension);

    public static string Text(string tool, string name) => File.ReadAllText(FilePath(tool, name, ".txt"));

    public static string Stderr(string tool, string name)
    {
        var path = FilePath(tool, name, ".stderr");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    /// <summary>Line 1 of NAME.cmd: the command line exactly as it was run.</summary>
    public static string CommandLine(string tool, string name) => File.ReadLines(FilePath(tool, name, ".cmd")).First();

    /// <summary>The <c># exit code:</c> line of NAME.cmd.</summary>
    public static int ExitCode(string tool, string name)
    {
        const string Prefix = "# exit code:";
        var line = File.ReadLines(FilePath(tool, name, ".cmd")).Single(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return int.Parse(line[Prefix.Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public static string Synthetic(string file) => File.ReadAllText(TestPaths.Fixture("synthetic", file));

    /// <summary>The squeue --Format field names of a captured command line (the <c>:|</c> suffixes removed).</summary>
    public static IReadOnlyList<string> CapturedSqueueFields(string commandLine)
    {
        const string Marker = "--Format=";
        var start = commandLine.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        var end = commandLine.IndexOf('\'', start);
        return commandLine[start..end].Split(',').Select(f => f.EndsWith(":|", StringComparison.Ordinal) ? f[..^2] : f).ToArray();
    }

    /// <summary>
    /// The captured squeue fixtures asked for <c>exit_code</c> as well (README "The commands"); the module's own
    /// command does not (SqueueParser: the raw wait status is not stable). squeue prints exactly the fields it is
    /// asked for, so dropping that one column gives what the module's command prints for the same jobs. Only the
    /// fields before Name are fixed, and exit_code is one of them, so a '|' in a name is not touched.
    /// </summary>
    public static string DropCapturedOnlyField(string capturedOutput)
    {
        var lines = capturedOutput.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            var fields = lines[i].Split('|').ToList();
            fields.RemoveAt(CapturedOnlyFieldIndex);
            lines[i] = string.Join('|', fields);
        }

        return string.Join('\n', lines);
    }

    /// <summary>A captured squeue fixture as the module's SqueueCommand would have printed it.</summary>
    public static string SqueueAsModuleAsks(string name) => DropCapturedOnlyField(Text("squeue", name));

    /// <summary>A synthetic squeue fixture (written in the captured shape) as the module's SqueueCommand would print it.</summary>
    public static string SyntheticSqueueAsModuleAsks(string file) => DropCapturedOnlyField(Synthetic(file));
}

/// <summary>What the replay runner answers to one command.</summary>
internal sealed record Reply(int ExitCode, string Stdout, string Stderr, Exception? Throw = null)
{
    public static Reply Ok(string stdout, string stderr = "") => new(0, stdout, stderr);

    public static Reply Error(int exitCode, string stderr) => new(exitCode, string.Empty, stderr);

    public static Reply Raise(Exception exception) => new(0, string.Empty, string.Empty, exception);

    /// <summary>A captured sacct fixture: its stdout, stderr and exit code.</summary>
    public static Reply Sacct(string name) =>
        new(SlurmFixture.ExitCode("sacct", name), SlurmFixture.Text("sacct", name), SlurmFixture.Stderr("sacct", name));

    /// <summary>A captured squeue fixture, with the column the module does not ask for removed.</summary>
    public static Reply Squeue(string name) =>
        new(SlurmFixture.ExitCode("squeue", name), SlurmFixture.SqueueAsModuleAsks(name), SlurmFixture.Stderr("squeue", name));

    public static Reply SyntheticSacct(string file) => Ok(SlurmFixture.Synthetic(file));

    public static Reply SyntheticSqueue(string file) => Ok(SlurmFixture.SyntheticSqueueAsModuleAsks(file));
}

/// <summary>
/// An <see cref="ICommandRunner"/> that records every <see cref="CommandSpec"/> it is given and answers from
/// canned replies. A program without a reply fails the test (so "squeue is not asked" is enforced too).
/// </summary>
internal sealed class ReplayRunner : ICommandRunner
{
    private readonly object _gate = new();
    private readonly List<(CommandSpec Spec, TimeSpan Timeout)> _calls = new();

    /// <summary>The reply to a sacct call (the spec is passed so a reply can depend on --clusters or --jobs).</summary>
    public Func<CommandSpec, Reply>? Sacct { get; init; }

    public Func<CommandSpec, Reply>? Squeue { get; init; }

    public string Location => "replay";

    public IReadOnlyList<CommandSpec> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.Select(c => c.Spec).ToArray();
            }
        }
    }

    public IReadOnlyList<TimeSpan> Timeouts
    {
        get
        {
            lock (_gate)
            {
                return _calls.Select(c => c.Timeout).ToArray();
            }
        }
    }

    public IReadOnlyList<CommandSpec> SacctCalls => Calls.Where(c => c.Program == "sacct").ToArray();

    public IReadOnlyList<CommandSpec> SqueueCalls => Calls.Where(c => c.Program == "squeue").ToArray();

    public CommandResult Run(CommandSpec command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _calls.Add((command, timeout));
        }

        var handler = command.Program switch
        {
            "sacct" => Sacct,
            "squeue" => Squeue,
            _ => null,
        };
        if (handler is null)
        {
            throw new Xunit.Sdk.XunitException($"The query ran '{command.Display}', which this test does not expect.");
        }

        var reply = handler(command);
        if (reply.Throw is not null)
        {
            throw reply.Throw;
        }

        return new CommandResult(reply.ExitCode, reply.Stdout, reply.Stderr, TimeSpan.FromMilliseconds(7), command.Display);
    }

    /// <summary>The ids of a sacct call's <c>--jobs=</c> argument.</summary>
    public static string[] JobsOf(CommandSpec sacct)
    {
        var argument = sacct.Arguments.Single(a => a.StartsWith("--jobs=", StringComparison.Ordinal));
        return argument["--jobs=".Length..].Split(',');
    }
}
