#Requires -Version 7.4
<#
.SYNOPSIS
    Script benchmarks for Autolab.Slurm. Prints figures; asserts nothing (targets are reported beside them).
.DESCRIPTION
    Run through `./build.ps1 -Task Bench`. Each figure is the median of several runs on this machine.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $RepositoryRoot,
    [int] $Repeat = 15
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
Import-Module $ModulePath -Force

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { return $sorted[[int][math]::Floor($n / 2)] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Measure-Median([scriptblock] $Action, [int] $Count = $Repeat) {
    $times = foreach ($i in 1..$Count) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        & $Action $i
        $watch.Stop()
        $watch.Elapsed.TotalMilliseconds
    }
    return Get-Median $times
}

function Write-Figure([string] $Name, [double] $Value, [string] $Unit, [string] $Target) {
    '{0,-62} {1,10:N1} {2,-4} target: {3}' -f $Name, $Value, $Unit, $Target
}

function Get-PwshInvocation {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'pwsh') { return @($process) }
    return @($process, (Join-Path $PSHOME 'pwsh.dll'))
}

function Wait-Jobs([string[]] $Ids, [int] $TimeoutSec = 300) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ([DateTime]::UtcNow -lt $deadline) {
        $states = Get-SlurmJobState -JobId $Ids -ErrorAction SilentlyContinue
        if (@($states | Where-Object { -not $_.IsTerminal }).Count -eq 0 -and @($states).Count -eq $Ids.Count) { return }
        Start-Sleep -Seconds 2
    }
    throw "jobs $($Ids[0]).. did not finish within $TimeoutSec s"
}

function Measure-Scheduler {
    $env:SLURM_TIME_FORMAT = '%s'
    $single = (& sbatch --parsable --time=1 -c 1 --wrap true).Trim()
    $array = (& sbatch --parsable --time=1 -c 1 --array=0-499 --wrap true).Trim()
    $taskIds = 0..499 | ForEach-Object { "${array}_$_" }
    Wait-Jobs @($single)
    Wait-Jobs $taskIds 600

    $format = 'JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster'
    foreach ($case in @(@{ Name = '1 id'; Ids = @($single) }, @{ Name = '500 ids (array tasks)'; Ids = $taskIds })) {
        $ids = $case.Ids
        $sacctArgs = @('--parsable2', '--noheader', '--allocations', '--starttime', 'now-86400seconds', "--format=$format", "--jobs=$($ids -join ',')")
        $null = & sacct @sacctArgs
        $bare = Measure-Median { $null = & sacct @sacctArgs } 9
        $cmdlet = Measure-Median { $null = Get-SlurmJobState -JobId $ids } 9
        Write-Figure "bare sacct, $($case.Name)" $bare 'ms' '(reference)'
        Write-Figure "Get-SlurmJobState, $($case.Name)" $cmdlet 'ms' ('within {0:N0} ms (1.2 x bare + 50 ms)' -f (1.2 * $bare + 50))
    }

    $verbose = Get-SlurmJobState -JobId $taskIds -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
    $sacctCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsacct\b' }).Count
    $squeueCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsqueue\b' }).Count
    '{0,-62} {1} sacct, {2} squeue   target: one sacct, at most one squeue' -f 'scheduler calls for 500 finished ids', $sacctCalls, $squeueCalls

    $running = 1..5 | ForEach-Object { (& sbatch --parsable --time=2 -c 1 --wrap 'sleep 60').Trim() }
    $mixed = @($taskIds | Select-Object -First 495) + $running
    $verbose = Get-SlurmJobState -JobId $mixed -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
    $sacctCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsacct\b' }).Count
    $squeueCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsqueue\b' }).Count
    '{0,-62} {1} sacct, {2} squeue   target: one sacct, at most one squeue' -f 'scheduler calls for 500 ids, 5 of them live', $sacctCalls, $squeueCalls
    & scancel @running
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("autolab-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path (Join-Path $work '.autolab') -Force
$null = New-Item -ItemType Directory -Path (Join-Path $work 'docs') -Force
$runDir = Join-Path $work 'experiments/plan/iter1/runs/run_05000'
$null = New-Item -ItemType Directory -Path $runDir -Force
try {
    "== Autolab.Slurm benchmarks ($(Get-Date -Format s), $([Environment]::ProcessorCount) cores, pwsh $($PSVersionTable.PSVersion))"

    # --- Ledger: one line updated in a 10,000-line ledger --------------------------------------
    $lines = [Collections.Generic.List[string]]::new()
    $lines.Add('# SLURM Job Ledger'); $lines.Add('')
    foreach ($i in 1..10000) {
        $lines.Add(('- 2026-01-01 | job_id={0} | iteration_id=iter1 | run_id=run_{1:D5} | status=submitted' -f (100000 + $i), $i))
    }
    [IO.File]::WriteAllText((Join-Path $work 'docs/slurm_job_list.md'), ($lines -join "`n") + "`n")
    $manifest = Join-Path $runDir 'run_manifest.json'
    $json = [ordered]@{
        schema_version = '1.0'; run_id = 'run_05000'; iteration_id = 'iter1'; launch_mode = 'slurm'; host_mode = 'slurm'
        command = 'sbatch x'; resource_request = [ordered]@{ cpus = 1; job_id = '105000' }; status = 'submitted'
        artifact_sync_to_local = [ordered]@{ status = 'pending' }; timestamps = [ordered]@{ started_at = '2026-01-01T00:00:00Z' }
        started_at = '2026-01-01T00:00:00Z'; job_id = '105000'; slurm = [ordered]@{ job_id = '105000' }
    }
    [IO.File]::WriteAllText($manifest, ($json | ConvertTo-Json -Depth 5) + "`n")

    # Warm up (JIT, schema cache), then alternate the status so every call really writes.
    Update-RunManifest -Path $manifest -Status running; Update-SlurmJobList -ManifestPath $manifest | Out-Null
    $statuses = @('pending', 'running')
    $manifestMs = Measure-Median { param($i) Update-RunManifest -Path $manifest -Status $statuses[$i % 2] }
    $ledgerMs = Measure-Median { param($i)
        Update-RunManifest -Path $manifest -Status $statuses[$i % 2]
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
    }
    $ledgerOnlyMs = $ledgerMs - $manifestMs
    Write-Figure 'manifest update (warm session, one Update-RunManifest)' $manifestMs 'ms' 'under 20 ms'
    Write-Figure 'ledger line update in a 10,000-line ledger (warm)' $ledgerOnlyMs 'ms' 'under 20 ms'

    # --- Import-Module cost against a bare pwsh start ------------------------------------------
    $pwsh = Get-PwshInvocation
    $exe = $pwsh[0]; $prefix = @($pwsh | Select-Object -Skip 1)
    $bare = Measure-Median { & $exe @prefix -NoProfile -NonInteractive -Command '1' | Out-Null } 7
    # Both commands print one line, so both pay for PowerShell's own formatting start-up.
    $import = Measure-Median { & $exe @prefix -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; 1" | Out-Null } 7
    Write-Figure 'bare pwsh -NoProfile -Command 1' $bare 'ms' '(reference)'
    Write-Figure 'pwsh -NoProfile -Command "Import-Module ...; 1"' $import 'ms' '(reference)'
    Write-Figure 'Import-Module adds' ($import - $bare) 'ms' 'under 150 ms'

    # --- Core micro-benchmarks (C#) --------------------------------------------------------------
    $bench = Join-Path $RepositoryRoot 'out/tools/bench/Autolab.Slurm.Bench.dll'
    if (Test-Path -LiteralPath $bench) {
        $line = & dotnet $bench parse 100000
        '{0,-62} {1}   target: at least 1 million rows/s' -f 'sacct parser', ($line -replace '^sacct parse: ', '')
    }

    # --- The scheduler: calls and wall time against the real cluster ---------------------------
    if (Get-Command sbatch -ErrorAction SilentlyContinue) {
        Measure-Scheduler
    }
    else {
        'scheduler benchmarks skipped: no sbatch on PATH (run tests/infra/up.sh)'
    }
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
