# The script half of Autolab.Slurm. The compiled cmdlets come from Autolab.Slurm.dll (NestedModules);
# script functions live one per file under Public/ and are dot-sourced here.
param(
    # 'NoFormatData' skips the table views: loading any format file starts PowerShell's formatting
    # system (about 150-250 ms in a cold process), which a script that only emits JSON never needs.
    # bin/slurm-monitor.ps1 imports the module this way; everyone else gets the views.
    [string[]] $Option = @()
)
Set-StrictMode -Version Latest

if ($Option -notcontains 'NoFormatData') {
    Update-FormatData -PrependPath ([IO.Path]::Combine($PSScriptRoot, 'Autolab.Slurm.Format.ps1xml'))
}

# .NET calls instead of Test-Path/Get-ChildItem: the provider cmdlets cost ~100 ms on a cold import.
$publicFolder = [IO.Path]::Combine($PSScriptRoot, 'Public')
if ([IO.Directory]::Exists($publicFolder)) {
    foreach ($file in [IO.Directory]::GetFiles($publicFolder, '*.ps1')) {
        . $file
    }
}

Export-ModuleMember -Function Invoke-SlurmMonitorStage -Cmdlet Get-SlurmJobState, Sync-RunArtifacts, Update-RunManifest, Update-SlurmJobList
