using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;

// The module and its test cluster are Linux only (Slurm, POSIX modes).
[assembly: SupportedOSPlatform("linux")]

namespace Autolab.Slurm.Tests;

/// <summary>
/// One runspace for the whole assembly with the staged module imported, as `Import-Module` does in pwsh:
/// the manifest, the psm1, the format file and the staged assemblies (which bind to this host's
/// System.Management.Automation and Newtonsoft.Json, as they bind to pwsh's). A runspace is not
/// thread-safe, so every test class shares it through one xUnit collection and runs one at a time.
/// </summary>
public sealed class ModuleRunspace : IDisposable
{
    public ModuleRunspace()
    {
        ManifestPath = FindStagedManifest();
        ModuleBase = Path.GetDirectoryName(ManifestPath)!;
        // CreateDefault adds the built-in cmdlets from their assemblies: an SDK host has no $PSHOME/Modules
        // to autoload them from.
        var state = InitialSessionState.CreateDefault();
        state.ImportPSModule(ManifestPath);
        state.ThrowOnRunspaceOpenError = true;
        Runspace = RunspaceFactory.CreateRunspace(state);
        Runspace.Open();
    }

    public Runspace Runspace { get; }

    /// <summary>The staged Autolab.Slurm.psd1 under test.</summary>
    public string ManifestPath { get; }

    public string ModuleBase { get; }

    /// <summary>
    /// Runs <paramref name="script"/> in a new pipeline of the shared runspace; <paramref name="parameters"/> go to its
    /// <c>param()</c> block, <paramref name="arguments"/> to <c>$args</c>.
    /// </summary>
    public PsResult Invoke(string script, IDictionary? parameters = null, params object[] arguments)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        ps.AddScript(script);
        if (parameters is not null)
        {
            ps.AddParameters(parameters);
        }

        foreach (var argument in arguments)
        {
            ps.AddArgument(argument);
        }

        var output = ps.Invoke();
        return new PsResult(output, ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(), ps.Streams.Verbose.Select(v => v.Message).ToList());
    }

    public void Dispose() => Runspace.Dispose();

    /// <summary>$env:AUTOLAB_SLURM_MODULE (as the Pester suite takes it), else out/Autolab.Slurm/&lt;ModuleVersion&gt;/ of this repository.</summary>
    private static string FindStagedManifest()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("AUTOLAB_SLURM_MODULE");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        var root = RepositoryRoot;
        var source = File.ReadAllText(Path.Combine(root, "Autolab.Slurm.psd1"));
        var version = Regex.Match(source, @"(?m)^\s*ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;
        var staged = Path.Combine(root, "out", "Autolab.Slurm", version, "Autolab.Slurm.psd1");
        if (!File.Exists(staged))
        {
            throw new InvalidOperationException($"No staged module at '{staged}'. Run ./build.ps1 -Task Build first (the Test task does).");
        }

        return staged;
    }

    /// <summary>The repository root: the nearest parent of the test binaries that holds Autolab.Slurm.psd1 and build.ps1.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Autolab.Slurm.psd1")) && File.Exists(Path.Combine(dir.FullName, "build.ps1")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No repository root (Autolab.Slurm.psd1 beside build.ps1) above '{AppContext.BaseDirectory}'.");
        }
    }
}

/// <summary>What one pipeline produced.</summary>
public sealed record PsResult(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<string> Verbose)
{
    /// <summary>The output objects of one .NET type (by full name: the test assembly does not reference the module's).</summary>
    public IReadOnlyList<PSObject> OfType(string typeName) =>
        Output.Where(o => o.BaseObject.GetType().FullName == typeName).ToList();

    /// <summary>Fails with the error records' text when the pipeline wrote any.</summary>
    public PsResult AssertNoErrors()
    {
        Assert.True(Errors.Count == 0, "Unexpected errors: " + string.Join(Environment.NewLine, Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return this;
    }
}

[CollectionDefinition(Name)]
public sealed class RunspaceCollection : ICollectionFixture<ModuleRunspace>, ICollectionFixture<SlurmJobs>
{
    public const string Name = "Module runspace";
}

internal static class PSObjectExtensions
{
    public static object? Prop(this PSObject obj, string name) => obj.Properties[name]?.Value is { } value
        ? value is PSObject ps ? ps.BaseObject : value
        : null;

    public static string? Text(this PSObject obj, string name) => obj.Prop(name)?.ToString();
}
