#Requires -Version 7.4
# The recipe for driving the REAL autolab (`python3 -m autolab run`, source in ../shared/autolab/src) in
# fresh repositories made by `autolab init` on the real test cluster, proven with stand-in hooks: plain
# /bin/sh scripts written here, not this module. What these tests pin down is autolab's own behaviour
# at stages launch and slurm_monitor (what it writes, when it calls the two templates, how it counts
# failures), so that the end-to-end tests of the module's hooks can rely on it. The setup steps and
# the autolab source lines behind them are in AutolabTestHelpers.psm1 (New-AutolabTestRepository).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AutolabTestHelpers.psm1') -Force

    $script:repos = [Collections.Generic.List[object]]::new()
    $script:hooks = New-TestDirectory

    function script:New-Repo {
        $repo = New-AutolabTestRepository @args
        $script:repos.Add($repo)
        return $repo
    }

    function script:New-StandIn([string] $Name, [string] $Body) {
        # Each stand-in records its working directory and arguments, one line per call, in <name>.calls.
        $calls = Join-Path $script:hooks "$Name.calls"
        New-FakeCommand -Directory $script:hooks -Name "$Name.sh" -Body ("printf '%s\n' `"`$PWD `$*`" >> '$calls'`n" + $Body)
    }

    function script:Get-Calls([string] $Name, [string] $RepositoryRoot) {
        # The calls of one stand-in, optionally only those made in one repository (autolab's cwd).
        $path = Join-Path $script:hooks "$Name.calls"
        $calls = if (Test-Path -LiteralPath $path) { @(Get-Content -LiteralPath $path) } else { @() }
        if ($RepositoryRoot) { $calls = @($calls | Where-Object { $_.StartsWith("$RepositoryRoot ") }) }
        return $calls
    }

    function script:Assert-Ledger($Repository, [string] $RunId, [bool] $Passes) {
        $check = Test-AutolabLedger -RepositoryRoot $Repository.RepositoryRoot -RunId $RunId
        $because = "autolab builds '$($check.Expected)' and the ledger holds '$($check.Actual -join ''' and ''')' ($($check.Output))"
        $check.Passed | Should -Be $Passes -Because $because
    }

    # A poll that reports what `squeue`/`sacct` would, in the first line of stdout.
    $script:pollRunning = New-StandIn 'poll-running' 'echo "running|RUNNING|$1"'
    $script:pollCompleted = New-StandIn 'poll-completed' 'echo "completed|COMPLETED|$1"'
    $script:pollFails = New-StandIn 'poll-fails' 'echo "cannot reach the scheduler" >&2; exit 7'
    $script:syncFails = New-StandIn 'sync-fails' 'echo "pull failed" >&2; exit 1'
    # A sync that succeeds and, as the module's sync hook must, rewrites the run's ledger line to the
    # status autolab is about to write (synced); arguments: {run_id} {repo_root}.
    $script:syncRewrites = New-StandIn 'sync-rewrites' @'
sed -i "s/^\(- .* | run_id=$1 | status=\).*$/\1synced/" "$2/docs/slurm_job_list.md"
'@
    $script:syncOk = New-StandIn 'sync-ok' 'exit 0'
}

AfterAll {
    $script:repos | Remove-AutolabTestRepository
    if ($script:hooks) { Remove-Item -LiteralPath $script:hooks -Recurse -Force -ErrorAction SilentlyContinue }
    # Removing the module deletes the session's cached `autolab init` template.
    Remove-Module AutolabTestHelpers -ErrorAction SilentlyContinue
}

Describe 'autolab run at stage launch submits a real batch job' {
    BeforeAll {
        $script:repo = New-Repo -Stage launch -JobCommand 'echo done > "${RUN_DIR}/result.txt"' -PrepareVerify
        # --verify: autolab's own verifiers (schema, template_fill, run_health, consistency, ...) run
        # after the launch and pass on this setup.
        $script:result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run --verify --no-run-agent
        $script:state = Get-AutolabState -RepositoryRoot $repo.RepositoryRoot
        $script:run = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $repo.JobIds = @($run.JobId)
    }

    It 'moves to slurm_monitor with exit code 0 and its own run id in last_run_id' {
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageBefore | Should -Be 'launch'
        $result.StageAfter | Should -Be 'slurm_monitor'
        $result.Transitioned | Should -BeTrue
        $state.stage | Should -Be 'slurm_monitor'
        $state.last_run_id | Should -Match '^\d{8}T\d{6}Z_[0-9a-f]{6}$'
        $state.pending_run_id | Should -BeNullOrEmpty
        $state.sync_status | Should -Be 'pending'
    }

    It 'writes the manifest of a submitted SLURM job from sbatch''s answer' {
        $run.Manifest.status | Should -Be 'submitted'
        $run.Manifest.host_mode | Should -Be 'slurm'
        $run.Manifest.artifact_sync_to_local.status | Should -Be 'pending'
        $run.JobId | Should -Match '^\d+$'
        $run.Manifest.slurm.job_id | Should -Be $run.JobId
        $run.Manifest.resource_request.slurm.job_id | Should -Be $run.JobId
        Get-Content -LiteralPath (Join-Path $run.RunDirectory 'logs/launch.stdout.log') -Raw | Should -Match "Submitted batch job $($run.JobId)\b"
    }

    It 'appends its own ledger line (no header) that autolab slurm-job-list verify accepts' {
        [IO.File]::ReadAllText($repo.LedgerPath) | Should -Be ((Get-AutolabLedgerLine -ManifestPath $run.ManifestPath) + "`n")
        $run.LedgerLines[0] | Should -Match '\| status=submitted$'
        Assert-Ledger $repo $run.RunId $true
    }

    It 'the job runs from the iteration folder and writes into the run directory' {
        $null = Wait-Until -TimeoutSec 120 -Because "job $($run.JobId) to complete" -Condition {
            (Get-SacctState -JobId $run.JobId)[$run.JobId] -eq 'COMPLETED'
        }
        Get-Content -LiteralPath (Join-Path $run.RunDirectory 'result.txt') | Should -Be 'done'
        Test-Path -LiteralPath (Join-Path $run.RunDirectory 'launch.touch') | Should -BeTrue
    }
}

Describe 'autolab run at stage slurm_monitor with a poll and a sync template' {
    BeforeAll {
        $script:repo = New-Repo -Stage slurm_monitor -Launch -JobCommand 'echo done > "${RUN_DIR}/result.txt"' -PrepareVerify
        $script:run0 = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $null = Wait-Until -TimeoutSec 120 -Because "job $($repo.JobId) to complete" -Condition {
            (Get-SacctState -JobId $repo.JobId)[$repo.JobId] -eq 'COMPLETED'
        }
    }

    It 'a running poll keeps the stage; autolab writes running into the manifest and leaves the ledger alone' {
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll "/bin/sh $pollRunning {job_id} {run_dir}" -Sync "/bin/sh $syncRewrites {run_id} {repo_root}"
        $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'slurm_monitor'
        $result.Transitioned | Should -BeFalse
        $result.Message | Should -Be 'slurm_monitor: waiting for scheduler/sync readiness'
        $run = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $run.Status | Should -Be 'running'
        $run.SyncStatus | Should -Be 'pending'
        (Get-AutolabState -RepositoryRoot $repo.RepositoryRoot).stage_attempt | Should -Be 0
        # The poll ran in the repository root with the run's own job id and absolute run directory ...
        Get-Calls 'poll-running' $repo.RepositoryRoot | Should -Be "$($repo.RepositoryRoot) $($repo.JobId) $($run.RunDirectory)"
        # ... its output went to the run's logs, and the sync was not called for a running job.
        Get-Content -LiteralPath (Join-Path $run.RunDirectory 'logs/slurm_monitor.poll.stdout.log') | Should -Be "running|RUNNING|$($repo.JobId)"
        Get-Calls 'sync-rewrites' $repo.RepositoryRoot | Should -BeNullOrEmpty
        # autolab writes no ledger line at this stage: the launch line (submitted) no longer matches.
        $run.LedgerLines | Should -Be $run0.LedgerLines
        Assert-Ledger $repo $run.RunId $false
    }

    It 'a completed poll and an ok sync advance to extract_results (autolab''s verifiers passing); the ledger verifies once the sync rewrote the line' {
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll "/bin/sh $pollCompleted {job_id} {run_dir}" -Sync "/bin/sh $syncRewrites {run_id} {repo_root}"
        $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run --verify
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $verification = Get-Content -LiteralPath (Join-Path $repo.RepositoryRoot '.autolab/verification_result.json') -Raw | ConvertFrom-Json
        $verification.stage_effective | Should -Be 'slurm_monitor'
        $verification.passed | Should -BeTrue -Because $verification.message
        $result.StageAfter | Should -Be 'extract_results'
        $result.Message | Should -Be 'slurm_monitor: strict lifecycle ready (status=synced)'
        $run = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $run.Status | Should -Be 'synced'
        $run.SyncStatus | Should -Be 'completed'
        $run.Manifest.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $run.Manifest.completed_at | Should -Be $run.Manifest.timestamps.completed_at
        (Get-AutolabState -RepositoryRoot $repo.RepositoryRoot).sync_status | Should -Be 'completed'
        Get-Calls 'sync-rewrites' $repo.RepositoryRoot | Should -Be "$($repo.RepositoryRoot) $($run.RunId) $($repo.RepositoryRoot)"
        Test-Path -LiteralPath (Join-Path $run.RunDirectory 'logs/slurm_monitor.sync.stdout.log') | Should -BeTrue
        Assert-Ledger $repo $run.RunId $true
    }
}

Describe 'a failing monitor command counts as a failed attempt' {
    BeforeAll {
        $script:repo = New-Repo -Stage slurm_monitor -RunId run_001 -JobId 910001
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll "/bin/sh $pollFails {job_id}"
        $script:manifestBefore = [IO.File]::ReadAllText($repo.ManifestPath)
        $script:results = foreach ($i in 1..4) { Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run }
        $script:state = Get-AutolabState -RepositoryRoot $repo.RepositoryRoot
    }

    It 'the retry budget of slurm_monitor is the policy''s 3, not the state''s max_stage_attempts' {
        (Get-AutolabPolicy -RepositoryRoot $repo.RepositoryRoot).retry_policy_by_stage.slurm_monitor.max_retries | Should -Be 3
        $state.max_stage_attempts | Should -Be 5
    }

    It 'the first two failures exit 1, stay at slurm_monitor and count stage_attempt with a history entry' {
        foreach ($i in 0, 1) {
            $results[$i].ExitCode | Should -Be 1 -Because $results[$i].Output
            $results[$i].StageAfter | Should -Be 'slurm_monitor'
            $results[$i].Message | Should -BeLike "slurm monitor execution failed: slurm monitor poll command failed (run_id=run_001, exit_code=7); retrying stage slurm_monitor ($($i + 1)/3)*"
            $results[$i].Stderr | Should -BeLike 'autolab run: ERROR slurm monitor execution failed: *'
        }
        $failures = @($state.history | Where-Object { $_.stage_before -eq 'slurm_monitor' -and $_.status -eq 'failed' })
        $failures.Count | Should -Be 3
        $failures[0].stage_attempt | Should -Be 1
    }

    It 'the third failure moves to human_review and writes escalation_packet.json' {
        $results[2].ExitCode | Should -Be 1
        $results[2].StageAfter | Should -Be 'human_review'
        $results[2].Message | Should -BeLike '*retry budget exhausted (3/3), escalating to human_review*'
        $state.stage | Should -Be 'human_review'
        $state.stage_attempt | Should -Be 3
        $packet = Get-Content -LiteralPath (Join-Path $repo.RepositoryRoot '.autolab/escalation_packet.json') -Raw | ConvertFrom-Json
        $packet.stage | Should -Be 'slurm_monitor'
        $packet.stage_attempt | Should -Be 3
        $packet.max_retries | Should -Be 3
        $packet.last_failures[0] | Should -BeLike '*exit_code=7*'
    }

    It 'after that autolab run is a no-op with exit code 0' {
        $results[3].ExitCode | Should -Be 0
        $results[3].Message | Should -BeLike "stage 'human_review' is terminal; nothing to do*"
        Get-Calls 'poll-fails' $repo.RepositoryRoot | Should -HaveCount 3
    }

    It 'autolab raised before writing: manifest untouched, ledger still verifying, the poll''s output in the run''s logs' {
        [IO.File]::ReadAllText($repo.ManifestPath) | Should -Be $manifestBefore
        Assert-Ledger $repo 'run_001' $true
        Get-Content -LiteralPath (Join-Path $repo.RunDirectory 'logs/slurm_monitor.poll.stderr.log') | Should -Be 'cannot reach the scheduler'
    }

    It 'a failing sync of a completed job counts the same way; retry_policy_by_stage.slurm_monitor.max_retries sets the budget' {
        $repo2 = New-Repo -Stage slurm_monitor -RunId run_001 -JobId 910003 -Policy @{ 'retry_policy_by_stage.slurm_monitor.max_retries' = 1 }
        $before = [IO.File]::ReadAllText($repo2.ManifestPath)
        Set-AutolabMonitorTemplate -RepositoryRoot $repo2.RepositoryRoot -Poll "/bin/sh $pollCompleted {job_id}" -Sync "/bin/sh $syncFails {run_dir}"
        $result = Invoke-Autolab -RepositoryRoot $repo2.RepositoryRoot run
        $result.ExitCode | Should -Be 1
        $result.StageAfter | Should -Be 'human_review'
        $result.Message | Should -BeLike 'slurm monitor execution failed: slurm monitor sync command failed (run_id=run_001, exit_code=1); retry budget exhausted (1/1), escalating to human_review*'
        [IO.File]::ReadAllText($repo2.ManifestPath) | Should -Be $before
        Get-Content -LiteralPath (Join-Path $repo2.RunDirectory 'logs/slurm_monitor.sync.stderr.log') | Should -Be 'pull failed'
    }
}

Describe 'the no-progress guard with both templates empty' {
    BeforeAll {
        $script:repo = New-Repo -Stage slurm_monitor -RunId run_001 -JobId 910004
        $script:root = $repo.RepositoryRoot
    }

    It 'the scaffold leaves both templates empty' {
        $monitor = (Get-AutolabPolicy -RepositoryRoot $root).slurm.monitor
        $monitor.poll_command_template | Should -BeNullOrEmpty
        $monitor.sync_command_template | Should -BeNullOrEmpty
    }

    It 'the first pass waits (exit 0) and records the stalled run' {
        $result = Invoke-Autolab -RepositoryRoot $root run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'slurm_monitor'
        $guard = (Get-AutolabState -RepositoryRoot $root).slurm_monitor_no_progress
        $guard.signature | Should -Be 'run_001:submitted'
        $guard.count | Should -Be 1
    }

    It 'the second pass with nothing changed fails (exit 1) and counts an attempt' {
        $result = Invoke-Autolab -RepositoryRoot $root run
        $result.ExitCode | Should -Be 1
        $result.Message | Should -BeLike '*slurm_monitor cannot make deterministic progress: *are both unset and run manifests remain in progress for 2 consecutive checks (run_001:submitted); retrying stage slurm_monitor (1/3)*'
        $state = Get-AutolabState -RepositoryRoot $root
        $state.stage_attempt | Should -Be 1
        $state.slurm_monitor_no_progress.count | Should -Be 2
    }

    It 'a status written in between (as a standalone pass writes it) starts the count again; the good pass resets stage_attempt' {
        $manifest = Get-Content -LiteralPath $repo.ManifestPath -Raw | ConvertFrom-Json -AsHashtable
        $manifest.status = 'running'
        [IO.File]::WriteAllText($repo.ManifestPath, ($manifest | ConvertTo-Json -Depth 20) + "`n")
        $result = Invoke-Autolab -RepositoryRoot $root run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $state = Get-AutolabState -RepositoryRoot $root
        $state.slurm_monitor_no_progress.signature | Should -Be 'run_001:running'
        $state.slurm_monitor_no_progress.count | Should -Be 1
        $state.stage_attempt | Should -Be 0
    }

    It 'a run a standalone pass marked synced with a successful sync advances, and the guard is cleared' {
        $manifest = Get-Content -LiteralPath $repo.ManifestPath -Raw | ConvertFrom-Json -AsHashtable
        $manifest.status = 'synced'
        $manifest.artifact_sync_to_local.status = 'ok'
        [IO.File]::WriteAllText($repo.ManifestPath, ($manifest | ConvertTo-Json -Depth 20) + "`n")
        $result = Invoke-Autolab -RepositoryRoot $root run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'extract_results'
        (Get-AutolabState -RepositoryRoot $root).Contains('slurm_monitor_no_progress') | Should -BeFalse
        (Get-AutolabRun -RepositoryRoot $root).SyncStatus | Should -Be 'ok'
    }
}

Describe 'a run group of three replicates launched by autolab' {
    BeforeAll {
        $script:repo = New-Repo -Stage slurm_monitor -Launch -Replicates 3 -JobCommand 'echo done > "${RUN_DIR}/result.txt"'
        $script:base = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $script:replicates = @($repo.RunGroup | ForEach-Object { Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot -RunId $_ })
    }

    It 'launch submits one job per replicate and lists them, base run id + _r1.._r3, in state.run_group' {
        $repo.RunGroup | Should -Be @('_r1', '_r2', '_r3' | ForEach-Object { $base.RunId + $_ })
        @($repo.JobIds | Select-Object -Unique).Count | Should -Be 3
        $replicates.Status | Should -Be @('submitted', 'submitted', 'submitted')
    }

    It 'the base manifest carries the first replicate''s job id, and autolab gives the base run no ledger line' {
        $base.JobId | Should -Be $replicates[0].JobId
        $base.LedgerLines | Should -BeNullOrEmpty
        Assert-Ledger $repo $base.RunId $false
        @(Get-Content -LiteralPath $repo.LedgerPath).Count | Should -Be 3
        foreach ($r in $replicates) { $r.LedgerLines | Should -HaveCount 1; $r.LedgerLines[0] | Should -Match '\| status=submitted$' }
        Assert-Ledger $repo $replicates[0].RunId $true
    }

    It 'slurm_monitor polls the replicates in run_group order (never the base), syncs the completed ones and fails the base when one failed' {
        $poll = New-StandIn 'poll-group' 'case "$2" in *_r2) echo "failed|FAILED|$1" ;; *) echo "completed|COMPLETED|$1" ;; esac'
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll "/bin/sh $poll {job_id} {run_dir}" -Sync "/bin/sh $syncOk {run_dir}"
        $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'extract_results'
        Get-Calls 'poll-group' $repo.RepositoryRoot | Should -Be @($replicates | ForEach-Object { "$($repo.RepositoryRoot) $($_.JobId) $($_.RunDirectory)" })
        Get-Calls 'sync-ok' $repo.RepositoryRoot | Should -Be @("$($repo.RepositoryRoot) $($replicates[0].RunDirectory)", "$($repo.RepositoryRoot) $($replicates[2].RunDirectory)")
        (Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot -RunId $repo.RunGroup[1]).Status | Should -Be 'failed'
        (Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot -RunId $repo.RunGroup[2]).Status | Should -Be 'synced'
        $after = Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot
        $after.Status | Should -Be 'failed'
        $after.SyncStatus | Should -Be 'failed'
        Test-Path -LiteralPath (Join-Path $after.RunDirectory 'logs/slurm_monitor.poll.stdout.log') | Should -BeFalse
    }
}

Describe 'a run whose manifest names a remote profile' {
    BeforeAll {
        $tb = Get-TestbedInfo
        # A job that stays pending, so the login node's squeue knows it for the whole test.
        $script:jobId = Submit-TestSlurmJob -Name 'autolab-recipe-remote' -Wrap 'true' -Time '1' -ExtraArgs @('--hold')
        $script:repo = New-Repo -Stage slurm_monitor -RunId run_001 -JobId $jobId
        $repo.JobIds = @($jobId)
        $manifest = Get-Content -LiteralPath $repo.ManifestPath -Raw | ConvertFrom-Json -AsHashtable
        $manifest.remote_execution = [ordered]@{ profile = 'cluster'; mode = 'git_checkout'; remote_repo_root = $repo.RepositoryRoot }
        [IO.File]::WriteAllText($repo.ManifestPath, ($manifest | ConvertTo-Json -Depth 20) + "`n")
        $profiles = Join-Path $repo.RepositoryRoot '.autolab/remote_profiles.yaml'
        [IO.File]::AppendAllText($profiles, "  cluster:`n    mode: git_checkout`n    login_host: $($tb.sshAlias)`n    remote_repo_root: `"$($repo.RepositoryRoot)`"`n")
        # autolab runs plain `ssh -o BatchMode=yes <login_host> ...`: this ssh, first on autolab's PATH,
        # is the real one reading the testbed's client configuration (host, port, key, known_hosts).
        $script:sshDir = New-TestDirectory
        $null = New-FakeCommand -Directory $sshDir -Name 'ssh' -Body "exec /usr/bin/ssh -F '$($tb.sshConfig)' `"`$@`""
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll "/bin/sh $pollCompleted {job_id}" -Sync "/bin/sh $syncOk {run_dir}"
        $script:result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot -PrependPath $sshDir run
    }

    AfterAll {
        if ($script:sshDir) { Remove-Item -LiteralPath $script:sshDir -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'autolab polls over SSH itself and never calls either template' {
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'slurm_monitor'
        Get-Calls 'poll-completed' $repo.RepositoryRoot | Should -BeNullOrEmpty
        Get-Calls 'sync-ok' $repo.RepositoryRoot | Should -BeNullOrEmpty
        (Get-Item -LiteralPath (Join-Path $repo.RunDirectory 'logs/slurm_monitor.poll.stdout.log')).Length | Should -BeGreaterThan 0
    }
}

Describe 'what autolab reads from the poll command''s output' {
    BeforeAll {
        $script:repo = New-Repo -Stage slurm_monitor -RunId run_001 -JobId 910005
        $script:root = $repo.RepositoryRoot
    }

    It 'without the Slurm commands on its PATH autolab still runs the stage (the manifest says slurm), and "unknown" keeps the status' {
        $poll = New-StandIn 'poll-no-sacct' 'if command -v sacct >/dev/null; then echo "running|RUNNING|$1"; else echo "unknown||$1"; fi'
        Set-AutolabMonitorTemplate -RepositoryRoot $root -Poll "/bin/sh $poll {job_id}"
        $path = New-RestrictedPathDirectory -Exclude sacct, squeue, sinfo, sbatch
        try { $result = Invoke-Autolab -RepositoryRoot $root -Environment @{ PATH = $path } run }
        finally { Remove-Item -LiteralPath $path -Recurse -Force }
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.StageAfter | Should -Be 'slurm_monitor'
        Get-Calls 'poll-no-sacct' $root | Should -HaveCount 1
        (Get-AutolabRun -RepositoryRoot $root).Status | Should -Be 'submitted'
        Assert-Ledger $repo 'run_001' $true
    }

    It 'a first stdout token autolab does not map sends it to stderr''s first line' {
        $poll = New-StandIn 'poll-stderr' 'echo "unknown||$1"; echo "completed" >&2'
        Set-AutolabMonitorTemplate -RepositoryRoot $root -Poll "/bin/sh $poll {job_id}"
        $result = Invoke-Autolab -RepositoryRoot $root run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        # With no sync template a completed job is written `completed` and the stage advances.
        (Get-AutolabRun -RepositoryRoot $root).Status | Should -Be 'completed'
        $result.StageAfter | Should -Be 'extract_results'
    }
}

Describe 'a PowerShell script as a monitor command' {
    It 'runs under the pwsh of this session, named by absolute path, with the placeholders as its arguments' {
        $repo = New-Repo -Stage slurm_monitor -RunId run_001 -JobId 910006
        $script = Join-Path $hooks 'poll.ps1'
        Set-Content -LiteralPath $script -Value 'param([string] $JobId, [string] $RunDirectory) "running|RUNNING|$JobId"; Set-Content -LiteralPath (Join-Path $RunDirectory pwsh-poll.txt) -Value $PWD.Path'
        $template = Get-PwshHookTemplate -ScriptPath $script -Argument '-JobId', '{job_id}', '-RunDirectory', '{run_dir}'
        $template | Should -Match '^/\S+ '
        Set-AutolabMonitorTemplate -RepositoryRoot $repo.RepositoryRoot -Poll $template
        $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run
        $result.ExitCode | Should -Be 0 -Because $result.Output
        (Get-AutolabRun -RepositoryRoot $repo.RepositoryRoot).Status | Should -Be 'running'
        Get-Content -LiteralPath (Join-Path $repo.RunDirectory 'pwsh-poll.txt') | Should -Be $repo.RepositoryRoot
    }
}
