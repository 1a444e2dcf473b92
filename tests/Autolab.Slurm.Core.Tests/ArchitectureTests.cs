using Autolab.Slurm.Json;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>The Core knows nothing of PowerShell: the cmdlets are a thin layer over it.</summary>
public sealed class ArchitectureTests
{
    [Fact]
    public void Core_ReferencesNoPowerShellAssembly()
    {
        var references = typeof(RawJson).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToArray();

        Assert.Contains("NJsonSchema", references);
        Assert.DoesNotContain(references, n => n.StartsWith("System.Management.Automation", StringComparison.Ordinal));
        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.PowerShell", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_TargetsNet8()
    {
        var framework = typeof(RawJson).Assembly
            .GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false)
            .Cast<System.Runtime.Versioning.TargetFrameworkAttribute>()
            .Single().FrameworkName;

        Assert.Equal(".NETCoreApp,Version=v8.0", framework);
    }
}
