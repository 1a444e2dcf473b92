using System.Management.Automation;
using Autolab.Slurm.Ssh;

namespace Autolab.Slurm;

/// <summary>Closes the pooled SSH connections when the module is removed.</summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => SshConnectionPool.Shared.Dispose();
}
