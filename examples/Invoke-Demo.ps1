#Requires -Version 7.4
<#
.SYNOPSIS
    The README's main job: the slurm_monitor stage on a temporary copy of examples/autolab-repo.
.DESCRIPTION
    Copies the bundled autolab repository to a temporary folder (the tree stays clean; run it as often as
    you like), submits the example job to the local test cluster with sbatch, writes the manifest and the
    ledger line the way autolab's launch stage does, then runs Invoke-SlurmMonitorStage -Wait -UpdateState
    until the run is synced, and shows the result and where the files are.
    build.ps1 -Task Demo brings the cluster up first (tests/infra/up.sh).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $RepositoryRoot,
    [int] $TimeoutSec = 300
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModulePath -Force

$work = Join-Path ([IO.Path]::GetTempPath()) ("autolab-demo-" + (Get-Date -Format 'yyyyMMdd-HHmmss'))
Copy-Item -LiteralPath (Join-Path $RepositoryRoot 'examples/autolab-repo') -Destination $work -Recurse
$iteration = Join-Path $work 'experiments/plan/iter1'
$runDir = Join-Path $iteration 'runs/run_001'
$manifestPath = Join-Path $runDir 'run_manifest.json'
Write-Host "Example repository copied to $work"

# --- What autolab's launch stage does: submit, then write the manifest and the ledger line -----------
$null = New-Item -ItemType Directory -Path (Join-Path $runDir 'logs') -Force
$submitted = & sbatch --parsable --chdir $runDir (Join-Path $iteration 'launch/run_slurm.sbatch')
if ($LASTEXITCODE -ne 0) { throw "sbatch failed (exit $LASTEXITCODE); is the test cluster up (tests/infra/up.sh)?" }
$jobId = ($submitted -split ';')[0].Trim()
$startedAt = [DateTimeOffset]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
$manifest = [ordered]@{
    schema_version         = '1.0'
    run_id                 = 'run_001'
    iteration_id           = 'iter1'
    launch_mode            = 'slurm'
    host_mode              = 'slurm'
    command                = 'sbatch launch/run_slurm.sbatch'
    resource_request       = [ordered]@{ cpus = 1; memory = '1GB'; gpu_count = 0; job_id = $jobId; slurm = [ordered]@{ job_id = $jobId } }
    status                 = 'submitted'
    artifact_sync_to_local = [ordered]@{ status = 'pending' }
    timestamps             = [ordered]@{ started_at = $startedAt }
    started_at             = $startedAt
    job_id                 = $jobId
    slurm                  = [ordered]@{ job_id = $jobId }
}
[IO.File]::WriteAllText($manifestPath, ($manifest | ConvertTo-Json -Depth 5) + "`n")
$ledger = Join-Path $work 'docs/slurm_job_list.md'
[IO.File]::WriteAllText($ledger, "# SLURM Job Ledger`n`n- $($startedAt.Substring(0, 10)) | job_id=$jobId | iteration_id=iter1 | run_id=run_001 | status=submitted`n")
Write-Host "Submitted job $jobId; manifest and ledger line written as the launch stage would.`n"

# --- The stage ----------------------------------------------------------------------------------------
Write-Host "Invoke-SlurmMonitorStage -Wait -UpdateState (polls until the run can advance):"
$result = Invoke-SlurmMonitorStage -RepositoryRoot $work -Wait -PollIntervalSec 2 -TimeoutSec $TimeoutSec -UpdateState
$result | Format-List | Out-Host

Write-Host "run_manifest.json ($manifestPath):"
Get-Content -LiteralPath $manifestPath | Out-Host
Write-Host "`ndocs/slurm_job_list.md:"
Get-Content -LiteralPath $ledger | Out-Host
Write-Host "`n.autolab/state.json:"
Get-Content -LiteralPath (Join-Path $work '.autolab/state.json') | Out-Host
Write-Host "`nlogs/slurm_monitor.log:"
Get-Content -LiteralPath (Join-Path $runDir 'logs/slurm_monitor.log') | Out-Host
Write-Host "`nThe run's files are in $runDir"
if (-not $result.CanAdvance) { throw "the run did not reach a state that can advance within $TimeoutSec s (status $($result.Status))" }
