using System.Diagnostics;
using System.Globalization;
using Autolab.Slurm.Execution;
using Xunit;

namespace Autolab.Slurm.Core.Tests.Slurm;

/// <summary>
/// LocalCommandRunner against real processes (STYLE.md: no shell, ever; a timed-out or cancelled child is
/// killed with its whole tree) and PosixQuote round trips through a real bash.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalCommandRunnerTests
{
    /// <summary>Children inherit this variable, so /proc/*/environ finds the whole tree a test started.</summary>
    private const string MarkVariable = "AUTOLAB_TEST_TREE_MARK";

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static readonly LocalCommandRunner Runner = LocalCommandRunner.Instance;

    [Fact]
    public void Run_ShellCharactersInArguments_PassedVerbatim()
    {
        string[] arguments = { "a;b", "$(id -u)", "`id`", "it's", "\"q\"", "a b", "*", "$HOME", "x\ny", "--", string.Empty, "&& echo pwned", "|cat", "é✓" };
        var spec = new CommandSpec("printf", new[] { "[%s]\n" }.Concat(arguments).ToArray());

        var result = Runner.Run(spec, Generous, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Concat(arguments.Select(a => "[" + a + "]\n")), result.StandardOutput);
        Assert.Equal(string.Empty, result.StandardError);
    }

    [Fact]
    public void Run_BinEcho_SemicolonAndSubstitutionNotInterpreted()
    {
        var result = Runner.Run(new CommandSpec("/bin/echo", new[] { "one;", "echo", "two", "$(echo three)" }), Generous, CancellationToken.None);

        Assert.Equal("one; echo two $(echo three)\n", result.StandardOutput);
    }

    [Fact]
    public void Run_ExitCodeAndStreams_ReportedWithTheCommandLine()
    {
        var spec = new CommandSpec("sh", new[] { "-c", "echo out; echo err >&2; exit 7" });

        var result = Runner.Run(spec, Generous, CancellationToken.None);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
        Assert.Equal(spec.Display, result.CommandLine);
        Assert.True(result.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public void Run_LargeOutputOnBothStreams_NoDeadlock()
    {
        var spec = new CommandSpec("sh", new[] { "-c", "seq 1 200000; seq 1 200000 >&2" });

        var result = Runner.Run(spec, Generous, CancellationToken.None);

        var expected = string.Concat(Enumerable.Range(1, 200000).Select(i => i.ToString(CultureInfo.InvariantCulture) + "\n"));
        Assert.Equal(expected, result.StandardOutput);
        Assert.Equal(expected, result.StandardError);
    }

    [Fact]
    public void Run_ProgramReadingStdin_SeesEndOfInputAtOnce()
    {
        // A cat left waiting for input would be killed by the timeout (CommandTimeoutException) instead of exiting 0.
        var result = Runner.Run(new CommandSpec("cat", Array.Empty<string>()), TimeSpan.FromSeconds(60), CancellationToken.None);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.StandardOutput));
    }

    [Fact]
    public void Run_EnvironmentSet_ChildSeesIt()
    {
        var spec = new CommandSpec("env", Array.Empty<string>())
        {
            Environment = new Dictionary<string, string> { ["AUTOLAB_TEST_SET"] = "v 1;$x 'q'", ["SLURM_TIME_FORMAT"] = "%s" },
        };

        var lines = Runner.Run(spec, Generous, CancellationToken.None).StandardOutput.Split('\n');

        Assert.Contains("AUTOLAB_TEST_SET=v 1;$x 'q'", lines);
        Assert.Contains("SLURM_TIME_FORMAT=%s", lines);
    }

    [Fact]
    public void Run_UnsetVariablesAndPrefixes_RemovedFromChild()
    {
        var tag = "AUTOLAB_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant() + "_";
        var names = new[] { tag + "EXACT", tag + "PFX_A", tag + "PFX_B", tag + "KEEP", tag + "EXACTLY" };
        try
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, "parent");
            }

            var spec = new CommandSpec("env", Array.Empty<string>())
            {
                UnsetVariables = new[] { tag + "EXACT" },
                UnsetPrefixes = new[] { tag + "PFX_" },
                Environment = new Dictionary<string, string> { [tag + "PFX_SET"] = "child" },
            };

            var lines = Runner.Run(spec, Generous, CancellationToken.None).StandardOutput.Split('\n');

            Assert.Equal(
                new[] { tag + "EXACTLY=parent", tag + "KEEP=parent", tag + "PFX_SET=child" },
                lines.Where(l => l.StartsWith(tag, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Theory]
    [InlineData("/nonexistent/autolab-no-such-program")]
    [InlineData("autolab-no-such-program-7f3a")]
    public void Run_ProgramMissing_CommandStartException(string program)
    {
        var error = Assert.Throws<CommandStartException>(() => Runner.Run(new CommandSpec(program, new[] { "x" }), Generous, CancellationToken.None));

        Assert.Contains(program, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_FileNotExecutable_CommandStartException()
    {
        using var dir = new TempDir();
        var path = dir.Write("not-executable", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<CommandStartException>(() => Runner.Run(new CommandSpec(path, Array.Empty<string>()), Generous, CancellationToken.None));
    }

    [Fact]
    public async Task Run_Timeout_KillsTheWholeProcessTree()
    {
        var marker = Guid.NewGuid().ToString("N");
        var spec = Marked(new CommandSpec("bash", new[] { "-c", "sleep 600 & sleep 600" }), marker);
        var watch = Stopwatch.StartNew();

        var run = Task.Run(() => Runner.Run(spec, TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.True(await WaitFor(() => SleepsOf(marker).Count >= 2, TimeSpan.FromSeconds(10)), "the two sleeps never started");
        var error = await Assert.ThrowsAsync<CommandTimeoutException>(() => run);

        // The sleeps would take 10 minutes: ending far sooner shows the timeout ended them (a hang guard).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"the timeout of 2 s took {watch.Elapsed}");
        Assert.Contains(spec.Display, error.Message, StringComparison.Ordinal);
        Assert.True(await WaitFor(() => MarkedProcesses(marker).Count == 0, TimeSpan.FromSeconds(5)), "survivors: " + Describe(marker));
    }

    [Fact]
    public async Task Run_Cancelled_KillsTheWholeProcessTree()
    {
        var marker = Guid.NewGuid().ToString("N");
        var spec = Marked(new CommandSpec("bash", new[] { "-c", "sleep 600 & sleep 600" }), marker);
        using var cancellation = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();

        var run = Task.Run(() => Runner.Run(spec, TimeSpan.FromSeconds(60), cancellation.Token));
        Assert.True(await WaitFor(() => SleepsOf(marker).Count >= 2, TimeSpan.FromSeconds(10)), "the two sleeps never started");
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"cancellation took {watch.Elapsed}");
        Assert.True(await WaitFor(() => MarkedProcesses(marker).Count == 0, TimeSpan.FromSeconds(5)), "survivors: " + Describe(marker));
    }

    [Fact]
    public void Run_AlreadyCancelled_OperationCanceled()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(new CommandSpec("sleep", new[] { "30" }), Generous, cancellation.Token));
    }

    [Fact]
    public async Task Run_BackgroundChildKeepsStdoutOpen_TimeoutStillBoundsTheCall()
    {
        // bash exits at once; its background sleep inherits stdout. The call must not wait for the sleep.
        var marker = Guid.NewGuid().ToString("N");
        var spec = Marked(new CommandSpec("bash", new[] { "-c", "sleep 300 & echo started" }), marker);
        var watch = Stopwatch.StartNew();

        try
        {
            Runner.Run(spec, TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        catch (CommandTimeoutException)
        {
            // Either answer is fine; waiting for the orphan is not.
        }

        var took = watch.Elapsed;
        await WaitFor(() => MarkedProcesses(marker).Count == 0, TimeSpan.FromSeconds(30));
        // The orphan sleeps 5 minutes: returning far sooner shows the call did not wait for it (a hang guard).
        Assert.True(took < TimeSpan.FromSeconds(120), $"Run with a 1 s timeout took {took.TotalSeconds:0.0} s");
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("a b")]
    [InlineData("$HOME")]
    [InlineData("`id`")]
    [InlineData("$(id)")]
    [InlineData("line1\nline2")]
    [InlineData("trailing newline\n")]
    [InlineData("'")]
    [InlineData("''")]
    [InlineData("'\"'\"'")]
    [InlineData("")]
    [InlineData("\\")]
    [InlineData("\\'")]
    [InlineData("!")]
    [InlineData("!!")]
    [InlineData("a'b'c")]
    [InlineData("*")]
    [InlineData("~")]
    [InlineData("-n")]
    [InlineData("--jobs=1,2")]
    [InlineData("\t")]
    [InlineData("é✓")]
    [InlineData("\"")]
    [InlineData("${IFS}")]
    [InlineData(";|&<>(){}")]
    [InlineData("--Format=JobArrayID:|,Name:|")]
    public void Quote_NastyString_RoundTripsThroughBash(string token)
    {
        var result = Runner.Run(new CommandSpec("bash", new[] { "-c", "printf %s " + PosixQuote.Quote(token) }), Generous, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(token, result.StandardOutput);
    }

    [Theory]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("plain", "'plain'")]
    public void Quote_Token_SingleQuotedWithEscapedQuotes(string token, string expected)
    {
        Assert.Equal(expected, PosixQuote.Quote(token));
    }

    [Theory]
    [InlineData("--jobs=1,2,6_1,4+1", "--jobs=1,2,6_1,4+1")]
    [InlineData("SLURM_TIME_FORMAT=%s", "SLURM_TIME_FORMAT=%s")]
    [InlineData("now-86400seconds", "now-86400seconds")]
    [InlineData("a b", "'a b'")]
    [InlineData("--Format=A:|", "'--Format=A:|'")]
    [InlineData("", "''")]
    [InlineData("$x", "'$x'")]
    public void QuoteIfNeeded_Token_BareOnlyWhenSafe(string token, string expected)
    {
        Assert.Equal(expected, PosixQuote.QuoteIfNeeded(token));
    }

    [Fact]
    public void CommandLine_WholeSpec_RoundTripsThroughBashWithEnvironment()
    {
        var inner = new CommandSpec("sh", new[] { "-c", "printf '%s|' \"$AUTOLAB_TEST_QV\" \"${AUTOLAB_TEST_QGONE-unset}\" \"$@\"", "sh", "a'b", "$HOME", "x y", "l1\nl2" })
        {
            Environment = new Dictionary<string, string> { ["AUTOLAB_TEST_QV"] = "v 'w' $y" },
            UnsetVariables = new[] { "AUTOLAB_TEST_QGONE" },
        };
        var outer = new CommandSpec("bash", new[] { "-c", PosixQuote.CommandLine(inner) })
        {
            Environment = new Dictionary<string, string> { ["AUTOLAB_TEST_QGONE"] = "present" },
        };

        var result = Runner.Run(outer, Generous, CancellationToken.None);

        Assert.Equal(string.Empty, result.StandardError);
        Assert.Equal("v 'w' $y|unset|a'b|$HOME|x y|l1\nl2|", result.StandardOutput);
    }

    [Fact]
    public void CommandLine_EveryTokenQuoted()
    {
        var spec = new CommandSpec("sacct", new[] { "--jobs=2" })
        {
            Environment = new Dictionary<string, string> { ["SLURM_TIME_FORMAT"] = "%s" },
            UnsetVariables = new[] { "SACCT_FORMAT" },
        };

        Assert.Equal("env -u 'SACCT_FORMAT' 'SLURM_TIME_FORMAT=%s' 'sacct' '--jobs=2'", PosixQuote.CommandLine(spec));
    }

    private static CommandSpec Marked(CommandSpec spec, string marker) =>
        spec with { Environment = new Dictionary<string, string> { [MarkVariable] = marker } };

    /// <summary>Live processes (not zombies: their environ reads empty) that inherited the marker.</summary>
    private static List<int> MarkedProcesses(string marker)
    {
        var needle = MarkVariable + "=" + marker;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(System.IO.Path.Combine(dir, "environ")).Split('\0').Contains(needle))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    private static List<int> SleepsOf(string marker) => MarkedProcesses(marker).Where(p => Comm(p) == "sleep").ToList();

    private static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static string Describe(string marker) => string.Join(", ", MarkedProcesses(marker).Select(p => $"{p} {Comm(p)}"));

    private static async Task<bool> WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }
}
