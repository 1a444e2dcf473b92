using System.Management.Automation;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;
using Autolab.Slurm.Repository;
using Autolab.Slurm.Stage;

namespace Autolab.Slurm.Commands;

/// <summary>
/// Points autolab at this module's hooks: writes slurm.monitor.poll_command_template and
/// sync_command_template in the repository's .autolab/verifier_policy.yaml, naming this pwsh and this
/// module version's bin/slurm-monitor.ps1 by absolute path. Run it again after updating the module: the
/// module's path holds its version.
/// </summary>
[Cmdlet(VerbsCommon.Set, "SlurmMonitorHook", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MonitorHookSettings))]
public sealed class SetSlurmMonitorHookCommand : AutolabCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string? RepositoryRoot { get; set; }

    /// <summary>Which templates to write; the default is both.</summary>
    [Parameter]
    [ValidateSet("Poll", "Sync")]
    public string[] Hook { get; set; } = { "Poll", "Sync" };

    /// <summary>The pwsh autolab starts (an absolute path); by default the pwsh running this command.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PwshPath { get; set; }

    /// <summary>Writes even though the policy file is read-only (autolab init leaves it 0444); its mode is kept.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var root = RepositoryRoot is null ? SessionState.Path.CurrentFileSystemLocation.ProviderPath : ResolvePath(RepositoryRoot);
        var policy = AutolabPolicy.PathFor(root);
        if (!File.Exists(policy))
        {
            WriteAutolabError(new AutolabException(
                Directory.Exists(Path.Combine(root, RepositoryLocator.AutolabDirectoryName)) ? ErrorIds.PolicyNotFound : ErrorIds.RepositoryRootNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"'{policy}' does not exist. Run it in an autolab repository (made by 'autolab init'), or pass -RepositoryRoot.",
                policy));
            return;
        }

        var entry = Path.Combine(ModuleContext.ModuleDirectory, "bin", "slurm-monitor.ps1");
        var pwsh = PwshCommand();
        var poll = Hook.Contains("Poll") ? MonitorHookTemplates.Build(pwsh, entry, "Poll") : null;
        var sync = Hook.Contains("Sync") ? MonitorHookTemplates.Build(pwsh, entry, "Sync") : null;
        MonitorHookSettings? settings = null;
        if (!TryRun(() => settings = MonitorHookTemplates.Plan(policy, poll, sync).Settings))
        {
            return;
        }

        if (settings!.Changed
            && ShouldProcess(policy, $"Set slurm.monitor templates to this module's hooks ({string.Join(", ", Hook)})")
            && !TryRun(() => MonitorHookTemplates.WritePolicy(root, poll, sync, Force, CancellationToken)))
        {
            return;
        }

        if (PassThru)
        {
            WriteObject(settings);
        }
    }

    /// <summary>This pwsh by absolute path: pwsh itself, or the dotnet host and pwsh.dll when pwsh runs as a .NET tool.</summary>
    private string[] PwshCommand()
    {
        if (PwshPath is not null)
        {
            var path = ResolvePath(PwshPath);
            return new[] { path };
        }

        var process = Environment.ProcessPath ?? "pwsh";
        if (Path.GetFileNameWithoutExtension(process) == "pwsh")
        {
            return new[] { process };
        }

        var home = SessionState.PSVariable.GetValue("PSHOME") as string ?? AppContext.BaseDirectory;
        return new[] { process, Path.Combine(home, "pwsh.dll") };
    }
}
