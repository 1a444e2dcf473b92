# The script half of Autolab.Slurm. The compiled cmdlets come from Autolab.Slurm.dll (NestedModules);
# script functions live one per file under Public/ and are inlined below by the build.
Set-StrictMode -Version Latest

#region Public functions
# build.ps1 fills this region in the staged psm1 with the text of module/Public/*.ps1 (one function per
# file in the source; one file to read and compile on import). The source psm1 is never imported itself.
#endregion

# Invoke-SlurmMonitorStage's -RunId completes like New-SlurmMonitorPass's (the runs under the repository), through the
# same C# completer. Registered here rather than as an attribute in the function's own file; one call, no module load.
Register-ArgumentCompleter -CommandName Invoke-SlurmMonitorStage -ParameterName RunId -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    [Autolab.Slurm.Completers.RunIdCompleter]::new().CompleteArgument($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
}

Export-ModuleMember -Function Invoke-SlurmMonitorStage -Cmdlet Get-SlurmJobState, Sync-RunArtifacts, Update-RunManifest, Update-SlurmJobList, New-SlurmMonitorPass, Complete-SlurmMonitorPass, Set-SlurmMonitorHook
