#Requires -Version 7.4
# autolab's own orchestrator drives the stage: `python3 -m autolab run` (autolab's source from
# ../shared/autolab/src) in fresh repositories made by `autolab init`, on the real test cluster, with
# Set-SlurmMonitorHook pointing slurm.monitor.poll_command_template and sync_command_template at the staged
# module's bin/slurm-monitor.ps1 -Hook Poll / -Hook Sync. autolab's launch stage submits the jobs, so
# manifests and launch ledger lines are autolab's own; autolab writes every manifest and state.json; the
# tests check that `autolab slurm-job-list verify` passes for every run after every `autolab run`.
# The last Describe runs the standalone way (our pass, templates empty) against the same autolab.

BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'AutolabTestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force

    $script:repos = [Collections.Generic.List[object]]::new()
    $script:retries = @{ 'retry_policy_by_stage.slurm_monitor.max_retries' = 3 }

    function script:New-HookedRepository {
        <# A repository made by autolab init whose launch stage (autolab's own) submitted -JobCommand; the hooks set. #>
        param([Parameter(Mandatory)] [string] $JobCommand, [int] $Replicates = 1, [switch] $NoHooks, [string] $Walltime = '00:01:00')
        $repo = New-AutolabTestRepository -JobCommand $JobCommand -Replicates $Replicates -Policy $retries -Walltime $Walltime
        if (-not $NoHooks) {
            $settings = Set-SlurmMonitorHook -RepositoryRoot $repo.RepositoryRoot -Force -PassThru
            $settings.PollCommandTemplate | Should -Match ([regex]::Escape((Split-Path $env:AUTOLAB_SLURM_MODULE)) + '/bin/slurm-monitor\.ps1 -Hook Poll -RunDirectory \{run_dir\} -RepositoryRoot \{repo_root\}$')
        }
        $launch = Invoke-AutolabLaunch -RepositoryRoot $repo.RepositoryRoot
        $repo.RunId = $launch.RunId
        $repo.RunGroup = $launch.RunGroup
        $repo.JobIds = $launch.JobIds
        $repo.JobId = $launch.JobId
        $repo.ManifestPath = $launch.ManifestPath
        $repo.RunDirectory = $launch.RunDirectory
        $script:repos.Add($repo)
        return $repo
    }

    function script:Invoke-AutolabPass {
        <# One `autolab run` at slurm_monitor; returns autolab's result. #>
        param([Parameter(Mandatory)] $Repo, [hashtable] $Environment = @{}, [string[]] $PrependPath = @())
        Invoke-Autolab -RepositoryRoot $Repo.RepositoryRoot -TimeoutSec 180 -Environment $Environment -PrependPath $PrependPath run --no-run-agent
    }

    function script:Get-RunIds($Repo) { @($Repo.RunGroup) + @($Repo.RunId) | Where-Object { $_ } }

    function script:Assert-LedgerVerifies {
        <# autolab's own verify, for every run of the repository (a run group's replicates and its base run). #>
        param([Parameter(Mandatory)] $Repo, [string] $Because = '')
        foreach ($runId in Get-RunIds $Repo) {
            $check = Test-AutolabLedger -RepositoryRoot $Repo.RepositoryRoot -RunId $runId
            $check.Passed | Should -BeTrue -Because "autolab slurm-job-list verify must pass for $runId $Because (autolab expects '$($check.Expected)', the ledger has '$($check.Actual -join ' / ')'; $($check.Output))"
        }
    }

    function script:Wait-JobDone {
        param([Parameter(Mandatory)] [string[]] $JobId)
        Wait-Until -TimeoutSec 120 -Because "jobs $($JobId -join ',') to end" -Condition {
            $states = Get-SacctState -JobId $JobId
            @($JobId | Where-Object { $states[$_] -and $states[$_] -notmatch '^(PENDING|RUNNING|COMPLETING|REQUEUED)' }).Count -eq $JobId.Count
        }
    }

    function script:Get-PollLog($Repo, [string] $RunId = $Repo.RunId, [string] $Stream = 'stdout') {
        $path = Join-Path $Repo.IterationDirectory "runs/$RunId/logs/slurm_monitor.poll.$Stream.log"
        if (Test-Path -LiteralPath $path) { [IO.File]::ReadAllText($path) } else { $null }
    }

    function script:Get-LedgerNotes {
        <# The note lines right under the run's ledger line. #>
        param($Repo, [string] $RunId = $Repo.RunId)
        $lines = [IO.File]::ReadAllLines($Repo.LedgerPath)
        $notes = [Collections.Generic.List[string]]::new()
        $inEntry = $false
        foreach ($line in $lines) {
            if ($line.StartsWith('- ')) { $inEntry = ($line + ' |').Contains("| run_id=$RunId |"); continue }
            if ($inEntry -and $line.StartsWith('  - note: ')) { $notes.Add($line) } else { $inEntry = $false }
        }
        return , $notes.ToArray()
    }

    function script:Open-Gate($Repo) {
        <# Lets a gated job finish: it waits for a file named go in its iteration folder (its working directory). #>
        [IO.File]::WriteAllText((Join-Path $Repo.IterationDirectory 'go'), '')
    }

    # Every repository is launched first, so the jobs run while the scenarios before theirs are checked.
    # Jobs a scenario must see in flight wait for a gate the test opens (never a race with a sleep).
    $gate = 'while [ ! -e go ]; do sleep 1; done; '
    $script:ok = New-HookedRepository -Walltime '00:05:00' -JobCommand ($gate + 'echo ok > "${RUN_DIR}/result.txt"')
    $script:bad = New-HookedRepository -JobCommand 'echo partial > "${RUN_DIR}/out.txt"; exit 3'
    $script:cnl = New-HookedRepository -JobCommand 'sleep 300'
    $script:blind = New-HookedRepository -JobCommand 'echo ok > "${RUN_DIR}/result.txt"'
    $script:hung = New-HookedRepository -JobCommand 'echo ok > "${RUN_DIR}/result.txt"'
    # The job's own checksum file names a hash its artifact does not have: every verification fails.
    $script:unsynced = New-HookedRepository -JobCommand 'echo ok > "${RUN_DIR}/result.txt"; echo "0000000000000000000000000000000000000000000000000000000000000000  result.txt" > "${RUN_DIR}/SHA256SUMS"'
    $script:group = New-HookedRepository -Replicates 3 -Walltime '00:05:00' -JobCommand ($gate + 'case "${RUN_ID}" in *_r2) exit 3 ;; esac; echo ok > "${RUN_DIR}/result.txt"')
    $script:standalone = New-HookedRepository -NoHooks -Walltime '00:05:00' -JobCommand ($gate + 'echo ok > "${RUN_DIR}/result.txt"')
}

AfterAll {
    foreach ($repo in $script:repos) { Remove-AutolabTestRepository $repo }
}

Describe 'autolab run with the hooks: a job that succeeds with an artifact' {
    It 'waits while the job is pending or running: stays in slurm_monitor, the ledger verifies' {
        $r = Invoke-AutolabPass $ok
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'slurm_monitor'
        (Get-AutolabRun -RepositoryRoot $ok.RepositoryRoot).Status | Should -BeIn 'pending', 'running'
        Get-PollLog $ok | Should -Match '^(pending|running)\|(PENDING|RUNNING)\|\d+\n$' -Because 'stdout carries exactly one answer line'
        Get-PollLog $ok -Stream stderr | Should -BeNullOrEmpty
        Assert-LedgerVerifies $ok
    }

    It 'advances to extract_results once the job is done and its artifacts are home: synced' {
        Open-Gate $ok
        Wait-JobDone $ok.JobIds
        $r = Invoke-AutolabPass $ok
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'extract_results'
        $run = Get-AutolabRun -RepositoryRoot $ok.RepositoryRoot
        $run.Status | Should -Be 'synced'
        $run.SyncStatus | Should -Be 'completed'
        Get-PollLog $ok | Should -Be "completed|COMPLETED|$($ok.JobId)`n"
        Test-Path -LiteralPath (Join-Path $ok.RunDirectory 'result.txt') | Should -BeTrue
        $syncStderr = Join-Path $ok.RunDirectory 'logs/slurm_monitor.sync.stderr.log'
        if (Test-Path -LiteralPath $syncStderr) { Get-Content -LiteralPath $syncStderr -Raw | Should -BeNullOrEmpty }
        Assert-LedgerVerifies $ok
        $run.LedgerLines | Should -HaveCount 1
        $run.LedgerLines[0] | Should -Match '\| status=synced$'
        (Get-AutolabState -RepositoryRoot $ok.RepositoryRoot).stage_attempt | Should -Be 0
    }

    It 'kept its monitor log: one line per hook call, and never wrote the manifest' {
        $log = @(Get-Content -LiteralPath (Join-Path $ok.RunDirectory 'logs/slurm_monitor.log'))
        @($log | Where-Object { $_ -match ' hook=poll answer=' }).Count | Should -Be 2
        @($log | Where-Object { $_ -match ' hook=sync answer=ok' }).Count | Should -Be 1
        # autolab writes manifests with json.dumps(indent=2): our writer would leave a different shape.
        (Get-AutolabRun -RepositoryRoot $ok.RepositoryRoot).Manifest.Contains('slurm') | Should -BeTrue
        (Get-AutolabRun -RepositoryRoot $ok.RepositoryRoot).Manifest['slurm'].Contains('state') | Should -BeFalse -Because 'a hook never writes the manifest (autolab owns it)'
    }
}

Describe 'autolab run with the hooks: a job that fails with exit 3' {
    It 'ends the run failed, advances, and notes the state and exit code under the ledger line' {
        Wait-JobDone $bad.JobIds
        $r = Invoke-AutolabPass $bad
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'extract_results'
        (Get-AutolabRun -RepositoryRoot $bad.RepositoryRoot).Status | Should -Be 'failed'
        Get-PollLog $bad | Should -Be "failed|FAILED|$($bad.JobId)`n"
        Assert-LedgerVerifies $bad
        $notes = Get-LedgerNotes $bad
        $notes | Should -HaveCount 1
        $notes[0] | Should -Match "job $($bad.JobId) ended FAILED, exit code 3, signal 0"
    }
}

Describe 'autolab run with the hooks: a cancelled job' {
    It 'ends the run failed (CANCELLED) and advances' {
        Wait-Until -TimeoutSec 180 -Because 'the job to start (the one-node cluster may be running other jobs first)' -Condition { (Get-SacctState -JobId $cnl.JobId)[$cnl.JobId] -eq 'RUNNING' }
        Stop-TestSlurmJob -JobId $cnl.JobId
        Wait-JobDone $cnl.JobIds
        $r = Invoke-AutolabPass $cnl
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'extract_results'
        (Get-AutolabRun -RepositoryRoot $cnl.RepositoryRoot).Status | Should -Be 'failed'
        Get-PollLog $cnl | Should -Be "failed|CANCELLED|$($cnl.JobId)`n"
        Assert-LedgerVerifies $cnl
        (Get-LedgerNotes $cnl)[-1] | Should -Match 'ended CANCELLED'
    }
}

Describe 'autolab run with the hooks: no sacct or squeue on PATH' {
    BeforeAll {
        $script:restricted = New-RestrictedPathDirectory -Exclude sacct, squeue, sinfo, sbatch, scancel, scontrol
    }
    AfterAll { Remove-Item -LiteralPath $restricted -Recurse -Force -ErrorAction SilentlyContinue }

    It 'answers unknown| (exit 0): autolab keeps the status; the ledger verifies and carries a note' {
        Wait-JobDone $blind.JobIds
        $before = Get-AutolabRun -RepositoryRoot $blind.RepositoryRoot
        $r = Invoke-AutolabPass $blind -Environment @{ PATH = $restricted }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'slurm_monitor'
        Get-PollLog $blind | Should -Be "unknown||$($blind.JobId)`n"
        Get-PollLog $blind -Stream stderr | Should -BeNullOrEmpty -Because 'autolab reads stderr when stdout maps to nothing'
        (Get-AutolabRun -RepositoryRoot $blind.RepositoryRoot).Status | Should -Be $before.Status
        Assert-LedgerVerifies $blind
        (Get-LedgerNotes $blind)[-1] | Should -Match 'the scheduler could not be asked .*SchedulerUnavailable'
    }

    It 'does not repeat the note on the next pass, and moves on once the scheduler is back' {
        $null = Invoke-AutolabPass $blind -Environment @{ PATH = $restricted }
        Get-LedgerNotes $blind | Should -HaveCount 1
        $r = Invoke-AutolabPass $blind
        $r.StageAfter | Should -Be 'extract_results' -Because $r.Output
        Assert-LedgerVerifies $blind
    }
}

Describe 'autolab run with the hooks: a scheduler that hangs' {
    It 'answers unknown| within autolab''s poll_timeout_seconds (no timeout, no failed attempt)' {
        $fake = New-TestDirectory
        New-FakeCommand -Directory $fake -Name sacct -Body 'sleep 600' | Out-Null
        New-FakeCommand -Directory $fake -Name squeue -Body 'sleep 600' | Out-Null
        Set-AutolabPolicy -RepositoryRoot $hung.RepositoryRoot -Setting @{ 'slurm.monitor.poll_timeout_seconds' = 12 }
        try {
            $r = Invoke-AutolabPass $hung -PrependPath $fake
        }
        finally { Remove-Item -LiteralPath $fake -Recurse -Force }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Not -Match 'timed out'
        (Get-AutolabState -RepositoryRoot $hung.RepositoryRoot).stage_attempt | Should -Be 0
        Get-PollLog $hung | Should -Be "unknown||$($hung.JobId)`n"
        (Get-LedgerNotes $hung)[-1] | Should -Match 'SchedulerTimeout'
        Assert-LedgerVerifies $hung
    }
}

Describe 'autolab run with the hooks: a sync that keeps failing' {
    It 'does not advance; autolab counts the attempts and the ledger verifies after each' {
        Wait-JobDone $unsynced.JobIds
        for ($attempt = 1; $attempt -le 2; $attempt++) {
            $r = Invoke-AutolabPass $unsynced
            $r.ExitCode | Should -Be 1 -Because "a failed sync makes autolab run fail ($($r.Output))"
            $r.Output | Should -Match 'slurm monitor sync command failed'
            $state = Get-AutolabState -RepositoryRoot $unsynced.RepositoryRoot
            $state.stage | Should -Be 'slurm_monitor'
            $state.stage_attempt | Should -Be $attempt
            Assert-LedgerVerifies $unsynced -Because "after failed attempt $attempt"
        }
        $stderr = Get-Content -LiteralPath (Join-Path $unsynced.RunDirectory 'logs/slurm_monitor.sync.stderr.log') -Raw
        $stderr | Should -Match 'result\.txt: .*SHA256SUMS'
        (Get-LedgerNotes $unsynced)[-1] | Should -Match 'artifact sync failed \(\S+/result\.txt: SHA256SUMS mismatch'
    }

    It 'moves the stage to human_review after the third failure, the ledger still verifying' {
        $r = Invoke-AutolabPass $unsynced
        $r.ExitCode | Should -Be 1
        $state = Get-AutolabState -RepositoryRoot $unsynced.RepositoryRoot
        $state.stage | Should -Be 'human_review'
        Test-Path -LiteralPath (Join-Path $unsynced.RepositoryRoot '.autolab/escalation_packet.json') | Should -BeTrue
        (Get-AutolabRun -RepositoryRoot $unsynced.RepositoryRoot).Status | Should -Be 'submitted' -Because 'autolab never wrote the manifest of a pass whose sync failed'
        Assert-LedgerVerifies $unsynced
    }
}

Describe 'autolab run with the hooks: a run group of three, one of which fails' {
    It 'polls the three replicates; while they run the base run''s line follows autolab''s roll-up' {
        $r = Invoke-AutolabPass $group
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'slurm_monitor'
        foreach ($replicate in $group.RunGroup) { Get-PollLog $group -RunId $replicate | Should -Not -BeNullOrEmpty }
        Get-PollLog $group -RunId $group.RunId | Should -BeNullOrEmpty -Because 'autolab never polls the base run'
        Assert-LedgerVerifies $group -Because '(the base run had no line after autolab''s launch: the last replicate''s hook added it)'
    }

    It 'ends the failing replicate failed, the others synced, the base run failed, and advances' {
        Open-Gate $group
        Wait-JobDone $group.JobIds
        $r = Invoke-AutolabPass $group
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'extract_results'
        $statuses = @($group.RunGroup | ForEach-Object { (Get-AutolabRun -RepositoryRoot $group.RepositoryRoot -RunId $_).Status })
        $statuses | Should -Be @('synced', 'failed', 'synced')
        (Get-AutolabRun -RepositoryRoot $group.RepositoryRoot).Status | Should -Be 'failed'
        Assert-LedgerVerifies $group
        (Get-LedgerNotes $group -RunId $group.RunGroup[1])[-1] | Should -Match 'exit code 3'
    }
}

Describe 'the standalone way with autolab run (templates empty)' {
    It 'our pass writes the manifest and ledger; autolab''s no-progress guard fails its second run while the status stays' {
        $pass = Invoke-SlurmMonitorStage -RepositoryRoot $standalone.RepositoryRoot -ErrorAction Stop
        $pass.CanAdvance | Should -BeFalse
        $status = (Get-AutolabRun -RepositoryRoot $standalone.RepositoryRoot).Status
        $status | Should -BeIn 'pending', 'running'
        Assert-LedgerVerifies $standalone

        $first = Invoke-AutolabPass $standalone
        $first.ExitCode | Should -Be 0 -Because $first.Output
        $second = Invoke-AutolabPass $standalone
        $second.ExitCode | Should -Be 1 -Because 'with both templates empty autolab fails every run made while the run is in progress, from the second on'
        $second.Output | Should -Match 'cannot make deterministic progress'
        Assert-LedgerVerifies $standalone
    }

    It 'once our pass reports CanAdvance, autolab run advances to extract_results' {
        Open-Gate $standalone
        Wait-JobDone $standalone.JobIds
        $pass = Invoke-SlurmMonitorStage -RepositoryRoot $standalone.RepositoryRoot -ErrorAction Stop
        $pass.CanAdvance | Should -BeTrue
        $pass.Status | Should -Be 'synced'
        $r = Invoke-AutolabPass $standalone
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.StageAfter | Should -Be 'extract_results'
        Assert-LedgerVerifies $standalone
    }
}
