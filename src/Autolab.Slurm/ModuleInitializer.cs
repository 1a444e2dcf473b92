using System.Management.Automation;
using Autolab.Slurm.Execution;

namespace Autolab.Slurm;

/// <summary>On import: a SIGTERM to this pwsh ends the scheduler commands the module started (with their children) first.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => ChildProcesses.ExitCleanlyOnSignals();
}
