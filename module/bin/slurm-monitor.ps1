<#
.SYNOPSIS
    Argv-only entry point for autolab's slurm_monitor command template.

.DESCRIPTION
    autolab refuses command templates that contain ';' or '|', so `pwsh -Command "Import-Module ...; ..."`
    cannot be used there. This script takes plain arguments, imports the module it ships in (without the
    table views, which a JSON-only caller never needs), runs one Invoke-SlurmMonitorStage pass (or waits,
    with -Wait) and prints the MonitorStageResult as one JSON object on stdout.

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
    Import-Module ([IO.Path]::Combine($PSScriptRoot, '..', 'Autolab.Slurm.psd1')) -ArgumentList (, [string[]]@('NoFormatData')) -ErrorAction Stop
    $stage = @{}
    foreach ($name in $PSBoundParameters.Keys) { $stage[$name] = $PSBoundParameters[$name] }
    if (-not $stage.ContainsKey('RepositoryRoot')) { $stage['RepositoryRoot'] = $RepositoryRoot }
    $result = Invoke-SlurmMonitorStage @stage -ErrorAction Stop
    [Console]::Out.WriteLine(($result | ConvertTo-Json -Depth 4 -Compress))
    exit 0
}
catch {
    [Console]::Error.WriteLine("slurm-monitor: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    exit 1
}
