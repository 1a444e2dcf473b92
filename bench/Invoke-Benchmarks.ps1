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
    [int] $Repeat = 15,
    [ValidateSet('Core', 'Scheduler', 'Sync', 'Stage', 'Autolab')]
    [string[]] $Section = @('Core', 'Scheduler', 'Sync', 'Stage', 'Autolab')
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

function Measure-Interleaved([System.Collections.Specialized.OrderedDictionary] $Actions, [int] $Count = 9) {
    <# Runs the actions round-robin, Count rounds, and returns each one's median in ms. Interleaving
       keeps a machine whose speed drifts (page cache, other load) from favouring one of them. #>
    $times = [ordered]@{}
    foreach ($name in $Actions.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }
    foreach ($i in 1..$Count) {
        foreach ($name in $Actions.Keys) {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            & $Actions[$name]
            $times[$name].Add($watch.Elapsed.TotalMilliseconds)
        }
    }
    $medians = [ordered]@{}
    foreach ($name in $Actions.Keys) { $medians[$name] = Get-Median $times[$name] }
    return $medians
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
    $single = (& sbatch --parsable --time=1 -c 1 --output=/dev/null --wrap true).Trim()
    $array = (& sbatch --parsable --time=1 -c 1 --output=/dev/null --array=0-499 --wrap true).Trim()
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

    $running = 1..5 | ForEach-Object { (& sbatch --parsable --time=2 -c 1 --output=/dev/null --wrap 'sleep 60').Trim() }
    $mixed = @($taskIds | Select-Object -First 495) + $running
    $verbose = Get-SlurmJobState -JobId $mixed -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
    $sacctCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsacct\b' }).Count
    $squeueCalls = @($verbose | Where-Object { $_.Message -match '^ran: .*\bsqueue\b' }).Count
    '{0,-62} {1} sacct, {2} squeue   target: one sacct, at most one squeue' -f 'scheduler calls for 500 ids, 5 of them live', $sacctCalls, $squeueCalls
    & scancel @running
}

function Get-Testbed {
    $dir = if ($env:AUTOLAB_TESTBED_DIR) { $env:AUTOLAB_TESTBED_DIR } else { '/var/tmp/autolab-testbed' }
    Get-Content -LiteralPath (Join-Path $dir 'testbed.json') -Raw | ConvertFrom-Json
}

function New-BenchRun([string] $Root, [string] $RunId = 'run_001', [string] $JobId = '1', [string] $Status = 'submitted') {
    $runDir = Join-Path $Root "experiments/plan/iter1/runs/$RunId"
    $null = New-Item -ItemType Directory -Path $runDir -Force
    $manifest = [ordered]@{
        schema_version = '1.0'; run_id = $RunId; iteration_id = 'iter1'; launch_mode = 'slurm'; host_mode = 'slurm'
        command = 'sbatch x'; resource_request = [ordered]@{ cpus = 1; job_id = $JobId }; status = $Status
        artifact_sync_to_local = [ordered]@{ status = 'pending' }
        timestamps = [ordered]@{ started_at = [DateTimeOffset]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") }
        started_at = [DateTimeOffset]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"); job_id = $JobId
    }
    $path = Join-Path $runDir 'run_manifest.json'
    [IO.File]::WriteAllText($path, ($manifest | ConvertTo-Json -Depth 5) + "`n")
    return $path
}

function Measure-Sync {
    # Side by side over the same sshd: Sync-RunArtifacts, rsync -a and scp -r (interleaved rounds,
    # fresh destinations), then a re-sync with nothing changed.
    $tb = Get-Testbed
    $key = $tb.keys.ed25519
    $sshOptions = "ssh -p $($tb.sshPort) -i $key -o UserKnownHostsFile=$($tb.knownHosts) -o BatchMode=yes"
    $data = '/var/tmp/autolab-bench'
    $big = Join-Path $data 'big'
    $small = Join-Path $data 'small'
    if (-not (Test-Path (Join-Path $big 'big.bin'))) {
        $null = New-Item -ItemType Directory -Path $big -Force
        & bash -c "head -c 1G /dev/urandom > '$big/big.bin'"
    }
    if (-not (Test-Path (Join-Path $small 'd49/f099.bin'))) {
        $random = [Random]::new(5000)
        $bytes = [byte[]]::new(4096)
        foreach ($d in 0..49) {
            $dir = Join-Path $small ('d{0:D2}' -f $d)
            $null = New-Item -ItemType Directory -Path $dir -Force
            foreach ($f in 0..99) { $random.NextBytes($bytes); [IO.File]::WriteAllBytes((Join-Path $dir ('f{0:D3}.bin' -f $f)), $bytes) }
        }
    }
    $ssh = @{ Port = $tb.sshPort; KeyFilePath = $key; KnownHostsPath = $tb.knownHosts }
    $scratch = Join-Path $data 'dest'
    foreach ($case in @(@{ Name = '1 GiB file'; Source = $big; Bytes = 1GB; Rounds = 3 }, @{ Name = '5,000 files of 4 KiB'; Source = $small; Bytes = 5000 * 4096; Rounds = 3 })) {
        $times = @{ module = @(); rsync = @(); scp = @() }
        foreach ($round in 1..$case.Rounds) {
            foreach ($method in 'module', 'rsync', 'scp') {
                if (Test-Path $scratch) { Remove-Item $scratch -Recurse -Force }
                $null = New-Item -ItemType Directory -Path (Join-Path $scratch '.autolab') -Force
                $manifest = New-BenchRun $scratch
                $runDir = Split-Path $manifest
                & sync
                $watch = [Diagnostics.Stopwatch]::StartNew()
                switch ($method) {
                    'module' { $result = Sync-RunArtifacts $manifest -Source "root@127.0.0.1:$($case.Source)" @ssh; if ($result.Status -ne 'ok') { throw "sync failed: $($result.Failures | Out-String)" } }
                    'rsync' { & rsync -a -e $sshOptions "root@127.0.0.1:$($case.Source)/" "$runDir/"; if ($LASTEXITCODE) { throw 'rsync failed' } }
                    'scp' { & scp -q -r -P $tb.sshPort -i $key -o "UserKnownHostsFile=$($tb.knownHosts)" -o BatchMode=yes "root@127.0.0.1:$($case.Source)" "$runDir/copy"; if ($LASTEXITCODE) { throw 'scp failed' } }
                }
                $times[$method] += $watch.Elapsed.TotalMilliseconds
            }
        }
        $rsync = Get-Median $times.rsync
        foreach ($method in 'module', 'rsync', 'scp') {
            $ms = Get-Median $times[$method]
            $target = switch ($method) { 'module' { if ($case.Bytes -ge 1GB) { 'at least 0.8 x rsync throughput' } else { 'at least rsync throughput' } } default { '(reference)' } }
            '{0,-62} {1,10:N0} ms  {2,7:N1} MB/s  {3,5:N2} x rsync   target: {4}' -f "$($case.Name): $method", $ms, ($case.Bytes / 1MB / ($ms / 1000)), ($rsync / $ms), $target
        }
    }

    # No-change re-sync of the 5,000 files: the destination is complete, nothing changed.
    if (Test-Path $scratch) { Remove-Item $scratch -Recurse -Force }
    $null = New-Item -ItemType Directory -Path (Join-Path $scratch '.autolab') -Force
    $manifest = New-BenchRun $scratch
    $runDir = Split-Path $manifest
    $null = Sync-RunArtifacts $manifest -Source "root@127.0.0.1:$small" @ssh
    & rsync -a -e $sshOptions "root@127.0.0.1:$small/" "$runDir/"
    $rsyncAgain = Measure-Median { & rsync -a -e $sshOptions "root@127.0.0.1:$small/" "$runDir/" } 5
    $moduleAgain = Measure-Median { $r = Sync-RunArtifacts $manifest -Source "root@127.0.0.1:$small" @ssh; if ($r.PulledPaths.Count) { throw 'something was pulled' } } 5
    $moduleCold = Measure-Median { Remove-Module Autolab.Slurm; Import-Module $ModulePath; $null = Sync-RunArtifacts $manifest -Source "root@127.0.0.1:$small" @ssh } 5
    Write-Figure 'no-change re-sync, 5,000 files: rsync -a' $rsyncAgain 'ms' '(reference)'
    Write-Figure 'no-change re-sync: Sync-RunArtifacts (pooled connection)' $moduleAgain 'ms' 'faster than rsync'
    Write-Figure 'no-change re-sync: Sync-RunArtifacts (new connection)' $moduleCold 'ms' 'faster than rsync'
    Remove-Item $scratch -Recurse -Force
}

function Measure-Stage {
    # A cold stage pass on a running job against a bare pwsh, a warm pass, and the scheduler calls of
    # one pass over 50 replicates.
    $root = Join-Path ([IO.Path]::GetTempPath()) ('autolab-bench-stage-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path (Join-Path $root '.autolab/schemas') -Force
    $null = New-Item -ItemType Directory -Path (Join-Path $root 'docs') -Force
    Copy-Item (Join-Path $RepositoryRoot 'examples/autolab-repo/.autolab/schemas/run_manifest.schema.json') (Join-Path $root '.autolab/schemas/')
    $job = (& sbatch --parsable --time=5 -c 1 --output=/dev/null --wrap 'sleep 240').Trim()
    $array = (& sbatch --parsable --time=5 -c 1 --output=/dev/null --array=0-49 --wrap 'sleep 120').Trim()
    try {
        $null = New-BenchRun $root 'run_001' $job
        $state = [ordered]@{ iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_001'; sync_status = 'pending'; max_stage_attempts = 3; max_total_iterations = 5 }
        [IO.File]::WriteAllText((Join-Path $root '.autolab/state.json'), ($state | ConvertTo-Json) + "`n")
        Start-Sleep -Seconds 2
        $null = Invoke-SlurmMonitorStage -RepositoryRoot $root
        $pwsh = Get-PwshInvocation
        $exe = $pwsh[0]; $prefix = @($pwsh | Select-Object -Skip 1)
        $entry = Join-Path (Split-Path $ModulePath) 'bin/slurm-monitor.ps1'
        $m = Measure-Interleaved ([ordered]@{
                bare  = { & $exe @prefix -NoProfile -NonInteractive -Command '1' | Out-Null }
                cold  = { & $exe @prefix -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; Invoke-SlurmMonitorStage -RepositoryRoot '$root' | Out-Null; 1" | Out-Null }
                entry = { & $exe @prefix -NoProfile -NonInteractive -File $entry -RepositoryRoot $root | Out-Null }
            })
        $bare = $m.bare; $cold = $m.cold; $coldEntry = $m.entry
        Write-Figure 'cold pwsh: Import-Module + one stage pass (running job)' $cold 'ms' '(reference)'
        Write-Figure 'cold stage pass adds to a bare pwsh -Command 1' ($cold - $bare) 'ms' 'under 400 ms'
        Write-Figure 'cold bin/slurm-monitor.ps1 (argv-only, JSON) adds' ($coldEntry - $bare) 'ms' 'under 400 ms'
        $warm = Measure-Median { $null = Invoke-SlurmMonitorStage -RepositoryRoot $root } 9
        $manifest = Join-Path $root 'experiments/plan/iter1/runs/run_001/run_manifest.json'
        $scheduler = Measure-Median { $null = Get-SlurmJobState -ManifestPath $manifest } 9
        Write-Figure 'warm stage pass (loaded session)' $warm 'ms' '(reference)'
        Write-Figure 'warm stage pass minus the scheduler calls (sacct + squeue)' ($warm - $scheduler) 'ms' 'under 100 ms'

        $group = foreach ($i in 0..49) { $id = 'rep_{0:D2}' -f $i; $null = New-BenchRun $root $id "${array}_$i"; $id }
        $state.run_group = @($group)
        [IO.File]::WriteAllText((Join-Path $root '.autolab/state.json'), ($state | ConvertTo-Json) + "`n")
        # Count the calls with wrappers first on PATH that log each call and run the real command.
        $wrappers = Join-Path $root 'wrappers'
        $null = New-Item -ItemType Directory -Path $wrappers -Force
        $calls = Join-Path $root 'calls.log'
        foreach ($tool in 'sacct', 'squeue') {
            $real = (Get-Command $tool -CommandType Application | Select-Object -First 1).Source
            [IO.File]::WriteAllText((Join-Path $wrappers $tool), "#!/bin/sh`necho $tool >> '$calls'`nexec '$real' `"`$@`"`n")
            & chmod +x (Join-Path $wrappers $tool)
        }
        $savedPath = $env:PATH
        try {
            $env:PATH = "$wrappers$([IO.Path]::PathSeparator)$savedPath"
            $null = Invoke-SlurmMonitorStage -RepositoryRoot $root
        }
        finally {
            $env:PATH = $savedPath
        }
        $logged = @(Get-Content -LiteralPath $calls -ErrorAction SilentlyContinue)
        $sacctCalls = @($logged | Where-Object { $_ -eq 'sacct' }).Count
        $squeueCalls = @($logged | Where-Object { $_ -eq 'squeue' }).Count
        '{0,-62} {1} sacct + {2} squeue = {3}   target: at most 2' -f 'scheduler calls, one pass over 50 replicate runs', $sacctCalls, $squeueCalls, ($sacctCalls + $squeueCalls)
    }
    finally {
        & scancel $job $array
        Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Measure-Autolab {
    <# autolab's own orchestrator on one COMPLETED job, side by side in one run: `autolab run` with our two
       hooks (Set-SlurmMonitorHook) against `autolab run` with a bare sacct poll template and no sync
       template (what a user would write instead). Both start from the same bytes each round: state.json,
       manifest, ledger and the hook logs are put back before every run. Then the poll hook's cold cost
       over a bare pwsh and a bare sacct call. #>
    $helpers = Join-Path $RepositoryRoot 'tests/pester/AutolabTestHelpers.psm1'
    try { $null = (Get-Command python3 -CommandType Application -ErrorAction Stop); Import-Module $helpers -Force; $null = Get-AutolabSourcePath }
    catch { "autolab benchmarks skipped: $($_.Exception.Message)"; return }
    $repo = New-AutolabTestRepository -JobCommand 'echo done > "${RUN_DIR}/result.txt"'
    try {
        $null = Set-SlurmMonitorHook -RepositoryRoot $repo.RepositoryRoot -Force
        $launch = Invoke-AutolabLaunch -RepositoryRoot $repo.RepositoryRoot
        Wait-Jobs @($launch.JobId)
        $policyPath = Join-Path $repo.RepositoryRoot '.autolab/verifier_policy.yaml'
        $saved = @{}
        foreach ($path in @($repo.StatePath, $launch.ManifestPath, $repo.LedgerPath)) { $saved[$path] = [IO.File]::ReadAllBytes($path) }
        $hookPolicy = [IO.File]::ReadAllBytes($policyPath)
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll 'sacct -n -X -P -j {job_id} -o State' -Sync ''
        $barePolicy = [IO.File]::ReadAllBytes($policyPath)
        $logs = Join-Path $launch.RunDirectory 'logs'
        $outcome = @{}
        $runWith = {
            param([string] $Name, [byte[]] $Policy)
            foreach ($path in $saved.Keys) { [IO.File]::WriteAllBytes($path, $saved[$path]) }
            [IO.File]::WriteAllBytes($policyPath, $Policy)
            Remove-Item -LiteralPath $logs -Recurse -Force -ErrorAction SilentlyContinue
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run --no-run-agent
            $watch.Stop()
            $outcome[$Name] = '{0} -> {1} (exit {2})' -f $result.StageBefore, $result.StageAfter, $result.ExitCode
            $watch.Elapsed.TotalMilliseconds
        }
        $times = [ordered]@{ hooks = [Collections.Generic.List[double]]::new(); bare = [Collections.Generic.List[double]]::new() }
        $null = & $runWith 'hooks' $hookPolicy; $null = & $runWith 'bare' $barePolicy
        foreach ($i in 1..7) {
            $times.hooks.Add((& $runWith 'hooks' $hookPolicy))
            $times.bare.Add((& $runWith 'bare' $barePolicy))
        }
        $withHooks = Get-Median $times.hooks; $bare = Get-Median $times.bare
        Write-Figure 'autolab run, bare sacct poll template (completed job)' $bare 'ms' ("(reference; $($outcome.bare))")
        Write-Figure 'autolab run, our -Hook Poll + -Hook Sync (same job)' $withHooks 'ms' ("(reference; $($outcome.hooks))")
        Write-Figure 'ratio: autolab run with our hooks / with bare sacct' ($withHooks / $bare) 'x' '(reported)'

        # The poll hook alone, cold, as autolab starts it, against a bare pwsh and the sacct call it makes.
        foreach ($path in $saved.Keys) { [IO.File]::WriteAllBytes($path, $saved[$path]) }
        $pwsh = Get-PwshInvocation
        $exe = $pwsh[0]; $prefix = @($pwsh | Select-Object -Skip 1)
        $entry = Join-Path (Split-Path $ModulePath) 'bin/slurm-monitor.ps1'
        $sacctArgs = @('-n', '-X', '-P', '-j', $launch.JobId, '-o', 'State')
        $m = Measure-Interleaved ([ordered]@{
                bare  = { & $exe @prefix -NoProfile -NonInteractive -Command '1' | Out-Null }
                sacct = { & sacct @sacctArgs | Out-Null }
                poll  = { & $exe @prefix -NoProfile -NonInteractive -File $entry -Hook Poll -RunDirectory $launch.RunDirectory -RepositoryRoot $repo.RepositoryRoot | Out-Null }
            }) 11
        Write-Figure 'bare sacct -n -X -P -j <id> -o State' $m.sacct 'ms' '(reference)'
        Write-Figure 'cold -Hook Poll adds to a bare pwsh -Command 1' ($m.poll - $m.bare) 'ms' ('under {0:N0} ms (250 ms + the sacct call)' -f (250 + $m.sacct))
        Write-Figure 'cold -Hook Poll adds, less the sacct call' ($m.poll - $m.bare - $m.sacct) 'ms' 'under 250 ms'
        $loaded = & $exe @prefix -NoProfile -NonInteractive -Command "& '$entry' -Hook Poll -RunDirectory '$($launch.RunDirectory)' -RepositoryRoot '$($repo.RepositoryRoot)' | Out-Null; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'NJsonSchema'"
        '{0,-62} {1}   target: False' -f 'NJsonSchema loaded by the poll hook', (@($loaded)[-1])
    }
    finally {
        Remove-AutolabTestRepository $repo -ErrorAction SilentlyContinue
    }
}

$work = Join-Path ([IO.Path]::GetTempPath()) ("autolab-bench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path (Join-Path $work '.autolab') -Force
$null = New-Item -ItemType Directory -Path (Join-Path $work 'docs') -Force
$runDir = Join-Path $work 'experiments/plan/iter1/runs/run_05000'
$null = New-Item -ItemType Directory -Path $runDir -Force
try {
    "== Autolab.Slurm benchmarks ($(Get-Date -Format s), $([Environment]::ProcessorCount) cores, pwsh $($PSVersionTable.PSVersion))"

    if ($Section -contains 'Core') {
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
    # Both commands print one line, so both pay for PowerShell's own formatting start-up.
    $m = Measure-Interleaved ([ordered]@{
            bare   = { & $exe @prefix -NoProfile -NonInteractive -Command '1' | Out-Null }
            import = { & $exe @prefix -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; 1" | Out-Null }
        })
    $bare = $m.bare; $import = $m.import
    Write-Figure 'bare pwsh -NoProfile -Command 1' $bare 'ms' '(reference)'
    Write-Figure 'pwsh -NoProfile -Command "Import-Module ...; 1"' $import 'ms' '(reference)'
    Write-Figure 'Import-Module adds' ($import - $bare) 'ms' 'under 150 ms'

    # --- Core micro-benchmarks (C#) --------------------------------------------------------------
    $bench = Join-Path $RepositoryRoot 'out/tools/bench/Autolab.Slurm.Bench.dll'
    if (Test-Path -LiteralPath $bench) {
        $line = & dotnet $bench parse 100000
        '{0,-62} {1}   target: at least 1 million rows/s' -f 'sacct parser', ($line -replace '^sacct parse: ', '')
        # One Update-RunManifest (plan, schema validation, apply) on a large manifest, each in a fresh process.
        foreach ($mb in '5.6', '56') {
            $file = Join-Path $work "large-manifest-$mb.json"
            & dotnet $bench manifest-file $mb $file
            $line = & dotnet $bench manifest $file (Join-Path $RepositoryRoot 'schemas')
            '{0,-62} {1}   target: time linear in the size, peak memory a small multiple of it' -f "manifest update, $mb MB", $line
            Remove-Item -LiteralPath $file
        }
    }
    }

    # --- The scheduler, the sync and the stage against the real cluster and sshd ---------------
    if (Get-Command sbatch -ErrorAction SilentlyContinue) {
        if ($Section -contains 'Scheduler') { Measure-Scheduler }
        if ($Section -contains 'Sync') { Measure-Sync }
        if ($Section -contains 'Stage') { Measure-Stage }
        if ($Section -contains 'Autolab') { Measure-Autolab }
    }
    else {
        'scheduler, sync and stage benchmarks skipped: no sbatch on PATH (run tests/infra/up.sh)'
    }
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
