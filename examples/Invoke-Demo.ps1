#Requires -Version 7.4
<#
.SYNOPSIS
    The README's main job: runs the module on a temporary copy of examples/autolab-repo.
.DESCRIPTION
    Copies the bundled example repository to a temporary folder (so the tree stays clean and the demo
    can run again), then carries its SLURM run through the manifest-and-ledger pipeline: the scheduler's
    COMPLETED state, then a successful sync, each written to run_manifest.json and docs/slurm_job_list.md.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $RepositoryRoot
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModulePath -Force

$work = Join-Path ([IO.Path]::GetTempPath()) ("autolab-demo-" + (Get-Date -Format 'yyyyMMdd-HHmmss'))
Copy-Item -LiteralPath (Join-Path $RepositoryRoot 'examples/autolab-repo') -Destination $work -Recurse
$manifest = Join-Path $work 'experiments/plan/iter1/runs/run_001/run_manifest.json'
Write-Host "Example repository copied to $work"

Write-Host "`n1. The scheduler reports job 12345 COMPLETED: the run stays running until its artifacts are home."
$state = [Autolab.Slurm.Models.SlurmJobState]@{
    JobId = '12345'; ManifestPath = $manifest; Name = 'autolab-demo'; State = 'COMPLETED'; RawState = 'COMPLETED'
    Status = 'completed'; IsTerminal = $true; ExitCode = 0; Signal = 0; Source = 'sacct'
    EndTime = [DateTimeOffset]::UtcNow; ObservedAt = [DateTimeOffset]::UtcNow
}
$state | Update-RunManifest -PassThru | Update-SlurmJobList | Format-Table | Out-Host

Write-Host "2. The artifacts are verified: the run becomes synced and its ledger line follows."
Update-RunManifest -Path $manifest -SyncStatus ok -PassThru | Update-SlurmJobList | Format-Table | Out-Host

Write-Host "run_manifest.json:"
Get-Content -LiteralPath $manifest | Out-Host
Write-Host "`ndocs/slurm_job_list.md:"
Get-Content -LiteralPath (Join-Path $work 'docs/slurm_job_list.md') | Out-Host
Write-Host "`nFiles are in $work"
