@{
    # The source the build stages from (out/Autolab.Slurm/<version>/). ModuleVersion is the one version
    # source: build.ps1 passes it to dotnet as -p:Version.
    RootModule           = 'Autolab.Slurm.psm1'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = 'cc1c2e40-ac16-4394-86f6-35e93e53a82c'
    Author               = 'Autolab.Slurm developers'
    CompanyName          = 'autolab'
    Copyright            = '(c) Autolab.Slurm developers. MIT licence.'
    Description          = "autolab's slurm_monitor stage: poll the Slurm scheduler, bring a finished job's artifacts home, and keep run_manifest.json and docs/slurm_job_list.md true."
    # The binary half targets net8.0, the runtime of PowerShell 7.4.
    PowerShellVersion    = '7.4'
    # The models (SlurmJobState, ...) live in the Core assembly; load it so their types resolve in scripts.
    RequiredAssemblies   = @('Autolab.Slurm.Core.dll')
    NestedModules        = @('Autolab.Slurm.dll')
    # The table views. Listed here rather than loaded by Update-FormatData in the psm1: that cmdlet would
    # autoload Microsoft.PowerShell.Utility on import (about 100 ms in a cold process).
    FormatsToProcess     = @('Autolab.Slurm.Format.ps1xml')
    FunctionsToExport    = @('Invoke-SlurmMonitorStage')
    CmdletsToExport      = @('Get-SlurmJobState', 'Sync-RunArtifacts', 'Update-RunManifest', 'Update-SlurmJobList', 'New-SlurmMonitorPass', 'Complete-SlurmMonitorPass', 'Set-SlurmMonitorHook')
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        # What `./build.ps1 -Task Package` writes into the .nupkg's nuspec (tags, release notes).
        PSData = @{
            Tags         = @('Slurm', 'HPC', 'autolab', 'Linux', 'PSEdition_Core')
            # No LicenseUri and no ProjectUri: the project has no public address yet, and a placeholder
            # would be published into every package as a link that leads nowhere. The licence ships
            # inside the package instead (LICENSE, the MIT text, in the module folder).
            ReleaseNotes = @'
0.1.0: first release. Get-SlurmJobState, Update-RunManifest, Update-SlurmJobList and Sync-RunArtifacts
(binary cmdlets), Invoke-SlurmMonitorStage (autolab's slurm_monitor stage) and the argv-only entry point
bin/slurm-monitor.ps1. Requires PowerShell 7.4 or later (Core edition, Linux); tested on 7.6.9.
'@
        }
    }
}
