using System.Collections;
using System.Reflection;

namespace Autolab.Slurm.Tests;

/// <summary>The host loads the staged module as pwsh does: its own assemblies from the module folder, the shared ones from the host.</summary>
[Collection(RunspaceCollection.Name)]
public sealed class ModuleLoadTests
{
    private readonly ModuleRunspace _module;

    public ModuleLoadTests(ModuleRunspace module) => _module = module;

    [Fact]
    public void ImportPSModule_StagedManifest_LoadsTheModuleAssembliesFromTheStagedFolder()
    {
        var result = _module.Invoke("""
            (Get-Module Autolab.Slurm).ModuleBase
            [Autolab.Slurm.Commands.GetSlurmJobStateCommand].Assembly.Location
            [Autolab.Slurm.Models.SlurmJobState].Assembly.Location
            """).AssertNoErrors();

        var paths = result.Output.Select(o => o.ToString()).ToList();
        Assert.Equal(3, paths.Count);
        Assert.Equal(_module.ModuleBase, paths[0]);
        Assert.All(paths.Skip(1), p => Assert.Equal(_module.ModuleBase, Path.GetDirectoryName(p)));
    }

    [Fact]
    public void SchemaValidation_InTheSdkHost_NJsonSchemaFromTheModuleBindsToTheHostsNewtonsoftJson()
    {
        using var repo = new TestRepository(_module);
        // No "command": the schema requires it, so the update cannot validate. NJsonSchema is loaded on
        // first validation, and this one has to run for the id to come back.
        var path = repo.WriteManifest("run_invalid", "12345", DateTimeOffset.UtcNow, edit: m => m.Remove("command"));

        var result = _module.Invoke("param($Path) Update-RunManifest -Path $Path -Status running", new Hashtable { ["Path"] = path });

        Assert.StartsWith("ManifestSchemaViolation,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic).ToList();
        var njsonschema = Assert.Single(loaded, a => a.GetName().Name == "NJsonSchema");
        Assert.Equal(_module.ModuleBase, Path.GetDirectoryName(njsonschema.Location));
        // The module ships no Newtonsoft.Json (pwsh has it): the one copy loaded is the host's, at least as
        // new as the one NJsonSchema was built against.
        Assert.False(File.Exists(Path.Combine(_module.ModuleBase, "Newtonsoft.Json.dll")));
        var newtonsoft = Assert.Single(loaded, a => a.GetName().Name == "Newtonsoft.Json");
        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.GetDirectoryName(newtonsoft.Location));
        var wanted = njsonschema.GetReferencedAssemblies().Single(r => r.Name == "Newtonsoft.Json").Version!;
        Assert.True(newtonsoft.GetName().Version >= wanted, $"Newtonsoft.Json {newtonsoft.GetName().Version} is older than the {wanted} NJsonSchema wants.");
    }

    [Fact]
    public void ImportPSModule_ModuleBuiltAgainstPowerShellStandard_RunsOnTheSdksAutomationAssembly()
    {
        // Autolab.Slurm.dll is compiled against PowerShellStandard.Library's reference assembly; at run time
        // its cmdlets must bind to the SDK's System.Management.Automation, the only one loaded.
        var result = _module.Invoke("[Autolab.Slurm.Commands.GetSlurmJobStateCommand].Assembly").AssertNoErrors();
        var assembly = (Assembly)Assert.Single(result.Output).BaseObject;
        var reference = assembly.GetReferencedAssemblies().Single(r => r.Name == "System.Management.Automation");
        var loaded = Assert.Single(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "System.Management.Automation");

        Assert.Equal(typeof(System.Management.Automation.PSCmdlet).Assembly, loaded);
        Assert.True(loaded.GetName().Version > reference.Version, $"loaded {loaded.GetName().Version}, referenced {reference.Version}");
    }
}
