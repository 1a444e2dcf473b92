<#
.SYNOPSIS
    Argv-only entry point for autolab's slurm_monitor command template.

.DESCRIPTION
    autolab refuses command templates that contain ';' or '|', so `pwsh -Command "Import-Module ...; ..."`
    cannot be used there. This script takes plain arguments, imports the module it ships in, runs one
    Invoke-SlurmMonitorStage pass (or waits, with -Wait) and prints the MonitorStageResult as one JSON
    object (2-space indented) on stdout.

    Exit codes: 0 for a normal pass, waiting included (read NextStage / CanAdvance from the JSON);
    1 for a stage error, whose error id and message go to stderr and nothing to stdout.

.EXAMPLE
    pwsh -NoProfile -File <module folder>/bin/slurm-monitor.ps1 -RepositoryRoot . -UpdateState
#>
[CmdletBinding()]
param(
    [string] $RepositoryRoot = '.',
    [string] $RunId,
    [switch] $Wait,
    [int] $PollIntervalSec = 30,
    [int] $TimeoutSec = 86400,
    [switch] $UpdateState,
    [int] $MaxSyncAttempts = 3,
    [int] $SchedulerTimeoutSec = 60,
    [string] $KeyFilePath,
    [string] $KnownHostsPath,
    [string] $SshConfigPath,
    [switch] $AcceptNewHostKey
)
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'

try {
    Import-Module ([IO.Path]::Combine($PSScriptRoot, '..', 'Autolab.Slurm.psd1')) -ErrorAction Stop
    $stage = @{}
    foreach ($name in $PSBoundParameters.Keys) { $stage[$name] = $PSBoundParameters[$name] }
    if (-not $stage.ContainsKey('RepositoryRoot')) { $stage['RepositoryRoot'] = $RepositoryRoot }
    $result = Invoke-SlurmMonitorStage @stage -ErrorAction Stop
    # The module's own JSON writer, not ConvertTo-Json: autoloading the Utility module that cmdlet lives
    # in costs about 150 ms in a cold process. The result holds strings, booleans and string lists.
    $json = [Autolab.Slurm.Json.RawObject]::new()
    foreach ($property in $result.PSObject.Properties) {
        $value = $property.Value
        $node = if ($null -eq $value) { [Autolab.Slurm.Json.RawScalar]::Null }
        elseif ($value -is [bool]) { [Autolab.Slurm.Json.RawScalar]::FromBool($value) }
        elseif ($value -is [Collections.IEnumerable] -and $value -isnot [string]) { [Autolab.Slurm.Json.RawArray]::OfStrings([string[]]@($value)) }
        else { [Autolab.Slurm.Json.RawScalar]::FromString([string]$value) }
        $json.Set($property.Name, $node)
    }
    [Console]::Out.Write([Autolab.Slurm.Json.RawJson]::Write($json))
    exit 0
}
catch {
    [Console]::Error.WriteLine("slurm-monitor: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    exit 1
}
