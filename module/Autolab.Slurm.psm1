# The script half of Autolab.Slurm. The compiled cmdlets come from Autolab.Slurm.dll (NestedModules);
# script functions live one per file under Public/ and are dot-sourced here.
Set-StrictMode -Version Latest

#region Public functions
# In the source tree the functions are dot-sourced from Public/, one per file. build.ps1 replaces this
# region in the staged psm1 with the files' text, which spares a cold import one file read and script
# compilation per file. .NET calls rather than Test-Path/Get-ChildItem: the provider cmdlets would
# autoload Microsoft.PowerShell.Management (about 100 ms in a cold process).
$publicFolder = [IO.Path]::Combine($PSScriptRoot, 'Public')
if ([IO.Directory]::Exists($publicFolder)) {
    foreach ($file in [IO.Directory]::GetFiles($publicFolder, '*.ps1')) {
        . $file
    }
}
#endregion

Export-ModuleMember -Function Invoke-SlurmMonitorStage -Cmdlet Get-SlurmJobState, Sync-RunArtifacts, Update-RunManifest, Update-SlurmJobList
