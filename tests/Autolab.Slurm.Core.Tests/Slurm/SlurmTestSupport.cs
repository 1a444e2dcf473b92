using System.Globalization;
using Autolab.Slurm.Common;
using Autolab.Slurm.Execution;
using Autolab.Slurm.Models;
using Autolab.Slurm.Slurm;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// Reads the captured fixtures (Fixtures/sacct, Fixtures/squeue: NAME.txt, NAME.cmd, NAME.stderr) and the
/// hand-written ones (Fixtures/synthetic, see its README.md).
/// </summary>
internal static class SlurmFixture
{
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

    /// <summary>A captured squeue fixture: the capture asked for exactly the module's fields (exit_code included).</summary>
    public static string SqueueAsModuleAsks(string name) => Text("squeue", name);

    /// <summary>A synthetic squeue fixture (written in the captured shape).</summary>
    public static string SyntheticSqueueAsModuleAsks(string file) => Synthetic(file);
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

    /// <summary>
    /// Whether this sacct knows the Restarts field (24.11 and later). The 22.05 fixtures were captured
    /// without it: asked for it, this runner answers as 22.05 did (exit 1, "Invalid field requested").
    /// </summary>
    public bool SacctKnowsRestarts { get; init; }

    /// <summary>One location per runner: what a query learns about one test's sacct never leaks into another's.</summary>
    public string Location { get; } = "replay-" + Guid.NewGuid().ToString("N")[..8];

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

        if (command.Program == "sacct" && !SacctKnowsRestarts && command.Arguments.Any(a => a.StartsWith("--format=", StringComparison.Ordinal) && a.EndsWith(",Restarts", StringComparison.Ordinal)))
        {
            return new CommandResult(1, string.Empty, SlurmFixture.Stderr("sacct", "real-invalid-field"), TimeSpan.FromMilliseconds(3), command.Display);
        }

        var reply = handler(command);
        if (reply.Throw is not null)
        {
            throw reply.Throw;
        }

        return new CommandResult(reply.ExitCode, reply.Stdout, reply.Stderr, TimeSpan.FromMilliseconds(7), command.Display);
    }

    /// <summary>A field cache that already knows what this runner's sacct knows (the query asks the right fields at once).</summary>
    public SacctFieldCache KnownFields()
    {
        var fields = new SacctFieldCache();
        fields.Learn(Location, SacctKnowsRestarts);
        return fields;
    }

    /// <summary>The ids of a sacct call's <c>--jobs=</c> argument.</summary>
    public static string[] JobsOf(CommandSpec sacct)
    {
        var argument = sacct.Arguments.Single(a => a.StartsWith("--jobs=", StringComparison.Ordinal));
        return argument["--jobs=".Length..].Split(',');
    }
}

/// <summary>
/// A SlurmJobQuery over a ReplayRunner with the clock fixed at <c>now</c>, and the one state a result holds for
/// an id: what the query tests of every release share.
/// </summary>
internal static class ReplayQuery
{
    /// <summary>The query; <paramref name="fields"/> defaults to what the runner's sacct knows (<see cref="ReplayRunner.KnownFields"/>).</summary>
    public static SlurmJobQuery New(ReplayRunner runner, DateTimeOffset now, SacctFieldCache? fields = null) =>
        new(runner, SlurmStateTable.Load(TestPaths.StateTable), new FixedClock(now)) { Fields = fields ?? runner.KnownFields() };

    public static List<JobRequest> Requests(params string[] ids) => ids.SelectMany(SlurmJobId.ParseExpand).Select(i => new JobRequest(i)).ToList();

    public static JobQueryResult Run(ReplayRunner runner, DateTimeOffset now, SacctFieldCache? fields, params string[] ids) =>
        New(runner, now, fields).Query(Requests(ids), null, CancellationToken.None);

    public static SlurmJobState Single(JobQueryResult result, string id)
    {
        var matches = result.States.Where(s => s.Request.Id.Text == id).Select(s => s.State).ToList();
        Assert.True(matches.Count == 1, $"expected one state for {id}, got {matches.Count}; {result.Failures.Count} failures, first: {result.Failures.Select(f => f.Request.Id.Text + ": " + Shorten(f.Error.Message)).FirstOrDefault()}");
        return matches[0];
    }

    private static string Shorten(string text) => text.Length > 400 ? text[..200] + " ... " + text[^200..] : text;
}
