#Requires -Version 7.4
# Invoke-SlurmMonitorStage end to end on the real one-node cluster and the loopback sshd of the testbed
# (tests/infra/up.sh). Every scenario is a temp autolab repository left the way autolab's launch stage
# leaves it: .autolab/state.json at stage slurm_monitor, autolab's own run_manifest.schema.json (draft
# 2020-12 with if/then/const), a launch-style manifest under experiments/plan/iter1/runs/<run>/ and the
# launch line in docs/slurm_job_list.md. Jobs are real (sbatch --chdir <run dir>, so they write their
# artifacts where the stage looks); most are submitted together in the first BeforeAll (held where a
# test must see them waiting), the rest where a test needs them fresh; all are cancelled in AfterAll.
# Fake sacct/squeue scripts stand in only where the real cluster cannot produce the case on demand
# (scheduler down), to prove that no scheduler call happens, or to count the calls (wrappers that log
# and exec the real command). The 'autolab's checks' Describe checks what autolab itself checks on our
# output, with rules written here from autolab-contract.md, independently of the module.
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force

    $script:tb = Get-TestbedInfo
    $script:moduleBase = Split-Path $env:AUTOLAB_SLURM_MODULE
    $script:entryPoint = Join-Path $moduleBase 'bin/slurm-monitor.ps1'
    $script:fixtures = Join-Path $PSScriptRoot '../Autolab.Slurm.Core.Tests/Fixtures'
    $script:autolabSchema = Join-Path $fixtures 'autolab/run_manifest.schema.json'
    $script:realSacct = (Get-Command sacct -CommandType Application | Select-Object -First 1).Source
    $script:realSqueue = (Get-Command squeue -CommandType Application | Select-Object -First 1).Source
    $script:savedPath = $env:PATH
    $script:created = [Collections.Generic.List[string]]::new()
    $script:jobIds = [Collections.Generic.List[string]]::new()
    # The final manifest of each scenario, for the autolab checks at the end: name -> Repo, Manifest.
    $script:finals = [ordered]@{}
    $script:runRel = 'experiments/plan/iter1/runs/run_001'
    $script:canonicalStatus = @('pending', 'submitted', 'running', 'synced', 'completed', 'failed', 'partial')
    $script:canonicalSync = @('pending', 'syncing', 'ok', 'failed')
    $script:syncSynonyms = @('queued', 'submitted', 'not_started', 'na', 'running', 'in_progress', 'completed', 'success', 'passed', 'error', 'fail')
    $script:successLikeSync = @('ok', 'completed', 'success', 'passed')
    $script:noteLine = '^  - note: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (.+)$'
    # What a job writes: its metrics and a SHA256SUMS the shared-filesystem check verifies.
    $script:writeArtifacts = 'printf ''{"acc": 0.91}\n'' > metrics.json; sha256sum metrics.json > SHA256SUMS'

    function script:Get-UtcText([DateTime] $Time) { $Time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }

    function script:Read-Json([string] $Path) { Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable -DateKind String }

    function script:Write-Json([string] $Path, $Value) { [IO.File]::WriteAllText($Path, ($Value | ConvertTo-Json -Depth 20) + "`n") }

    function script:Get-Lines([string] $Path) {
        <# The file's lines exactly as written (no trailing empty element for the final newline). #>
        $text = [IO.File]::ReadAllText($Path)
        if ($text.EndsWith("`n")) { $text = $text.Substring(0, $text.Length - 1) }
        return , @($text -split "`n")
    }

    function script:New-StageRepo {
        <#
        A temp autolab repository as the launch stage leaves it. Returns Repo, Manifest, RunDir, Ledger,
        StatePath, StartedAt, JobId and LineIndex (the run's ledger line, 0-based).
        #>
        param(
            [string] $RunId = 'run_001',
            [string] $JobId = '4242',
            [string] $Status = 'submitted',
            [string] $HostMode = 'slurm',
            [hashtable] $Extra = @{},
            [System.Collections.Specialized.OrderedDictionary] $State,
            [string[]] $LedgerBefore = @(),
            [string[]] $LedgerAfter = @(),
            [switch] $NoManifest,
            [switch] $NoLedger,
            [DateTime] $SubmittedAt = [DateTime]::UtcNow.AddMinutes(-1)
        )
        $repo = New-TestRepository
        $created.Add($repo)
        Copy-Item -LiteralPath $autolabSchema -Destination (Join-Path $repo '.autolab/schemas/run_manifest.schema.json') -Force
        $startedAt = Get-UtcText $SubmittedAt
        if (-not $State) {
            $State = [ordered]@{
                iteration_id = 'iter1'; experiment_id = 'e1'; stage = 'slurm_monitor'; stage_attempt = 1
                last_run_id = $RunId; pending_run_id = ''; sync_status = 'pending'
                max_stage_attempts = 3; max_total_iterations = 5; history = @()
            }
        }
        $statePath = Join-Path $repo '.autolab/state.json'
        Write-Json $statePath $State
        $runDir = Join-Path $repo "experiments/plan/iter1/runs/$RunId"
        $null = New-Item -ItemType Directory -Path $runDir -Force
        $manifest = Join-Path $runDir 'run_manifest.json'
        if (-not $NoManifest) {
            $manifest = New-TestManifest -RepositoryRoot $repo -RunId $RunId -JobId $JobId -Status $Status -HostMode $HostMode -StartedAt $startedAt -Extra $Extra
        }
        $ledger = Join-Path $repo 'docs/slurm_job_list.md'
        $lines = @('# SLURM Job Ledger', '') + $LedgerBefore
        $index = $lines.Count
        $lines += "- $($startedAt.Substring(0, 10)) | job_id=$JobId | iteration_id=iter1 | run_id=$RunId | status=$Status"
        $lines += $LedgerAfter
        if (-not $NoLedger) { [IO.File]::WriteAllText($ledger, ($lines -join "`n") + "`n") }
        [pscustomobject]@{
            Repo = $repo; Manifest = $manifest; RunDir = $runDir; Ledger = $ledger; StatePath = $statePath
            StartedAt = $startedAt; JobId = $JobId; LineIndex = $index
        }
    }

    function script:Submit-StageJob {
        <# A real 1-CPU job that runs in $Directory (its artifacts land there); recorded for the final scancel. #>
        param([string] $Name, [string] $Wrap, [string] $Directory, [switch] $Hold)
        $extra = @("--chdir=$Directory")
        if ($Hold) { $extra += '--hold' }
        $id = Submit-TestSlurmJob -Name $Name -Wrap $Wrap -ExtraArgs $extra
        $jobIds.Add($id)
        return $id
    }

    function script:Set-ManifestJobId([string] $Path, [string] $JobId) {
        <# The launch stage writes the manifest after sbatch: the same four places New-TestManifest fills. #>
        $m = Read-Json $Path
        $m.job_id = $JobId; $m.slurm.job_id = $JobId; $m.resource_request.job_id = $JobId; $m.resource_request.slurm.job_id = $JobId
        Write-Json $Path $m
    }

    function script:New-JobRepo {
        <# New-StageRepo for a real job submitted with --chdir into the run directory (submitted before the manifest is written, as launch does). #>
        param([string] $Name, [string] $Wrap, [switch] $Hold, [hashtable] $Repo = @{})
        $case = New-StageRepo @Repo -JobId '1'
        $id = Submit-StageJob -Name $Name -Wrap $Wrap -Directory $case.RunDir -Hold:$Hold
        Set-ManifestJobId $case.Manifest $id
        $text = [IO.File]::ReadAllText($case.Ledger).Replace('| job_id=1 |', "| job_id=$id |")
        [IO.File]::WriteAllText($case.Ledger, $text)
        $case.JobId = $id
        return $case
    }

    function script:Wait-JobState {
        <# Waits until sacct reports every id in a state -like $Like (e.g. 'COMPLETED', 'CANCELLED*'). #>
        param([string[]] $JobId, [string] $Like, [int] $TimeoutSec = 90)
        $ids = $JobId; $pattern = $Like
        $null = Wait-Until -TimeoutSec $TimeoutSec -Because "job(s) $($ids -join ', ') to be $pattern in sacct" -Condition {
            $s = Get-SacctState -JobId $ids
            @($ids | Where-Object { "$($s[$_])" -notlike $pattern }).Count -eq 0
        }
    }

    function script:Invoke-Stage {
        <# One pass (or -Wait) of the stage; returns the result and every error record that reached the caller. #>
        param([Parameter(Mandatory)] $Case, [hashtable] $With = @{})
        $err = $null
        $result = Invoke-SlurmMonitorStage -RepositoryRoot $Case.Repo @With -ErrorVariable err -ErrorAction Stop
        [pscustomobject]@{ Result = $result; Errors = @($err) }
    }

    function script:Get-LogLines([string] $RunDir) {
        $log = Join-Path $RunDir 'logs/slurm_monitor.log'
        if (-not (Test-Path -LiteralPath $log)) { return , @() }
        return , @((Get-Lines $log) | Where-Object { $_ -ne '' })
    }

    function script:Get-NotesUnder([string] $Ledger, [int] $Index) {
        <# The indented note lines right under the entry at $Index. #>
        $lines = Get-Lines $Ledger
        $notes = [Collections.Generic.List[string]]::new()
        for ($i = $Index + 1; $i -lt $lines.Count -and $lines[$i] -match '^  - note: '; $i++) { $notes.Add($lines[$i]) }
        return , $notes.ToArray()
    }

    function script:Set-FakePath {
        <# A folder of fake commands put first on PATH; returns the folder. $Commands: name -> /bin/sh body. #>
        param([hashtable] $Commands)
        $dir = New-TestDirectory
        $created.Add($dir)
        foreach ($name in $Commands.Keys) { $null = New-FakeCommand -Directory $dir -Name $name -Body $Commands[$name] }
        $env:PATH = "${dir}:$savedPath"
        return $dir
    }

    function script:Get-FailingSchedulerBodies([string] $Marker) {
        <# sacct as when slurmdbd is down and squeue as when slurmctld is down (the captured stderr, byte for byte). #>
        @{
            sacct  = "echo ""sacct `$*"" >> '$Marker'`ncat '$fixtures/sacct/real-slurmdbd-down.stderr' >&2`nexit 1"
            squeue = "echo ""squeue `$*"" >> '$Marker'`ncat '$fixtures/squeue/real-controller-down.stderr' >&2`nexit 1"
        }
    }

    function script:Get-ErrorId($ErrorRecord) { "$($ErrorRecord.FullyQualifiedErrorId)".Split(',')[0] }

    function script:Assert-RepoRelative([string[]] $Paths, [string] $Repo) {
        foreach ($p in $Paths) {
            $p | Should -Not -BeLike '/*' -Because 'ChangedFiles are repo-relative'
            $p | Should -Not -Match '\\' -Because 'ChangedFiles use /'
            Test-Path -LiteralPath (Join-Path $Repo $p) | Should -BeTrue -Because "'$p' names a file of the repository"
        }
    }

    # --- autolab's rules, written here from autolab-contract.md (never through the module) ---------------

    function script:Get-JsonPath($Object, [string[]] $Path) {
        $node = $Object
        foreach ($key in $Path) {
            if ($node -isnot [System.Collections.IDictionary] -or -not $node.Contains($key)) { return $null }
            $node = $node[$key]
        }
        return $node
    }

    function script:Get-LedgerDate($Manifest) {
        foreach ($path in @(@('timestamp_utc'), @('launch_snapshot', 'launched_at_utc'), @('started_at'), @('created_at'), @('timestamp'), @('timestamps', 'started_at'))) {
            $value = Get-JsonPath $Manifest $path
            if ($value -isnot [string] -or -not $value) { continue }
            if ($value -match '^(20\d\d-\d\d-\d\d)') { return $Matches[1] }
            $parsed = [DateTimeOffset]::MinValue
            if ([DateTimeOffset]::TryParse($value, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AssumeUniversal, [ref] $parsed)) {
                return $parsed.UtcDateTime.ToString('yyyy-MM-dd')
            }
        }
        if ("$($Manifest.run_id)" -match '(\d{4})(\d\d)(\d\d)T\d{6}Z') { return "$($Matches[1])-$($Matches[2])-$($Matches[3])" }
        return $null
    }

    function script:Get-LedgerJobId($Manifest) {
        foreach ($path in @(@('slurm', 'job_id'), @('resource_request', 'slurm', 'job_id'), @('resource_request', 'job_id'), @('job_id'))) {
            $value = Get-JsonPath $Manifest $path
            if ($null -ne $value -and "$value" -ne '') { return "$value" }
        }
        return $null
    }

    function script:Get-CanonicalLedgerLine($Manifest) {
        $status = if ($Manifest.Contains('status') -and $Manifest.status) { $Manifest.status } else { 'unknown' }
        "- $(Get-LedgerDate $Manifest) | job_id=$(Get-LedgerJobId $Manifest) | iteration_id=$($Manifest.iteration_id) | run_id=$($Manifest.run_id) | status=$status"
    }

    function script:Test-SlurmManifest($Manifest) {
        <# The contract's one detection rule. #>
        foreach ($path in @(@('host_mode'), @('launch_mode'), @('location'), @('detected_host_mode'), @('launch', 'mode'), @('host', 'mode'), @('resource_request', 'mode'), @('resource_request', 'location'))) {
            $value = Get-JsonPath $Manifest $path
            if ($value -is [string] -and $value.ToLowerInvariant() -in 'slurm', 'slurm_interactive') { return $true }
        }
        foreach ($path in @(@('slurm'), @('resource_request', 'slurm'))) {
            $value = Get-JsonPath $Manifest $path
            if ($value -is [System.Collections.IDictionary] -and $value.Count -gt 0) { return $true }
        }
        return $false
    }

    function script:Get-Final([string] $Name) {
        if (-not $finals.Contains($Name)) { throw "scenario '$Name' did not reach its final state (an earlier test failed)" }
        $f = $finals[$Name]
        [pscustomobject]@{
            Repo = $f.Repo; ManifestPath = $f.Manifest; Manifest = (Read-Json $f.Manifest)
            State = (Read-Json (Join-Path $f.Repo '.autolab/state.json'))
            Ledger = (Join-Path $f.Repo 'docs/slurm_job_list.md')
        }
    }
}

AfterAll {
    $env:PATH = $savedPath
    Stop-TestSlurmJob -JobId @($jobIds)
    foreach ($dir in $created) {
        if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Invoke-SlurmMonitorStage on the real cluster' {
    BeforeAll {
        # Every job at once, so they run while earlier tests do. Held jobs wait for a test to release them.
        $script:cases = @{}
        $cases.success = New-JobRepo -Name 'mon-ok' -Wrap "sleep 4; $writeArtifacts" -Hold -Repo @{
            LedgerBefore = @(
                '- 2025-12-31 | job_id=11 | iteration_id=iter0 | run_id=run_001 | status=synced'
                '- 2026-01-01 | job_id=12 | iteration_id=iter1 | run_id=run_0010 | status=running'
                '  - note: 2026-01-01T00:00:00Z an older note of run_0010 (café <&>)'
            )
            LedgerAfter  = @('- 2026-01-02 | job_id=13 | iteration_id=iter1 | run_id=run_002 | status=failed')
        }
        $cases.failure = New-JobRepo -Name 'mon-bad' -Wrap 'exit 3'
        $cases.cancel = New-JobRepo -Name 'mon-cnl' -Wrap 'sleep 300'
        $cases.whatif = New-JobRepo -Name 'mon-whatif' -Wrap $writeArtifacts
        $cases.updateState = New-JobRepo -Name 'mon-state' -Wrap "sleep 1; $writeArtifacts" -Hold -Repo @{
            State = [ordered]@{
                iteration_id = 'iter1'; experiment_id = 'e1'; stage = 'slurm_monitor'; stage_attempt = 2
                last_run_id = 'run_000'; pending_run_id = 'run_001'; sync_status = 'pending'
                max_stage_attempts = 3; max_total_iterations = 5
                history = @([ordered]@{ stage = 'launch'; at = '2026-01-01T00:00:00Z'; run_id = 'run_001' })
                custom_block = [ordered]@{ ratio = 1.5; label = 'café <&> +' }
                trailing_key = 'last'
            }
        }
        $cases.entryWaiting = New-JobRepo -Name 'mon-cli-wait' -Wrap 'sleep 60' -Hold
        $cases.entryDone = New-JobRepo -Name 'mon-cli-done' -Wrap $writeArtifacts
        $cases.whatifFailed = New-JobRepo -Name 'mon-whatif-bad' -Wrap 'exit 3'
        # No such job on the test cluster (its ids are far below), submitted three hours ago: LOST after an hour.
        $cases.whatifLost = New-StageRepo -JobId '987654321' -SubmittedAt ([DateTime]::UtcNow.AddHours(-3))
    }

    Context 'a successful job: pending, running, then synced with its artifacts' {
        BeforeAll {
            $script:case = $cases.success
            $script:originalLines = Get-Lines $case.Ledger
            $script:stateHash = Get-FileHashText $case.StatePath
            Wait-JobState $case.JobId 'PENDING'

            function script:Assert-LedgerInPlace([string] $Status) {
                <# The run's line is the canonical one, at the same position; every other line byte for byte. #>
                $lines = Get-Lines $case.Ledger
                $lines.Count | Should -Be $originalLines.Count
                $m = Read-Json $case.Manifest
                $lines[$case.LineIndex] | Should -BeExactly "- $($case.StartedAt.Substring(0, 10)) | job_id=$($case.JobId) | iteration_id=iter1 | run_id=run_001 | status=$Status"
                $lines[$case.LineIndex] | Should -BeExactly (Get-CanonicalLedgerLine $m)
                for ($i = 0; $i -lt $lines.Count; $i++) {
                    if ($i -ne $case.LineIndex) { $lines[$i] | Should -BeExactly $originalLines[$i] -Because "line $i is not this run's entry" }
                }
            }
        }

        It 'reports a held job as pending and stays in slurm_monitor' {
            $s = Invoke-Stage $case
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result
            $r.Status | Should -Be 'pending'
            $r.SchedulerState | Should -Be 'PENDING'
            $r.NextStage | Should -Be 'slurm_monitor'
            $r.CanAdvance | Should -BeFalse
            $r.ProbeLimitation | Should -BeNullOrEmpty
            $m = Read-Json $case.Manifest
            $m.status | Should -Be 'pending'
            $m.slurm.state | Should -Be 'PENDING'
            Assert-LedgerInPlace 'pending'
            (Get-LogLines $case.RunDir).Count | Should -Be 1
        }

        It 'follows the released job to running' {
            & scontrol release $case.JobId
            Wait-JobState $case.JobId 'RUNNING' -TimeoutSec 60
            $r = (Invoke-Stage $case).Result
            $r.Status | Should -Be 'running'
            $r.SchedulerState | Should -Be 'RUNNING'
            $r.NextStage | Should -Be 'slurm_monitor'
            $r.CanAdvance | Should -BeFalse
            (Read-Json $case.Manifest).slurm.state | Should -Be 'RUNNING'
            Assert-LedgerInPlace 'running'
            (Get-LogLines $case.RunDir).Count | Should -Be 2
        }

        It 'syncs the finished job: synced, artifacts verified, ledger line rewritten in place' {
            Wait-JobState $case.JobId 'COMPLETED' -TimeoutSec 60
            $s = Invoke-Stage $case
            $s.Errors | Should -BeNullOrEmpty
            $m = Read-Json $case.Manifest
            $m.status | Should -Be 'synced'
            $m.artifact_sync_to_local.status | Should -Be 'ok'
            @($m.artifact_sync_to_local.pulled_paths) | Should -Contain "$runRel/metrics.json"
            @($m.artifact_sync_to_local.pulled_paths) | Should -Contain "$runRel/SHA256SUMS"
            $m.slurm.state | Should -Be 'COMPLETED'
            $m.slurm.exit_code | Should -Be 0
            $m.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
            $m.completed_at | Should -Be $m.timestamps.completed_at
            $m.timestamps.started_at | Should -Be $case.StartedAt -Because 'started_at is filled only if missing'
            Assert-LedgerInPlace 'synced'
            $finals['success'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
            $script:successResult = $s.Result
        }

        It 'returns the documented result' {
            $r = $successResult
            $r.PSObject.TypeNames[0] | Should -Be 'Autolab.Slurm.MonitorStageResult'
            $r.RunId | Should -Be 'run_001'
            $r.IterationId | Should -Be 'iter1'
            $r.JobId | Should -Be $case.JobId
            $r.HostMode | Should -Be 'slurm'
            $r.SchedulerState | Should -Be 'COMPLETED'
            $r.Status | Should -Be 'synced'
            $r.SyncStatus | Should -Be 'ok'
            $r.NextStage | Should -Be 'extract_results'
            $r.CanAdvance | Should -BeTrue
            $r.Message | Should -Not -BeNullOrEmpty
            $r.ProbeLimitation | Should -BeNullOrEmpty
            @($r.ChangedFiles) | Should -Contain "$runRel/run_manifest.json"
            @($r.ChangedFiles) | Should -Contain 'docs/slurm_job_list.md'
            @($r.ChangedFiles) | Should -Contain "$runRel/logs/slurm_monitor.log"
            Assert-RepoRelative @($r.ChangedFiles) $case.Repo
        }

        It 'appends one line per pass to runs/<run>/logs/slurm_monitor.log' {
            $log = Get-LogLines $case.RunDir
            $log.Count | Should -Be 3
            foreach ($line in $log) {
                $line | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ '
                $line | Should -Match '\brun_id=run_001\b'
                $line | Should -Match "\bjob_id=$($case.JobId)\b"
            }
            $log[0] | Should -Match 'status=pending'
            $log[2] | Should -Match 'status=synced'
        }

        It 'leaves state.json byte for byte without -UpdateState' {
            Get-FileHashText $case.StatePath | Should -Be $stateHash
        }

        It 'rewrites nothing on a further pass that learns nothing new (only the log grows)' {
            $manifestHash = Get-FileHashText $case.Manifest
            $ledgerHash = Get-FileHashText $case.Ledger
            $r = (Invoke-Stage $case).Result
            $r.Status | Should -Be 'synced'
            $r.CanAdvance | Should -BeTrue
            Get-FileHashText $case.Manifest | Should -Be $manifestHash
            Get-FileHashText $case.Ledger | Should -Be $ledgerHash
            @($r.ChangedFiles) | Should -Not -Contain "$runRel/run_manifest.json"
            @($r.ChangedFiles) | Should -Not -Contain 'docs/slurm_job_list.md'
            (Get-LogLines $case.RunDir).Count | Should -Be 4
        }
    }

    Context '-Wait' {
        It 'polls with a short -PollIntervalSec until the run is synced' {
            # Submitted here, so the first pass sees it before it finishes.
            $case = New-JobRepo -Name 'mon-wait' -Wrap "sleep 3; $writeArtifacts"
            $s = Invoke-Stage $case -With @{ Wait = $true; PollIntervalSec = 1; TimeoutSec = 90 }
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result
            @($r).Count | Should -Be 1 -Because '-Wait emits one result, for the last pass'
            $r.Status | Should -Be 'synced'
            $r.NextStage | Should -Be 'extract_results'
            $r.CanAdvance | Should -BeTrue
            $r.Message | Should -Not -Match 'timed out' -Because '-TimeoutSec 90 bounds the wait; the run got there first'
            $log = Get-LogLines $case.RunDir
            $log.Count | Should -BeGreaterOrEqual 2 -Because 'the first pass saw the job before it finished'
            $log[0] | Should -Match 'next=slurm_monitor'
            $log[-1] | Should -Match 'next=extract_results'
            (Read-Json $case.Manifest).status | Should -Be 'synced'
            $finals['wait'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }
    }

    Context 'a failing job (exit 3)' {
        BeforeAll {
            $script:case = $cases.failure
            Wait-JobState $case.JobId 'FAILED'
            $script:s = Invoke-Stage $case
            $script:m = Read-Json $case.Manifest
            $finals['failure'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }

        It 'ends the run failed and advances to extract_results' {
            $s.Errors | Should -BeNullOrEmpty
            $s.Result.Status | Should -Be 'failed'
            $s.Result.SchedulerState | Should -Be 'FAILED'
            $s.Result.NextStage | Should -Be 'extract_results'
            $s.Result.CanAdvance | Should -BeTrue
            $m.status | Should -Be 'failed'
        }

        It 'records failure {state FAILED, exit_code 3, signal, reason}' {
            $m.failure | Should -BeOfType ([System.Collections.IDictionary])
            $m.failure.state | Should -Be 'FAILED'
            $m.failure.exit_code | Should -Be 3
            $m.failure.Contains('signal') | Should -BeTrue
            $m.failure.Contains('reason') | Should -BeTrue
            $m.slurm.state | Should -Be 'FAILED'
            $m.slurm.exit_code | Should -Be 3
        }

        It 'records completed_at (timestamps and top level) from the job''s end' {
            $m.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
            $m.completed_at | Should -Be $m.timestamps.completed_at
            $m.slurm.end_time | Should -Be $m.timestamps.completed_at
        }

        It 'rewrites the ledger line to failed and notes the failure under it' {
            $lines = Get-Lines $case.Ledger
            $lines[$case.LineIndex] | Should -BeExactly (Get-CanonicalLedgerLine $m)
            $lines[$case.LineIndex] | Should -Match 'status=failed$'
            $notes = Get-NotesUnder $case.Ledger $case.LineIndex
            $notes.Count | Should -Be 1
            $notes[0] | Should -Match $noteLine
            $notes[0] | Should -Match 'FAILED'
            $notes[0] | Should -Match '\b3\b'
        }
    }

    Context 'a cancelled job (scancel)' {
        BeforeAll {
            $script:case = $cases.cancel
            Wait-JobState $case.JobId 'RUNNING'
            $script:first = (Invoke-Stage $case).Result
            Stop-TestSlurmJob -JobId $case.JobId
            Wait-JobState $case.JobId 'CANCELLED*'
            $script:s = Invoke-Stage $case
            $script:m = Read-Json $case.Manifest
            $finals['cancelled'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }

        It 'was running before the scancel' {
            $first.Status | Should -Be 'running'
            $first.CanAdvance | Should -BeFalse
        }

        It 'ends the run failed with failure.state CANCELLED and advances' {
            $s.Errors | Should -BeNullOrEmpty
            $s.Result.Status | Should -Be 'failed'
            $s.Result.NextStage | Should -Be 'extract_results'
            $s.Result.CanAdvance | Should -BeTrue
            $m.status | Should -Be 'failed'
            $m.failure.state | Should -Be 'CANCELLED'
            $m.slurm.state | Should -Be 'CANCELLED'
            $m.slurm.raw_state | Should -BeLike 'CANCELLED*'
            $m.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
            (Get-Lines $case.Ledger)[$case.LineIndex] | Should -BeExactly (Get-CanonicalLedgerLine $m)
            (Get-NotesUnder $case.Ledger $case.LineIndex) -join "`n" | Should -Match 'CANCELLED'
        }
    }

    Context 'a run_group of 3 replicates' {
        BeforeAll {
            # Base run_001 has its own (never polled) job id; the replicates are real held jobs.
            $script:callLog = Join-Path (New-TestDirectory) 'calls.log'
            $created.Add((Split-Path $callLog))
            $script:group = New-StageRepo -JobId '99999999' -State ([ordered]@{
                    iteration_id = 'iter1'; experiment_id = 'e1'; stage = 'slurm_monitor'; stage_attempt = 0
                    last_run_id = 'run_001'; pending_run_id = ''; sync_status = 'pending'
                    max_stage_attempts = 3; max_total_iterations = 5; history = @()
                    run_group = @('run_r1', 'run_r2', 'run_r3')
                })
            $script:replicates = [ordered]@{}
            $wraps = @{ run_r1 = "sleep 5; $writeArtifacts"; run_r2 = "sleep 5; $writeArtifacts"; run_r3 = 'sleep 5; exit 3' }
            $ledgerLines = [Collections.Generic.List[string]](Get-Lines $group.Ledger)
            foreach ($run in 'run_r1', 'run_r2', 'run_r3') {
                $dir = Join-Path $group.Repo "experiments/plan/iter1/runs/$run"
                $null = New-Item -ItemType Directory -Path $dir -Force
                $id = Submit-StageJob -Name "mon-$run" -Wrap $wraps[$run] -Directory $dir -Hold
                $path = New-TestManifest -RepositoryRoot $group.Repo -RunId $run -JobId $id -StartedAt $group.StartedAt
                $replicates[$run] = [pscustomobject]@{ RunId = $run; JobId = $id; Manifest = $path }
                $ledgerLines.Add("- $($group.StartedAt.Substring(0, 10)) | job_id=$id | iteration_id=iter1 | run_id=$run | status=submitted")
            }
            [IO.File]::WriteAllText($group.Ledger, ($ledgerLines -join "`n") + "`n")
            $script:groupIds = @($replicates.Values.JobId)
            $script:baseBefore = Read-Json $group.Manifest
            Wait-JobState $groupIds 'PENDING'

            function script:Invoke-CountedPass {
                <# A pass with sacct/squeue wrappers that log each call and exec the real command. #>
                if (Test-Path -LiteralPath $callLog) { Remove-Item -LiteralPath $callLog }
                $null = Set-FakePath @{
                    sacct  = "echo ""sacct `$*"" >> '$callLog'`nexec '$realSacct' ""`$@"""
                    squeue = "echo ""squeue `$*"" >> '$callLog'`nexec '$realSqueue' ""`$@"""
                }
                try { $s = Invoke-Stage $group } finally { $env:PATH = $savedPath }
                $calls = @(if (Test-Path -LiteralPath $callLog) { Get-Content -LiteralPath $callLog })
                [pscustomobject]@{ Result = $s.Result; Errors = $s.Errors; Sacct = @($calls -match '^sacct '); Squeue = @($calls -match '^squeue ') }
            }

            function script:Assert-GroupCalls($Pass) {
                $Pass.Sacct.Count | Should -Be 1 -Because "one sacct call per pass ($($Pass.Sacct -join ' / '))"
                $Pass.Squeue.Count | Should -BeLessOrEqual 1
                $Pass.Sacct[0] -match '--jobs[= ](\S+)' | Should -BeTrue -Because "the sacct call names its ids: $($Pass.Sacct[0])"
                @($Matches[1] -split ',' | Sort-Object) | Should -Be @($groupIds | Sort-Object) -Because 'only the replicates are polled, never the base run''s own job'
            }

            function script:Assert-ReplicateLedger {
                $lines = Get-Lines $group.Ledger
                foreach ($rep in $replicates.Values) {
                    $lines | Should -Contain (Get-CanonicalLedgerLine (Read-Json $rep.Manifest))
                }
            }
        }

        It 'polls the pending replicates with one sacct call and at most one squeue call; the base run is pending' {
            $p = Invoke-CountedPass
            $p.Errors | Should -BeNullOrEmpty
            Assert-GroupCalls $p
            foreach ($rep in $replicates.Values) { (Read-Json $rep.Manifest).status | Should -Be 'pending' }
            (Read-Json $group.Manifest).status | Should -Be 'pending'
            $p.Result.Status | Should -Be 'pending'
            $p.Result.CanAdvance | Should -BeFalse
            $p.Result.NextStage | Should -Be 'slurm_monitor'
            $p.Result.SchedulerState | Should -Match '\bPENDING=3\b'
            Assert-ReplicateLedger
        }

        It 'rolls running up to the base run while the replicates run' {
            & scontrol release @groupIds
            Wait-JobState $groupIds 'RUNNING' -TimeoutSec 60
            $p = Invoke-CountedPass
            Assert-GroupCalls $p
            foreach ($rep in $replicates.Values) { (Read-Json $rep.Manifest).status | Should -Be 'running' }
            (Read-Json $group.Manifest).status | Should -Be 'running'
            $p.Result.CanAdvance | Should -BeFalse
            $p.Result.SchedulerState | Should -Match '\bRUNNING=3\b'
            Assert-ReplicateLedger
        }

        It 'updates each replicate as its own run and rolls the mix up to partial' {
            Wait-JobState $replicates.run_r1.JobId, $replicates.run_r2.JobId 'COMPLETED' -TimeoutSec 60
            Wait-JobState $replicates.run_r3.JobId 'FAILED' -TimeoutSec 60
            $p = Invoke-CountedPass
            $p.Errors | Should -BeNullOrEmpty
            Assert-GroupCalls $p
            $r1 = Read-Json $replicates.run_r1.Manifest
            $r2 = Read-Json $replicates.run_r2.Manifest
            $r3 = Read-Json $replicates.run_r3.Manifest
            $r1.status | Should -Be 'synced'
            $r2.status | Should -Be 'synced'
            $r3.status | Should -Be 'failed'
            $r3.failure.exit_code | Should -Be 3
            @($r1.artifact_sync_to_local.pulled_paths) | Should -Contain 'experiments/plan/iter1/runs/run_r1/metrics.json'
            Assert-ReplicateLedger

            # The roll-up, computed here from the replicates: a mix is partial; its sync is ok only if every sync is.
            $allOk = @($r1, $r2, $r3 | Where-Object { "$($_.artifact_sync_to_local.status)" -notin $successLikeSync }).Count -eq 0
            $base = Read-Json $group.Manifest
            $base.status | Should -Be 'partial'
            $base.artifact_sync_to_local.status | Should -Be $(if ($allOk) { 'ok' } else { 'failed' })
            (Get-Lines $group.Ledger) | Should -Contain (Get-CanonicalLedgerLine $base)
            $p.Result.Status | Should -Be 'partial'
            $p.Result.CanAdvance | Should -BeTrue
            $p.Result.NextStage | Should -Be 'extract_results'
            foreach ($run in $replicates.Keys) { $finals["group $run"] = @{ Repo = $group.Repo; Manifest = $replicates[$run].Manifest } }
            $finals['group base'] = @{ Repo = $group.Repo; Manifest = $group.Manifest }
            $script:groupResult = $p.Result
        }

        It 'lists the replicates'' job ids in JobId and counts them by state in SchedulerState' {
            $ids = @("$($groupResult.JobId)" -split '[,\s]+' | Where-Object { $_ })
            @($ids | Sort-Object) | Should -Be @($groupIds | Sort-Object)
            $groupResult.SchedulerState | Should -Match '\bCOMPLETED=2\b'
            $groupResult.SchedulerState | Should -Match '\bFAILED=1\b'
        }

        It 'gives the base run only the roll-up (no slurm state, no failure of its own)' {
            $after = Read-Json $group.Manifest
            foreach ($m in $baseBefore, $after) {
                $m.Remove('status'); $m.Remove('completed_at')
                $m.artifact_sync_to_local.Remove('status')
                $m.timestamps.Remove('completed_at')
            }
            ($after | ConvertTo-Json -Depth 20 -Compress) | Should -Be ($baseBefore | ConvertTo-Json -Depth 20 -Compress)
        }

        It 'writes one log line per pass for the base run' {
            (Get-LogLines $group.RunDir).Count | Should -Be 3
        }
    }

    Context 'a run_group whose replicates <Label>' -ForEach @(
        @{ Label = 'all succeed'; Key = 'all-synced'; Wrap = $null; JobState = 'COMPLETED'; Replicate = 'synced'; Rollup = 'synced'; RollupSync = 'ok' }
        @{ Label = 'all fail'; Key = 'all-failed'; Wrap = 'exit 3'; JobState = 'FAILED'; Replicate = 'failed'; Rollup = 'failed'; RollupSync = 'failed' }
    ) {
        BeforeAll {
            $script:rg = New-StageRepo -JobId '99999998' -State ([ordered]@{
                    iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_001'; sync_status = 'pending'
                    max_stage_attempts = 3; max_total_iterations = 5; run_group = @('run_a', 'run_b')
                })
            $script:rgReplicates = foreach ($run in 'run_a', 'run_b') {
                $dir = Join-Path $rg.Repo "experiments/plan/iter1/runs/$run"
                $null = New-Item -ItemType Directory -Path $dir -Force
                $wrap = if ($Wrap) { $Wrap } else { $writeArtifacts }
                $id = Submit-StageJob -Name "mon-rg-$run" -Wrap $wrap -Directory $dir
                [pscustomobject]@{ RunId = $run; JobId = $id; Manifest = (New-TestManifest -RepositoryRoot $rg.Repo -RunId $run -JobId $id -StartedAt $rg.StartedAt) }
            }
            Wait-JobState @($rgReplicates.JobId) $JobState
            $script:rgPass = Invoke-Stage $rg
        }

        It 'ends each replicate <Replicate> and the base run <Rollup> with sync <RollupSync>, and advances' {
            $rgPass.Errors | Should -BeNullOrEmpty
            foreach ($rep in $rgReplicates) { (Read-Json $rep.Manifest).status | Should -Be $Replicate }
            $baseManifest = Read-Json $rg.Manifest
            $baseManifest.status | Should -Be $Rollup
            $baseManifest.artifact_sync_to_local.status | Should -Be $RollupSync
            $rgPass.Result.Status | Should -Be $Rollup
            $rgPass.Result.NextStage | Should -Be 'extract_results'
            $rgPass.Result.CanAdvance | Should -BeTrue
            $lines = Get-Lines $rg.Ledger
            foreach ($m in @($rgReplicates | ForEach-Object { Read-Json $_.Manifest }) + @($baseManifest)) {
                $lines | Should -Contain (Get-CanonicalLedgerLine $m)
            }
            $finals["$Key base"] = @{ Repo = $rg.Repo; Manifest = $rg.Manifest }
        }
    }

    Context 'a remote profile (git_checkout over the real sshd)' {
        BeforeAll {
            # The "cluster": a separate folder served by the loopback sshd. The job writes its run there.
            $script:remoteRoot = New-TestDirectory
            $created.Add($remoteRoot)
            $script:remoteRun = Join-Path $remoteRoot $runRel
            $null = New-Item -ItemType Directory -Path $remoteRun -Force
            $script:case = New-StageRepo -JobId '1' -Extra @{
                remote_execution = [ordered]@{ profile = 'cluster'; mode = 'git_checkout'; remote_repo_root = $remoteRoot }
            }
            [IO.File]::WriteAllText((Join-Path $case.Repo '.autolab/remote_profiles.yaml'), @"
schema_version: "1.0"
default_profile: cluster
profiles:
  cluster:
    mode: git_checkout
    login_host: $($tb.sshAlias)
    remote_repo_root: $remoteRoot
    artifact_pull:
      enabled: true
      allow_patterns: ["{run_dir}/**"]
      max_file_size_mb: 50
"@)
            $id = Submit-StageJob -Name 'mon-remote' -Wrap "sleep 1; mkdir -p logs; echo trained > logs/train.log; $writeArtifacts" -Directory $remoteRun -Hold
            Set-ManifestJobId $case.Manifest $id
            [IO.File]::WriteAllText($case.Ledger, [IO.File]::ReadAllText($case.Ledger).Replace('| job_id=1 |', "| job_id=$id |"))
            $case.JobId = $id
            # A manifest on the remote side must never replace the local one.
            [IO.File]::WriteAllText((Join-Path $remoteRun 'run_manifest.json'), "{`"run_id`": `"remote-decoy`"}`n")
            $script:ssh = @{ SshConfigPath = $tb.sshConfig; KnownHostsPath = $tb.knownHosts }
            $script:marker = Join-Path (New-TestDirectory) 'local-scheduler-called.txt'
            $created.Add((Split-Path $marker))
            Wait-JobState $id 'PENDING'

            function script:Invoke-RemotePass([hashtable] $With = @{}) {
                # The local sacct/squeue fail (and leave a marker): only polling through SSH can see the job.
                $null = Set-FakePath (Get-FailingSchedulerBodies $marker)
                $parameters = $ssh.Clone()
                foreach ($k in $With.Keys) { $parameters[$k] = $With[$k] }
                try { return Invoke-Stage $case -With $parameters } finally { $env:PATH = $savedPath }
            }
        }

        It 'polls through the profile''s login_host: the held job is pending although the local sacct fails' {
            $s = Invoke-RemotePass
            $s.Errors | Should -BeNullOrEmpty
            $s.Result.ProbeLimitation | Should -BeNullOrEmpty
            $s.Result.Status | Should -Be 'pending'
            $s.Result.SchedulerState | Should -Be 'PENDING'
            Test-Path -LiteralPath $marker | Should -BeFalse -Because 'the local sacct/squeue must not be asked for a remote profile'
        }

        It '-WhatIf writes nothing locally or remotely once the job is done (with -AcceptNewHostKey, not known_hosts either)' {
            & scontrol release $case.JobId
            Wait-JobState $case.JobId 'COMPLETED' -TimeoutSec 60
            $localBefore = Get-TreeHashes $case.Repo
            $remoteBefore = Get-TreeHashes $remoteRoot
            $khDir = New-TestDirectory
            $created.Add($khDir)
            $kh = Join-Path $khDir 'known_hosts'
            [IO.File]::WriteAllText($kh, '')
            $s = Invoke-RemotePass @{ WhatIf = $true; UpdateState = $true; KnownHostsPath = $kh; AcceptNewHostKey = $true }
            $s.Errors | Should -BeNullOrEmpty -Because 'the new host key is trusted for the pass -WhatIf describes'
            $s.Result.SchedulerState | Should -Be 'COMPLETED' -Because 'the job was polled through the login node'
            Compare-TreeMap $localBefore (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
            Compare-TreeMap $remoteBefore (Get-TreeHashes $remoteRoot) | Should -BeNullOrEmpty
            [IO.File]::ReadAllText($kh) | Should -Be '' -Because '-WhatIf records no host key'
        }

        It 'pulls the artifacts into the local run directory and ends synced' {
            $s = Invoke-RemotePass
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result
            $r.ProbeLimitation | Should -BeNullOrEmpty
            $r.SchedulerState | Should -Be 'COMPLETED'
            $r.Status | Should -Be 'synced'
            $r.CanAdvance | Should -BeTrue
            Test-Path -LiteralPath $marker | Should -BeFalse
            foreach ($f in 'metrics.json', 'SHA256SUMS', 'logs/train.log') {
                $local = Join-Path $case.RunDir $f
                Test-Path -LiteralPath $local -PathType Leaf | Should -BeTrue -Because "$f is pulled"
                Get-FileHashText $local | Should -Be (Get-FileHashText (Join-Path $remoteRun $f))
            }
            $m = Read-Json $case.Manifest
            $m.run_id | Should -Be 'run_001' -Because 'the remote run_manifest.json never replaces the local one'
            $m.status | Should -Be 'synced'
            @($m.artifact_sync_to_local.pulled_paths) | Should -Contain "$runRel/metrics.json"
            @($m.artifact_sync_to_local.pulled_paths) | Should -Contain "$runRel/logs/train.log"
            @($r.ChangedFiles) | Should -Contain "$runRel/metrics.json"
            Assert-RepoRelative @($r.ChangedFiles) $case.Repo
            $finals['remote'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }
    }

    Context 'a requeued job (scontrol requeue while running)' {
        BeforeAll {
            $script:case = New-JobRepo -Name 'mon-requeue' -Wrap "echo run >> attempts.txt; sleep 5; $writeArtifacts"
            $script:passes = [Collections.Generic.List[object]]::new()
            Wait-JobState $case.JobId 'RUNNING' -TimeoutSec 60
        }

        It 'records the first attempt running with no restart' {
            $r = (Invoke-Stage $case).Result
            $passes.Add($r)
            $r.Status | Should -Be 'running'
            (Read-Json $case.Manifest).slurm.restarts | Should -BeIn @($null, 0)
        }

        It 'does not end the run when the job is requeued' {
            & scontrol requeue $case.JobId
            $script:requeuedAt = [DateTime]::UtcNow
            $r = (Invoke-Stage $case).Result
            $passes.Add($r)
            $r.Status | Should -BeIn 'pending', 'running'
            $r.CanAdvance | Should -BeFalse
            (Read-Json $case.Manifest).failure | Should -BeNullOrEmpty
        }

        It 'follows the requeued job back to pending with its restart count' {
            $id = $case.JobId
            $null = Wait-Until -TimeoutSec 30 -Because "job $id to pend again after its requeue" -Condition {
                (Get-SqueueReason -JobId $id) -eq 'BeginTime'
            }
            $r = (Invoke-Stage $case).Result
            $passes.Add($r)
            $r.Status | Should -Be 'pending'
            $r.CanAdvance | Should -BeFalse
            $m = Read-Json $case.Manifest
            $m.slurm.restarts | Should -Be 1
            $m.Contains('completed_at') | Should -BeFalse
        }

        It 'follows the second attempt to the end: synced, restarts kept' {
            # Skip the ~2 min BeginTime a requeue imposes. Not within the requeue's second, though: slurmd
            # refuses a launch whose credential is not newer than the revoked one ("Job credential revoked").
            $left = 3000 - ([DateTime]::UtcNow - $requeuedAt).TotalMilliseconds
            if ($left -gt 0) { Start-Sleep -Milliseconds ([int]$left) }
            & scontrol update "JobId=$($case.JobId)" StartTime=now
            Wait-JobState $case.JobId 'RUNNING' -TimeoutSec 60
            $r = (Invoke-Stage $case).Result
            $passes.Add($r)
            $r.Status | Should -Be 'running'
            $r.CanAdvance | Should -BeFalse
            (Read-Json $case.Manifest).slurm.restarts | Should -Be 1
            Wait-JobState $case.JobId 'COMPLETED' -TimeoutSec 60
            $r = (Invoke-Stage $case).Result
            $passes.Add($r)
            $r.Status | Should -Be 'synced'
            $r.CanAdvance | Should -BeTrue
            $m = Read-Json $case.Manifest
            $m.slurm.restarts | Should -Be 1
            @(Get-Content -LiteralPath (Join-Path $case.RunDir 'attempts.txt')).Count | Should -Be 2 -Because 'the job ran twice'
            @($passes | Select-Object -SkipLast 1 | Where-Object CanAdvance).Count | Should -Be 0 -Because 'no pass before the second attempt ended may advance'
            $finals['requeue'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }
    }

    Context '-WhatIf on a finished job (shared filesystem)' {
        It 'writes nothing anywhere (every file hashed before and after) and no log line' {
            $case = $cases.whatif
            Wait-JobState $case.JobId 'COMPLETED'
            $before = Get-TreeHashes $case.Repo
            $s = Invoke-Stage $case -With @{ WhatIf = $true; UpdateState = $true }
            $s.Errors | Should -BeNullOrEmpty
            Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
            Test-Path -LiteralPath (Join-Path $case.RunDir 'logs/slurm_monitor.log') | Should -BeFalse
            @($s.Result.ChangedFiles) | Should -Contain '.autolab/state.json' -Because 'with -UpdateState the synced run would move state.json to extract_results'
        }

        It 'still asks the scheduler and lists what it would write (help: "the scheduler is asked ... but no file is written")' {
            $case = $cases.whatif
            $callLog = Join-Path (New-TestDirectory) 'calls.log'
            $created.Add((Split-Path $callLog))
            $null = Set-FakePath @{
                sacct  = "echo ""sacct `$*"" >> '$callLog'`nexec '$realSacct' ""`$@"""
                squeue = "echo ""squeue `$*"" >> '$callLog'`nexec '$realSqueue' ""`$@"""
            }
            try {
                $before = Get-TreeHashes $case.Repo
                $child = Invoke-ChildPwsh -Arguments @('-Command', "Import-Module '$env:AUTOLAB_SLURM_MODULE'; Invoke-SlurmMonitorStage -RepositoryRoot '$($case.Repo)' -WhatIf | Out-Null")
            }
            finally { $env:PATH = $savedPath }
            $child.ExitCode | Should -Be 0 -Because $child.Stderr
            Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
            $calls = @(if (Test-Path -LiteralPath $callLog) { Get-Content -LiteralPath $callLog })
            # One poll of the run's job. A fresh process first asks for Restarts; a 22.05 sacct refuses the field and
            # the same query runs again without it (SacctFieldCache), so one poll is one or two sacct calls.
            $sacct = @($calls -match '^sacct ')
            $sacct.Count | Should -BeGreaterOrEqual 1 -Because "-WhatIf still polls the run's job (calls: $($calls -join ' / '))"
            $sacct.Count | Should -BeLessOrEqual 2 -Because "one poll, retried at most once without Restarts (calls: $($calls -join ' / '))"
            foreach ($call in $sacct) { $call | Should -Match "--jobs=$($case.JobId)$" }
            if ($sacct.Count -eq 2) { $sacct[1] | Should -Not -Match 'Restarts' }
            $child.Stdout | Should -Match 'What if: .*run_manifest\.json'
            $child.Stdout | Should -Not -Match 'Retrieve the value for property' -Because 'only writes are announced'
        }
    }

    Context '-WhatIf says what the pass would do: <Label>' -ForEach @(
        @{ Label = 'a failed job (exit 3)'; CaseKey = 'whatifFailed'; WaitFor = 'FAILED'; SchedulerState = 'FAILED'; Recorded = @{ exit_code = 3; state = 'FAILED' } }
        @{ Label = 'a job unknown to sacct and squeue for over an hour (LOST)'; CaseKey = 'whatifLost'; WaitFor = $null; SchedulerState = 'UNKNOWN'; Recorded = @{ state = 'LOST' } }
    ) {
        # The result under -WhatIf is the pass's decision (the status the run would get, where autolab would go),
        # with Applied false and a message starting "what if:"; the same pass without -WhatIf then does exactly that.
        It 'returns Status failed, NextStage extract_results, Applied false, and changes nothing' {
            $case = $cases[$CaseKey]
            if ($WaitFor) { Wait-JobState $case.JobId $WaitFor }
            $before = Get-TreeHashes $case.Repo
            $script:whatIf = Invoke-Stage $case -With @{ WhatIf = $true }
            $whatIf.Errors | Should -BeNullOrEmpty
            Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
            $r = $whatIf.Result
            $r.Applied | Should -BeFalse
            $r.SchedulerState | Should -Be $SchedulerState
            $r.Status | Should -Be 'failed' -Because 'the result says what the pass would do, not what the manifest still says'
            $r.NextStage | Should -Be 'extract_results'
            $r.CanAdvance | Should -BeTrue
            $r.Message | Should -BeLike 'what if: *the run failed*'
            @($r.ChangedFiles) | Should -Contain "$runRel/run_manifest.json"
            @($r.ChangedFiles) | Should -Contain "$runRel/logs/slurm_monitor.log"
            @($r.ChangedFiles) | Should -Contain 'docs/slurm_job_list.md'
        }

        It 'then does exactly that without -WhatIf' {
            $case = $cases[$CaseKey]
            $real = Invoke-Stage $case
            $real.Result.Applied | Should -BeTrue
            $real.Result.Status | Should -Be $whatIf.Result.Status
            $real.Result.NextStage | Should -Be $whatIf.Result.NextStage
            $real.Result.Message | Should -Be ($whatIf.Result.Message -replace '^what if: ', '' -replace ' \(nothing was written\)$', '')
            $failure = (Read-Json $case.Manifest).failure
            foreach ($key in $Recorded.Keys) { $failure[$key] | Should -Be $Recorded[$key] }
        }
    }

    Context '-UpdateState' {
        BeforeAll {
            $script:case = $cases.updateState
            $script:stateBefore = Read-Json $case.StatePath
            $script:stateTextBefore = [IO.File]::ReadAllText($case.StatePath)
            Wait-JobState $case.JobId 'PENDING'

            function script:Assert-StateKept($After, [string] $Text) {
                @($After.Keys) | Should -Be @($stateBefore.Keys) -Because 'every key stays, in its order'
                foreach ($key in $stateBefore.Keys) {
                    if ($key -in 'sync_status', 'stage_attempt', 'stage') { continue }
                    ($After[$key] | ConvertTo-Json -Depth 10 -Compress) | Should -Be ($stateBefore[$key] | ConvertTo-Json -Depth 10 -Compress) -Because "'$key' is not the stage's"
                }
                $Text | Should -Match ([regex]::Escape('"label": "café <&> +"')) -Because 'values the stage does not own keep their text'
                $Text | Should -Match ([regex]::Escape('"ratio": 1.5'))
                $Text.EndsWith("`n") | Should -BeTrue
            }
        }

        It 'while waiting: sync_status, stage_attempt 0, stage unchanged, pending_run_id and history untouched' {
            $r = (Invoke-Stage $case -With @{ UpdateState = $true }).Result
            $r.RunId | Should -Be 'run_001' -Because 'pending_run_id wins over last_run_id'
            $r.CanAdvance | Should -BeFalse
            $text = [IO.File]::ReadAllText($case.StatePath)
            $after = Read-Json $case.StatePath
            $after.stage | Should -Be 'slurm_monitor'
            $after.stage_attempt | Should -Be 0
            $after.sync_status | Should -Be 'pending'
            $after.pending_run_id | Should -Be 'run_001'
            $after.last_run_id | Should -Be 'run_000'
            Assert-StateKept $after $text
        }

        It 'when the run can advance: sync_status completed and stage extract_results' {
            & scontrol release $case.JobId
            Wait-JobState $case.JobId 'COMPLETED' -TimeoutSec 60
            $r = (Invoke-Stage $case -With @{ UpdateState = $true }).Result
            $r.Status | Should -Be 'synced'
            $r.CanAdvance | Should -BeTrue
            @($r.ChangedFiles) | Should -Contain '.autolab/state.json'
            $text = [IO.File]::ReadAllText($case.StatePath)
            $after = Read-Json $case.StatePath
            $after.stage | Should -Be 'extract_results'
            $after.stage_attempt | Should -Be 0
            $after.sync_status | Should -Be 'completed'
            Assert-StateKept $after $text
            $finals['update-state'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
        }
    }

    Context 'the argv-only entry point and pwsh -Command' {
        It 'bin/slurm-monitor.ps1 prints the result as JSON and exits 0 while the job waits' {
            $case = $cases.entryWaiting
            Wait-JobState $case.JobId 'PENDING'
            $child = Invoke-ChildPwsh -Arguments @('-File', $entryPoint, '-RepositoryRoot', $case.Repo)
            $child.TimedOut | Should -BeFalse
            $child.ExitCode | Should -Be 0 -Because $child.Stderr
            $json = $child.Stdout | ConvertFrom-Json
            $json.RunId | Should -Be 'run_001'
            $json.JobId | Should -Be $case.JobId
            $json.Status | Should -Be 'pending'
            $json.NextStage | Should -Be 'slurm_monitor'
            $json.CanAdvance | Should -BeFalse
        }

        It 'bin/slurm-monitor.ps1 exits 0 with the synced result for a finished job' {
            $case = $cases.entryDone
            Wait-JobState $case.JobId 'COMPLETED'
            $child = Invoke-ChildPwsh -Arguments @('-File', $entryPoint, '-RepositoryRoot', $case.Repo)
            $child.ExitCode | Should -Be 0 -Because $child.Stderr
            $json = $child.Stdout | ConvertFrom-Json
            $json.Status | Should -Be 'synced'
            $json.NextStage | Should -Be 'extract_results'
            $json.CanAdvance | Should -BeTrue
            (Read-Json $case.Manifest).status | Should -Be 'synced'
        }

        It 'bin/slurm-monitor.ps1 exits 1 on a stage error (missing manifest) and names it' {
            $case = New-StageRepo -NoManifest
            $child = Invoke-ChildPwsh -Arguments @('-File', $entryPoint, '-RepositoryRoot', $case.Repo)
            $child.ExitCode | Should -Be 1
            $child.Stdout.Trim() | Should -BeNullOrEmpty
            $child.Stderr | Should -Match 'ManifestNotFound'
        }

        It 'pwsh -Command "...; Invoke-SlurmMonitorStage -ErrorAction Stop" exits non-zero on a stage error' {
            $case = New-StageRepo -NoManifest
            $child = Invoke-ChildPwsh -Arguments @('-Command', "Import-Module '$env:AUTOLAB_SLURM_MODULE'; Invoke-SlurmMonitorStage -RepositoryRoot '$($case.Repo)' -ErrorAction Stop")
            $child.ExitCode | Should -Not -Be 0
            $child.Stderr | Should -Match 'does not exist'
        }

        It 'pwsh -Command "...; Invoke-SlurmMonitorStage -ErrorAction Stop" exits 0 on a waiting pass' {
            $case = $cases.entryWaiting
            $child = Invoke-ChildPwsh -Arguments @('-Command', "Import-Module '$env:AUTOLAB_SLURM_MODULE'; Invoke-SlurmMonitorStage -RepositoryRoot '$($case.Repo)' -ErrorAction Stop | ConvertTo-Json")
            $child.ExitCode | Should -Be 0 -Because $child.Stderr
            ($child.Stdout | ConvertFrom-Json).NextStage | Should -Be 'slurm_monitor'
        }
    }
}

Describe 'Invoke-SlurmMonitorStage without a scheduler call' {
    BeforeEach {
        $script:marker = Join-Path (New-TestDirectory) 'scheduler-called.txt'
        $created.Add((Split-Path $marker))
        # Any sacct/squeue call leaves a marker (and fails): these passes must not ask the scheduler.
        $null = Set-FakePath (Get-FailingSchedulerBodies $marker)
    }
    AfterEach { $env:PATH = $savedPath }

    It 'passes a local run (host_mode local) through to extract_results and writes nothing' {
        $case = New-StageRepo -HostMode local -Status 'completed' -NoLedger
        $before = Get-TreeHashes $case.Repo
        $s = Invoke-Stage $case
        $s.Errors | Should -BeNullOrEmpty
        $s.Result.NextStage | Should -Be 'extract_results'
        $s.Result.CanAdvance | Should -BeTrue
        $s.Result.HostMode | Should -Be 'local'
        @($s.Result.ChangedFiles) | Should -BeNullOrEmpty
        Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'passes a local run through and writes nothing, even with -UpdateState off and a ledger present' {
        $case = New-StageRepo -HostMode local -Status 'running'
        $before = Get-TreeHashes $case.Repo
        $s = Invoke-Stage $case
        $s.Result.NextStage | Should -Be 'extract_results'
        Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'with -UpdateState, a pass-through still writes state.json (stage extract_results, stage_attempt 0, sync_status) and nothing else' {
        $case = New-StageRepo -HostMode local -Status 'completed' -NoLedger
        $m = Read-Json $case.Manifest
        $m.artifact_sync_to_local.status = 'success'
        Write-Json $case.Manifest $m
        $before = Get-TreeHashes $case.Repo
        $s = Invoke-Stage $case -With @{ UpdateState = $true }
        $s.Result.NextStage | Should -Be 'extract_results'
        $state = Read-Json $case.StatePath
        $state.stage | Should -Be 'extract_results'
        $state.stage_attempt | Should -Be 0
        $state.sync_status | Should -Be 'completed' -Because 'a success-like sync is written as completed (autolab''s convention)'
        # state.json is rewritten under its lock in .autolab/locks (the same kind the other writers take).
        @(Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Where-Object { $_ -notlike 'added .autolab/locks*' }) | Should -Be @('changed .autolab/state.json')
        @(Get-ChildItem -LiteralPath (Join-Path $case.Repo '.autolab/locks') -Filter 'state.json.*.lock').Count | Should -Be 1
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'passes through when the state names no run id' {
        $case = New-StageRepo -NoManifest -NoLedger -State ([ordered]@{
                iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = ''; sync_status = 'na'
                max_stage_attempts = 3; max_total_iterations = 5
            })
        $before = Get-TreeHashes $case.Repo
        $s = Invoke-Stage $case
        $s.Result.NextStage | Should -Be 'extract_results'
        $s.Result.CanAdvance | Should -BeTrue
        Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'turns a completed interactive run with a good sync into synced and advances, without asking the scheduler' {
        $started = Get-UtcText ([DateTime]::UtcNow.AddMinutes(-10))
        $case = New-StageRepo -JobId '777' -Status 'completed' -Extra @{
            slurm_environment = [ordered]@{ SLURM_JOB_ID = '777'; SLURM_NODELIST = 'vm'; SLURM_CPUS_ON_NODE = '1' }
        }
        $m = Read-Json $case.Manifest
        $m.artifact_sync_to_local.status = 'ok'
        $m.timestamps.completed_at = $started
        $m.completed_at = $started
        Write-Json $case.Manifest $m
        $s = Invoke-Stage $case
        $s.Errors | Should -BeNullOrEmpty
        $s.Result.Status | Should -Be 'synced'
        $s.Result.CanAdvance | Should -BeTrue
        $s.Result.NextStage | Should -Be 'extract_results'
        $after = Read-Json $case.Manifest
        $after.status | Should -Be 'synced'
        $after.artifact_sync_to_local.status | Should -Be 'ok'
        $after.slurm_environment.SLURM_NODELIST | Should -Be 'vm'
        (Get-Lines $case.Ledger)[$case.LineIndex] | Should -BeExactly (Get-CanonicalLedgerLine $after)
        Test-Path -LiteralPath $marker | Should -BeFalse -Because 'an interactive run that completed is not polled'
        $finals['interactive'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
    }
}

Describe 'Invoke-SlurmMonitorStage errors that stop the stage' {
    BeforeAll {
        function script:Invoke-Failing($Case) {
            <# Runs the stage expecting a terminating error; returns it and whatever changed in the repository. #>
            $before = Get-TreeHashes $Case.Repo
            $reached = $false
            $caught = $null
            try {
                $null = Invoke-SlurmMonitorStage -RepositoryRoot $Case.Repo
                $reached = $true
            }
            catch { $caught = $_ }
            [pscustomobject]@{ Reached = $reached; Error = $caught; Changes = @(Compare-TreeMap $before (Get-TreeHashes $Case.Repo)) }
        }
    }

    It 'a missing manifest: terminating ManifestNotFound, nothing written' {
        $case = New-StageRepo -NoManifest
        $f = Invoke-Failing $case
        $f.Reached | Should -BeFalse -Because 'the error is terminating'
        $f.Error | Should -Not -BeNullOrEmpty
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound,*'
        $f.Error.Exception.Message | Should -Match 'run_manifest\.json'
        $f.Changes | Should -BeNullOrEmpty
    }

    It 'a missing iteration folder: terminating ManifestNotFound, nothing written' {
        $case = New-StageRepo -NoManifest
        Remove-Item -LiteralPath (Join-Path $case.Repo 'experiments/plan/iter1') -Recurse -Force
        $f = Invoke-Failing $case
        $f.Reached | Should -BeFalse
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound,*'
        $f.Changes | Should -BeNullOrEmpty
    }

    It 'a missing .autolab/schemas/run_manifest.schema.json: terminating SchemaNotFound, nothing written' {
        $case = New-StageRepo
        Remove-Item -LiteralPath (Join-Path $case.Repo '.autolab/schemas/run_manifest.schema.json')
        $f = Invoke-Failing $case
        $f.Reached | Should -BeFalse
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'SchemaNotFound,*'
        $f.Changes | Should -BeNullOrEmpty
    }

    It 'a missing state.json: terminating StateNotFound, nothing written' {
        $case = New-StageRepo
        Remove-Item -LiteralPath $case.StatePath
        $f = Invoke-Failing $case
        $f.Reached | Should -BeFalse
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'StateNotFound,*'
        $f.Changes | Should -BeNullOrEmpty
    }

    It 'an invalid state (<Label>): terminating StateInvalid, nothing written' -ForEach @(
        @{ Label = 'not JSON'; Text = '{ "iteration_id": "iter1", ' }
        @{ Label = 'a JSON array'; Text = '[]' }
        @{ Label = 'stage not a stage word'; Edit = { param($s) $s.stage = 'monitoring' } }
        @{ Label = 'negative stage_attempt'; Edit = { param($s) $s.stage_attempt = -1 } }
        @{ Label = 'no iteration_id'; Edit = { param($s) $s.Remove('iteration_id') } }
        @{ Label = 'max_stage_attempts 0'; Edit = { param($s) $s.max_stage_attempts = 0 } }
        @{ Label = 'a run id that is not a run id'; Edit = { param($s) $s.last_run_id = '../escape' } }
    ) {
        $case = New-StageRepo
        if ($Text) { [IO.File]::WriteAllText($case.StatePath, $Text) }
        else {
            $state = Read-Json $case.StatePath
            & $Edit $state
            Write-Json $case.StatePath $state
        }
        $f = Invoke-Failing $case
        $f.Reached | Should -BeFalse
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'StateInvalid,*'
        $f.Changes | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-SlurmMonitorStage when the scheduler cannot be asked' {
    Context '<Label>' -ForEach @(
        @{ Label = 'slurmdbd down (sacct fails)'; Sacct = 'sacct/real-slurmdbd-down.stderr'; SacctExit = 1; Cause = 'Problem talking to the database' }
        @{ Label = 'controller down (sacct knows nothing yet, squeue fails)'; Sacct = $null; SacctExit = 0; Cause = 'Unable to contact slurm controller' }
    ) {
        BeforeAll {
            $script:case = New-StageRepo -JobId '4242'
            $script:manifestHash = Get-FileHashText $case.Manifest
            $script:lineBefore = (Get-Lines $case.Ledger)[$case.LineIndex]
            $sacctBody = if ($Sacct) { "cat '$fixtures/$Sacct' >&2`nexit $SacctExit" } else { "cat '$fixtures/sacct/real-unknown-id.txt'`nexit 0" }
            $script:fakeDir = Set-FakePath @{
                sacct  = $sacctBody
                squeue = "cat '$fixtures/squeue/real-controller-down.stderr' >&2`nexit 1"
            }
            $script:thrown = $null
            try { $script:first = Invoke-Stage $case } catch { $script:thrown = $_ }
            $script:notesAfterFirst = Get-NotesUnder $case.Ledger $case.LineIndex
            # Real passes are many seconds apart: let the clock move, so a sentence that depends on the time shows it.
            Start-Sleep -Milliseconds 1500
            try { $script:second = Invoke-Stage $case } catch { if (-not $thrown) { $script:thrown = $_ } }
        }
        AfterAll { $env:PATH = $savedPath }

        It 'ends the pass normally, even under -ErrorAction Stop' {
            $thrown | Should -BeNullOrEmpty
            $first.Result | Should -Not -BeNullOrEmpty
            $first.Result.NextStage | Should -Be 'slurm_monitor'
            $first.Result.CanAdvance | Should -BeFalse
        }

        It 'lets no error record reach the caller' {
            $first.Errors | Should -BeNullOrEmpty -Because "the stage catches the cmdlet's Scheduler* errors itself ($($first.Errors | ForEach-Object FullyQualifiedErrorId))"
        }

        It 'keeps the status and does not rewrite the manifest' {
            $first.Result.Status | Should -Be 'submitted'
            $second.Result.Status | Should -Be 'submitted'
            Get-FileHashText $case.Manifest | Should -Be $manifestHash
        }

        It 'says in Message that the scheduler could not be asked, not that the job is pending in it' {
            $first.Result.Message | Should -Match 'scheduler could not be asked'
            $first.Result.Message | Should -Not -Match 'pending in the scheduler'
        }

        It 'sets ProbeLimitation to a sentence naming the job' {
            $first.Result.ProbeLimitation | Should -Not -BeNullOrEmpty
            $first.Result.ProbeLimitation | Should -Match '\b4242\b'
        }

        It 'says why in ProbeLimitation: the scheduler''s own message (<Cause>)' {
            $first.Result.ProbeLimitation | Should -Match ([regex]::Escape($Cause))
        }

        It 'notes the limitation under the run''s ledger line, which itself stays as it was' {
            (Get-Lines $case.Ledger)[$case.LineIndex] | Should -BeExactly $lineBefore
            $notesAfterFirst.Count | Should -Be 1
            $notesAfterFirst[0] | Should -Match $noteLine
            $null = $notesAfterFirst[0] -match $noteLine
            $Matches[2] | Should -Be $first.Result.ProbeLimitation
        }

        It 'does not repeat the same note on a second pass' {
            $notes = Get-NotesUnder $case.Ledger $case.LineIndex
            $notes.Count | Should -Be 1 -Because "the second pass met the same limitation:`n$($notes -join "`n")"
        }

        It 'logs each pass with the limitation' {
            $log = Get-LogLines $case.RunDir
            $log.Count | Should -Be 2
            $log[0] | Should -Match 'probe_limitation='
        }

        It 'exits 0 through pwsh -Command with -ErrorAction Stop' {
            $child = Invoke-ChildPwsh -Arguments @('-Command', "Import-Module '$env:AUTOLAB_SLURM_MODULE'; Invoke-SlurmMonitorStage -RepositoryRoot '$($case.Repo)' -ErrorAction Stop | ConvertTo-Json")
            $child.ExitCode | Should -Be 0 -Because $child.Stderr
            ($child.Stdout | ConvertFrom-Json).ProbeLimitation | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'autolab''s checks on the stage''s output (rules written from autolab-contract.md)' {
    # One test per rule and scenario. The rules are checked here directly, never through the module.
    BeforeDiscovery {
        $script:scenarios = @('success', 'wait', 'failure', 'cancelled', 'interactive', 'group run_r1', 'group run_r2', 'group run_r3',
            'group base', 'all-synced base', 'all-failed base', 'remote', 'requeue', 'update-state') | ForEach-Object { @{ Name = $_ } }
    }

    Context '<Name>' -ForEach $scenarios {
        BeforeAll {
            $script:f = $null
            try { $script:f = Get-Final $Name } catch { $script:missing = "$_" }
        }
        BeforeEach { if (-not $f) { throw $missing } }

        It 'schema: every required key is there with its type' {
            $m = $f.Manifest
            foreach ($key in 'schema_version', 'run_id', 'iteration_id', 'host_mode', 'command') {
                $m.Contains($key) | Should -BeTrue -Because "'$key' is required"
                $m[$key] | Should -BeOfType ([string])
            }
            foreach ($key in 'run_id', 'iteration_id', 'command') { $m[$key].Length | Should -BeGreaterThan 0 }
            foreach ($key in 'resource_request', 'timestamps', 'artifact_sync_to_local') {
                $m.Contains($key) | Should -BeTrue -Because "'$key' is required"
                $m[$key] | Should -BeOfType ([System.Collections.IDictionary])
            }
            $m.timestamps.Contains('started_at') | Should -BeTrue
        }

        It 'schema: schema_version is "1.0"' {
            $f.Manifest.schema_version | Should -BeExactly '1.0'
        }

        It 'schema: status, host_mode and launch_mode are in their enums' {
            $m = $f.Manifest
            if ($m.Contains('status')) { $m.status | Should -BeIn $canonicalStatus }
            $m.host_mode | Should -BeIn 'local', 'slurm'
            if ($m.Contains('launch_mode')) { $m.launch_mode | Should -BeIn 'local', 'slurm' }
        }

        It 'schema: a SLURM manifest carries a job id' {
            $m = $f.Manifest
            if ($m.host_mode -eq 'slurm') {
                $ids = foreach ($path in @(@('job_id'), @('slurm', 'job_id'), @('resource_request', 'job_id'), @('resource_request', 'slurm', 'job_id'))) {
                    $v = Get-JsonPath $m $path
                    if ($v -is [string] -and $v.Length -gt 0) { $v }
                }
                @($ids).Count | Should -BeGreaterThan 0
            }
        }

        It 'schema: completed and failed need timestamps.completed_at' {
            $m = $f.Manifest
            if ($m.status -in 'completed', 'failed') {
                $m.timestamps.Contains('completed_at') | Should -BeTrue
                $m.timestamps.completed_at | Should -BeOfType ([string])
            }
        }

        It 'timestamps the monitor writes are UTC YYYY-MM-DDTHH:MM:SSZ' {
            $m = $f.Manifest
            $values = @(
                Get-JsonPath $m @('timestamps', 'started_at'); Get-JsonPath $m @('timestamps', 'completed_at'); Get-JsonPath $m @('completed_at')
                Get-JsonPath $m @('slurm', 'observed_at'); Get-JsonPath $m @('slurm', 'end_time')
            ) | Where-Object { $null -ne $_ }
            foreach ($v in $values) { $v | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' }
        }

        It 'the manifest is UTF-8 JSON, 2-space indent, one trailing newline, no BOM' {
            $bytes = [IO.File]::ReadAllBytes($f.ManifestPath)
            ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF) | Should -BeFalse
            $text = [Text.UTF8Encoding]::new($false, $true).GetString($bytes)
            $text.EndsWith("}`n") | Should -BeTrue
            $text.EndsWith("`n`n") | Should -BeFalse
            ($text -split "`n")[1] | Should -Match '^  "'
        }

        It 'consistency: run_id and iteration_id equal the state''s and the folder names' {
            $m = $f.Manifest
            $m.iteration_id | Should -Be $f.State.iteration_id
            $stateRuns = @($f.State.pending_run_id, $f.State.last_run_id) + @(if ($f.State.Contains('run_group')) { $f.State.run_group }) | Where-Object { $_ }
            $m.run_id | Should -BeIn $stateRuns
            $runDir = Split-Path $f.ManifestPath
            Split-Path $runDir -Leaf | Should -Be $m.run_id
            Split-Path (Split-Path $runDir) -Leaf | Should -Be 'runs'
            Split-Path (Split-Path (Split-Path $runDir)) -Leaf | Should -Be $m.iteration_id
        }

        It 'status is canonical' {
            $f.Manifest.status | Should -BeIn $canonicalStatus
        }

        It 'artifact_sync_to_local.status is canonical or a synonym' {
            $f.Manifest.artifact_sync_to_local.status | Should -BeIn ($canonicalSync + $syncSynonyms)
        }

        It 'a success-like sync only with synced, failed or partial' {
            $m = $f.Manifest
            if ($m.artifact_sync_to_local.status -in $successLikeSync) { $m.status | Should -BeIn 'synced', 'failed', 'partial' }
        }

        It 'the ledger exists for a SLURM run and contains run_id=<run_id>' {
            if (Test-SlurmManifest $f.Manifest) {
                Test-Path -LiteralPath $f.Ledger -PathType Leaf | Should -BeTrue
                [IO.File]::ReadAllText($f.Ledger) | Should -Match ([regex]::Escape("run_id=$($f.Manifest.run_id)") + '( \||$)')
            }
        }

        It 'the ledger holds the exact canonical line built from the final manifest' {
            if (Test-SlurmManifest $f.Manifest) {
                (Get-Lines $f.Ledger) | Should -Contain (Get-CanonicalLedgerLine $f.Manifest)
            }
        }
    }
}

Describe 'Invoke-SlurmMonitorStage -Wait through a natural requeue' -Tag 'Slow' {
    # No StartTime shortcut: the requeued job pends ~2 min (BeginTime) before its second attempt.
    BeforeAll {
        $script:case = New-JobRepo -Name 'mon-requeue-slow' -Wrap "echo run >> attempts.txt; sleep 5; $writeArtifacts"
        Wait-JobState $case.JobId 'RUNNING' -TimeoutSec 60
        $script:first = (Invoke-Stage $case).Result
        & scontrol requeue $case.JobId
        $script:s = Invoke-Stage $case -With @{ Wait = $true; PollIntervalSec = 5; TimeoutSec = 420 }
    }

    It 'waits through the requeue and ends synced with the restart recorded' {
        $first.Status | Should -Be 'running'
        $s.Errors | Should -BeNullOrEmpty
        $s.Result.Status | Should -Be 'synced'
        $s.Result.CanAdvance | Should -BeTrue
        $m = Read-Json $case.Manifest
        $m.slurm.restarts | Should -Be 1
        @(Get-Content -LiteralPath (Join-Path $case.RunDir 'attempts.txt')).Count | Should -Be 2
        $log = Get-LogLines $case.RunDir
        @($log | Where-Object { $_ -match 'status=pending' }).Count | Should -BeGreaterOrEqual 1 -Because 'the requeued job was seen pending'
        @($log | Select-Object -SkipLast 1 | Where-Object { $_ -match 'next=extract_results' }).Count | Should -Be 0 -Because 'the run must not end before its second attempt'
        $finals['requeue-slow'] = @{ Repo = $case.Repo; Manifest = $case.Manifest }
    }
}
