#Requires -Version 7.4
# The fault battery: what must hold when things go wrong, on the real cluster and sshd. Faults are injected
# only with what a test can do without stopping the shared daemons: shims first on PATH, a port nothing
# listens on, a second known_hosts, a tmpfs, chmod, symbolic links, signals to a process the test started.
# Each Describe is one claim of README's "Guarantees" under faults.

BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force
    $script:tb = Get-TestbedInfo
    $script:savedPath = $env:PATH
    $script:jobs = [Collections.Generic.List[string]]::new()

    function script:New-FaultRepo {
        <# A repository at slurm_monitor with one SLURM run (job -JobId) as launch leaves it. #>
        param([string] $JobId = '99999999', [string] $StartedAt = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'), [string] $Status = 'submitted', [hashtable] $Extra = @{}, [hashtable] $State = @{})
        $repo = New-TestRepository
        $manifest = New-TestManifest -RepositoryRoot $repo -JobId $JobId -StartedAt $StartedAt -Status $Status -Extra $Extra
        $s = [ordered]@{ iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_001'; sync_status = 'pending'; max_stage_attempts = 3; max_total_iterations = 5 }
        foreach ($k in $State.Keys) { $s[$k] = $State[$k] }
        [IO.File]::WriteAllText((Join-Path $repo '.autolab/state.json'), ($s | ConvertTo-Json -Depth 5) + "`n")
        [pscustomobject]@{ Repo = $repo; Manifest = $manifest; RunDir = (Split-Path $manifest); Ledger = (Join-Path $repo 'docs/slurm_job_list.md'); State = (Join-Path $repo '.autolab/state.json') }
    }

    function script:Read-Json([string] $Path) { Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable }

    function script:Invoke-StagePass($Case, [hashtable] $With = @{}) {
        $err = $null
        $r = Invoke-SlurmMonitorStage -RepositoryRoot $Case.Repo @With -ErrorVariable err -ErrorAction SilentlyContinue
        [pscustomobject]@{ Result = $r; Errors = @($err) }
    }

    function script:Use-Shim([string] $Name, [string] $Body) {
        <# A command of that name first on PATH for this process (undone in AfterEach). #>
        $dir = New-TestDirectory
        $null = New-FakeCommand -Directory $dir -Name $Name -Body $Body
        $env:PATH = "${dir}:$env:PATH"
        return $dir
    }

    function script:Write-SshConfig([string] $Alias, [int] $Port, [string] $KnownHosts) {
        $dir = New-TestDirectory
        $path = Join-Path $dir 'ssh_config'
        [IO.File]::WriteAllText($path, @"
Host $Alias
    HostName 127.0.0.1
    Port $Port
    User $($tb.sshUser)
    IdentityFile "$($tb.keys.ed25519)"
    UserKnownHostsFile "$KnownHosts"
"@)
        return $path
    }

    function script:Set-RemoteProfile($Case, [string] $Alias, [string] $RemoteRoot) {
        [IO.File]::WriteAllText((Join-Path $Case.Repo '.autolab/remote_profiles.yaml'), @"
schema_version: "1.0"
default_profile: cluster
profiles:
  cluster:
    mode: git_checkout
    login_host: $Alias
    remote_repo_root: $RemoteRoot
    artifact_pull:
      enabled: true
"@)
    }
}

AfterAll { Stop-TestSlurmJob -JobId @($script:jobs) }

Describe 'Faults and hostile input' {
AfterEach { $env:PATH = $script:savedPath }

Describe 'state.json edited by someone else during a pass is kept' {
    It 'keeps the history entry and pending_run_id autolab wrote while the pass ran; only sync_status, stage_attempt and stage change' {
        $case = New-FaultRepo -State @{ pending_run_id = 'run_001'; history = @() }
        # sacct itself plays autolab: it adds a history entry and another experiment_id to state.json meanwhile.
        $python = (Get-Command python3 -CommandType Application | Select-Object -First 1).Source
        $edit = "import json; p='$($case.State)'; s=json.load(open(p)); s['history'] = s['history'] or [{'stage':'launch','note':'written during the pass'}]; s['experiment_id']='e-meanwhile'; open(p,'w').write(json.dumps(s, indent=2)+'\n')"
        $null = Use-Shim sacct "'$python' -c `"$edit`"`nexec /usr/bin/sacct `"`$@`""
        $r = Invoke-StagePass $case -With @{ UpdateState = $true }
        $r.Errors | Should -BeNullOrEmpty
        $state = Read-Json $case.State
        @($state.history).Count | Should -Be 1
        $state.history[0].note | Should -Be 'written during the pass'
        $state.experiment_id | Should -Be 'e-meanwhile'
        $state.pending_run_id | Should -Be 'run_001'
        $state.stage_attempt | Should -Be 0
    }
}

Describe 'an unreachable or untrusted login node is a probe limitation, never a failed run' {
    BeforeAll {
        $script:remoteRoot = New-TestDirectory
        $script:unreachable = @(
            @{ Cause = 'a port nothing listens on'; Port = (Get-FreeTcpPort); KnownHosts = $tb.knownHosts; Expect = 'SshConnectionFailed' }
            @{ Cause = 'a changed host key'; Port = $tb.sshPort; KnownHosts = $tb.knownHostsWrong; Expect = 'HostKeyMismatch' }
        )
    }

    It 'keeps a COMPLETED job''s run running over <Cause>: no sync attempt counted, a note naming <Expect>, still running after three passes' -ForEach @(
        @{ Cause = 'a port nothing listens on'; Expect = 'SshConnectionFailed|Cannot connect' }
        @{ Cause = 'a changed host key'; Expect = 'CHANGED' }
    ) {
        $setup = $unreachable | Where-Object Cause -EQ $Cause
        $config = Write-SshConfig -Alias 'flaky-login' -Port $setup.Port -KnownHosts $setup.KnownHosts
        $case = New-FaultRepo -Status running -Extra @{
            remote_execution = [ordered]@{ profile = 'cluster'; mode = 'git_checkout'; remote_repo_root = $remoteRoot }
            slurm            = [ordered]@{ job_id = '99999999'; state = 'COMPLETED'; raw_state = 'COMPLETED'; end_time = '2026-12-01T00:00:00Z' }
        }
        Set-RemoteProfile $case -Alias 'flaky-login' -RemoteRoot $remoteRoot
        for ($pass = 1; $pass -le 3; $pass++) {
            $r = Invoke-StagePass $case -With @{ SshConfigPath = $config }
            $r.Errors | Should -BeNullOrEmpty
            $r.Result.Status | Should -Be 'running' -Because "pass ${pass}: a login node that cannot be reached is not a failed transfer"
            $r.Result.ProbeLimitation | Should -Match $Expect
        }
        $m = Read-Json $case.Manifest
        $m.artifact_sync_to_local.Contains('attempts') | Should -BeFalse -Because 'no attempt is counted'
        $m.Contains('failure') | Should -BeFalse
        (Get-Content -LiteralPath $case.Ledger -Raw) | Should -Match "note: .*($Expect)" -Because 'the ledger note names the real cause'
    }
}

Describe 'sacct that exits 0 with an error on stderr and no rows is a failed call' {
    It 'does not mark a 3-hour-old run LOST; the pass notes the limitation' {
        $case = New-FaultRepo -StartedAt ([DateTime]::UtcNow.AddHours(-3).ToString('yyyy-MM-ddTHH:mm:ssZ'))
        $null = Use-Shim sacct "echo 'sacct: error: Problem talking to the database: Connection refused' >&2`nexit 0"
        # The controller answers but has forgotten the job: with sacct's silence read as "not found", the run
        # would be LOST (three hours without a known state).
        $null = New-FakeCommand -Directory ($env:PATH -split ':')[0] -Name squeue -Body 'exit 0'
        $r = Invoke-StagePass $case
        $r.Result.Status | Should -Be 'submitted'
        $r.Result.ProbeLimitation | Should -Match 'Problem talking to the database'
        (Read-Json $case.Manifest).Contains('failure') | Should -BeFalse
    }
}

Describe 'LOST is not forever' {
    It 'follows a job that reappears (sacct answers COMPLETED again) and notes it' {
        $id = Submit-TestSlurmJob -Name 'fault-lost' -Wrap "echo ok > '$([IO.Path]::GetTempPath())fault-lost-out'"
        $script:jobs.Add($id)
        Wait-Until -TimeoutSec 120 -Because 'the job to end' -Condition { (Get-SacctState -JobId $id)[$id] -eq 'COMPLETED' }
        $case = New-FaultRepo -JobId $id -Status failed -Extra @{
            failure      = [ordered]@{ state = 'LOST'; reason = 'the job vanished from sacct and squeue'; exit_code = $null; signal = $null }
            completed_at = '2026-12-04T00:00:00Z'
        }
        $m = Read-Json $case.Manifest
        $m.timestamps.completed_at = '2026-12-04T00:00:00Z'
        [IO.File]::WriteAllText($case.Manifest, ($m | ConvertTo-Json -Depth 10) + "`n")
        $r = Invoke-StagePass $case
        $r.Errors | Should -BeNullOrEmpty
        $r.Result.Status | Should -Be 'synced' -Because 'the job is known again (COMPLETED) and its run directory checks out'
        (Read-Json $case.Manifest).Contains('failure') | Should -BeFalse
        (Get-Content -LiteralPath $case.Ledger -Raw) | Should -Match "reappeared in the scheduler \(COMPLETED\)"
    }
}

Describe 'a start time in the future is said, not silently waited on' {
    It 'reports the clock skew in the result and the ledger note, and does not mark the run LOST' {
        $case = New-FaultRepo -StartedAt ([DateTime]::UtcNow.AddDays(200).ToString('yyyy-MM-ddTHH:mm:ssZ'))
        $r = Invoke-StagePass $case
        $r.Errors | Should -BeNullOrEmpty
        $r.Result.ProbeLimitation | Should -Match 'in the future \(clock skew\?\)'
        (Get-Content -LiteralPath $case.Ledger -Raw) | Should -Match 'note: .*in the future'
        (Read-Json $case.Manifest).status | Should -Not -Be 'failed'
    }
}

Describe 'no writer writes outside the repository' {
    It 'refuses a <What> that is a symlink to a file outside (PathOutsideRepository); the outside file stays as it was' -ForEach @(
        @{ What = 'monitor log'; Relative = 'experiments/plan/iter1/runs/run_001/logs/slurm_monitor.log' }
        @{ What = 'ledger'; Relative = 'docs/slurm_job_list.md' }
        @{ What = 'run manifest'; Relative = 'experiments/plan/iter1/runs/run_001/run_manifest.json' }
    ) {
        $marker = Join-Path ([IO.Path]::GetTempPath()) ('autolab-fault-' + [guid]::NewGuid().ToString('N'))
        $case = New-FaultRepo -JobId "123; touch $marker"
        $outsideDir = New-TestDirectory
        $outside = Join-Path $outsideDir 'victim'
        $link = Join-Path $case.Repo $Relative
        if (Test-Path -LiteralPath $link) { Copy-Item -LiteralPath $link -Destination $outside; Remove-Item -LiteralPath $link }
        else { [IO.File]::WriteAllText($outside, "precious`n") }
        $null = New-Item -ItemType Directory -Path (Split-Path $link) -Force
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $outside
        $before = Get-FileHashText $outside
        { Invoke-SlurmMonitorStage -RepositoryRoot $case.Repo -ErrorAction Stop } | Should -Throw -ErrorId 'PathOutsideRepository,Invoke-SlurmMonitorStage'
        Get-FileHashText $outside | Should -Be $before
        Test-Path -LiteralPath $marker | Should -BeFalse
    }

    It 'refuses an iteration_id with ../ before reading or writing anything (StateInvalid); the manifest it names stays as it was' {
        $case = New-FaultRepo
        $outside = New-TestDirectory
        $victimDir = Join-Path $outside 'runs/run_001'
        $null = New-Item -ItemType Directory -Path $victimDir -Force
        Copy-Item -LiteralPath $case.Manifest -Destination (Join-Path $victimDir 'run_manifest.json')
        $state = Read-Json $case.State
        $state.iteration_id = [IO.Path]::GetRelativePath((Join-Path $case.Repo 'experiments/plan'), $outside)
        [IO.File]::WriteAllText($case.State, ($state | ConvertTo-Json) + "`n")
        $before = Get-TreeHashes $outside
        { Invoke-SlurmMonitorStage -RepositoryRoot $case.Repo -ErrorAction Stop } | Should -Throw -ErrorId 'StateInvalid,Invoke-SlurmMonitorStage'
        Compare-TreeMap $before (Get-TreeHashes $outside) | Should -BeNullOrEmpty
    }

    It 'refuses a job id "123; touch <file>" (InvalidJobId): no --clusters=''touch <file>'' ever reaches sacct' {
        $marker = Join-Path ([IO.Path]::GetTempPath()) ('autolab-fault-' + [guid]::NewGuid().ToString('N'))
        $case = New-FaultRepo -JobId "123; touch $marker"
        $record = Join-Path (New-TestDirectory) 'sacct-args'
        $null = Use-Shim sacct "printf '%s\n' `"`$@`" >> '$record'"
        { Invoke-SlurmMonitorStage -RepositoryRoot $case.Repo -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidJobId,Invoke-SlurmMonitorStage'
        Test-Path -LiteralPath $record | Should -BeFalse
        Test-Path -LiteralPath $marker | Should -BeFalse
    }
}

Describe 'a signal ends the stage honestly' {
    It 'on <Signal> while sacct hangs: kills sacct''s process tree, exits <Code> and says why' -ForEach @(
        @{ Signal = 'TERM'; Code = 143 }
        @{ Signal = 'INT'; Code = 130 }
    ) {
        $case = New-FaultRepo
        $pidFile = Join-Path (New-TestDirectory) 'sleep.pid'
        $shimDir = Use-Shim sacct "sleep 600 &`necho `$! > '$pidFile'`nwait"
        $pwsh = Get-PwshInvocation
        # Through `env --default-signal=INT`: a process started with SIGINT ignored (anything started in the
        # background by a non-interactive shell, as a test runner may be) keeps ignoring it, as POSIX asks,
        # and so does the pwsh it starts; autolab's python3 and a terminal start the hook with SIGINT at default.
        $psi = [Diagnostics.ProcessStartInfo]::new('env')
        foreach ($a in @('--default-signal=INT', $pwsh.FilePath) + @($pwsh.Prefix) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path (Split-Path $env:AUTOLAB_SLURM_MODULE) 'bin/slurm-monitor.ps1'), '-RepositoryRoot', $case.Repo)) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PATH'] = $env:PATH
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($psi)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        Wait-Until -TimeoutSec 60 -Because 'the stage to start sacct' -Condition { Test-Path -LiteralPath $pidFile }
        $sleepPid = [int](Get-Content -LiteralPath $pidFile)
        & kill "-$Signal" $process.Id
        $exited = $process.WaitForExit(60000)
        if (-not $exited) { $process.Kill($true) }
        $exited | Should -BeTrue
        $process.ExitCode | Should -Be $Code
        $stderr.Result | Should -Match "stopped by SIG$Signal"
        Wait-Until -TimeoutSec 10 -Because 'the hung sacct''s child to be gone' -Condition { -not (Test-ProcessAlive -Id $sleepPid) }
        (Read-Json $case.Manifest).status | Should -Be 'submitted'
    }
}

Describe 'every target of a pass is checked before the first write, and each message is true' {
    It 'a read-only ledger: FileReadOnly before the manifest advances' {
        $id = Submit-TestSlurmJob -Name 'fault-ro' -Wrap 'exit 3'
        $script:jobs.Add($id)
        Wait-Until -TimeoutSec 120 -Because 'the job to fail' -Condition { (Get-SacctState -JobId $id)[$id] -eq 'FAILED' }
        $case = New-FaultRepo -JobId $id
        [IO.File]::WriteAllText($case.Ledger, "# SLURM Job Ledger`n`n")
        (Get-Item -LiteralPath $case.Ledger).UnixFileMode = 'UserRead, GroupRead, OtherRead'
        $before = Get-TreeHashes $case.Repo
        { Invoke-SlurmMonitorStage -RepositoryRoot $case.Repo -ErrorAction Stop } | Should -Throw -ErrorId 'FileReadOnly,Invoke-SlurmMonitorStage'
        Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty -Because 'the manifest did not advance to failed before the ledger was found read-only'
    }

    It '.autolab/locks being a file: FileWriteFailed naming it, nothing written' {
        $case = New-FaultRepo
        [IO.File]::WriteAllText((Join-Path $case.Repo '.autolab/locks'), 'not a folder')
        $before = Get-TreeHashes $case.Repo
        $err = { Invoke-SlurmMonitorStage -RepositoryRoot $case.Repo -ErrorAction Stop } | Should -Throw -ErrorId 'FileWriteFailed,Invoke-SlurmMonitorStage' -PassThru
        $err.Exception.Message | Should -Match ([regex]::Escape((Join-Path $case.Repo '.autolab/locks')))
        Compare-TreeMap $before (Get-TreeHashes $case.Repo) | Should -BeNullOrEmpty
    }

    It 'a read-only file system: FileAccessDenied at once (no 30 s wait, no "another process"), nothing written' {
        $mount = New-TestDirectory
        & mount -t tmpfs -o size=4m tmpfs $mount
        try {
            $case = New-FaultRepo
            Copy-Item -Path (Join-Path $case.Repo '*') -Destination $mount -Recurse -Force
            Copy-Item -LiteralPath (Join-Path $case.Repo '.autolab') -Destination $mount -Recurse -Force
            & mount -o remount,ro $mount
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $err = { Invoke-SlurmMonitorStage -RepositoryRoot $mount -ErrorAction Stop } | Should -Throw -ErrorId 'FileAccessDenied,Invoke-SlurmMonitorStage' -PassThru
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 25 -Because 'a hang guard: it must not wait for a lock timeout'
            $err.Exception.Message | Should -Not -Match 'another process'
            $err.Exception.Message | Should -Match 'nothing was written'
        }
        finally {
            & umount $mount
        }
    }

    It 'a held ledger lock in a hook: LockTimeout inside autolab''s poll timeout, saying the ledger was not written' {
        $case = New-FaultRepo
        [IO.File]::WriteAllText((Join-Path $case.Repo '.autolab/verifier_policy.yaml'), "slurm:`n  monitor:`n    poll_timeout_seconds: 8`n")
        $lockDir = Join-Path $case.Repo '.autolab/locks'
        $null = New-Item -ItemType Directory -Path $lockDir -Force
        # The module's own lock for the ledger, held by this process meanwhile.
        $lockPath = [Autolab.Slurm.IO.FileLock]::LockPathFor($case.Ledger, $case.Repo)
        $held = [IO.FileStream]::new($lockPath, 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $r = Invoke-ChildPwsh -TimeoutSec 60 -Arguments @('-File', (Join-Path (Split-Path $env:AUTOLAB_SLURM_MODULE) 'bin/slurm-monitor.ps1'), '-Hook', 'Poll', '-RunDirectory', $case.RunDir, '-RepositoryRoot', $case.Repo)
        }
        finally { $held.Dispose() }
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 1
        $r.Stderr | Should -Match 'slurm-monitor: LockTimeout: .*ledger .* was not written'
        $r.Stderr | Should -Not -Match 'Nothing was written'
    }
}

Describe 'a full disk never blocks later passes' {
    It 'removes a partial download that failed for lack of space, and says so' {
        $case = New-FaultRepo
        $source = New-TestDirectory
        $null = New-Item -ItemType Directory -Path (Join-Path $source 'big') -Force
        $bytes = [byte[]]::new(3MB)
        [Random]::new(3).NextBytes($bytes)
        [IO.File]::WriteAllBytes((Join-Path $source 'big/data.bin'), $bytes)
        [IO.File]::WriteAllText((Join-Path $source 'small.txt'), "ok`n")
        $manifestText = [IO.File]::ReadAllText($case.Manifest)
        & mount -t tmpfs -o size=1m tmpfs $case.RunDir
        try {
            [IO.File]::WriteAllText((Join-Path $case.RunDir 'run_manifest.json'), $manifestText)
            # One file at a time (big/data.bin first): the next file must land once the failed partial is gone.
            $r = Sync-RunArtifacts -ManifestPath (Join-Path $case.RunDir 'run_manifest.json') -Source $source -ThrottleLimit 1 -ErrorAction SilentlyContinue
            $r.Status | Should -Be 'failed'
            ($r.Failures | Where-Object Path -Like '*data.bin').Reason | Should -Match 'no space left on device.*partial download was removed'
            @(Get-ChildItem -LiteralPath $case.RunDir -Recurse -Force -Filter '*.autolab-part') | Should -BeNullOrEmpty
            Test-Path -LiteralPath (Join-Path $case.RunDir 'small.txt') | Should -BeTrue
        }
        finally { & umount $case.RunDir }
    }
}
}
