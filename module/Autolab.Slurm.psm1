# The script half of Autolab.Slurm. The compiled cmdlets come from Autolab.Slurm.dll (NestedModules);
# script functions live one per file under Public/ and are dot-sourced here.
Set-StrictMode -Version Latest

# .NET calls instead of Test-Path/Get-ChildItem: the provider cmdlets cost ~100 ms on a cold import.
$publicFolder = [IO.Path]::Combine($PSScriptRoot, 'Public')
if ([IO.Directory]::Exists($publicFolder)) {
    foreach ($file in [IO.Directory]::GetFiles($publicFolder, '*.ps1')) {
        . $file
    }
}

Export-ModuleMember -Function Invoke-SlurmMonitorStage -Cmdlet Get-SlurmJobState, Sync-RunArtifacts, Update-RunManifest, Update-SlurmJobList
