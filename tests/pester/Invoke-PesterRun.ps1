#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite against the staged module in this (fresh) pwsh process and writes the counts as JSON.
.DESCRIPTION
    build.ps1 -Task Test starts this script in a new `pwsh -NoProfile -NonInteractive`, so the tests see
    the built module exactly as a user would. The module path reaches the test files through
    $env:AUTOLAB_SLURM_MODULE.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [switch] $Slow,
    [string[]] $Path = @($PSScriptRoot)
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$env:AUTOLAB_SLURM_MODULE = (Resolve-Path -LiteralPath $ModulePath).Path

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Normal'
$configuration.Filter.ExcludeTag = if ($Slow) { @() } else { @('Slow') }
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultPath, '.xml')
$result = Invoke-Pester -Configuration $configuration

[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM
exit ([int]($result.Result -ne 'Passed'))
