#Requires -Version 7.4
# Several users on one group-shared repository, as on a login node: two members of the group (alab-ann and
# alab-bob, under umask 002) run the stage at the same time on one repository whose run group also holds a
# job of a third user (alab-cy, not in the group), with the site pwsh (testbed userPwsh) and a copy of the
# module they can read. Nothing may be refused or lost. A second scenario repeats the original finding: a
# member whose umask is 022 makes the locks first, and the other member must still be able to take them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force
    $script:tb = Get-TestbedInfo
    $script:ann = $tb.users.ann
    $script:bob = $tb.users.bob
    $script:cy = $tb.users.cy
    $script:group = $tb.sharedGroup

    # Users cannot read a CI checkout (a 0700 temp folder): everything they use lives in a folder they can read.
    $script:work = Join-Path '/var/tmp' ('autolab-shared-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $work
    & chmod 755 $work
    $script:gates = Join-Path $work 'gates'
    $null = New-Item -ItemType Directory -Path $gates
    & chmod 1777 $gates
    Copy-Item -LiteralPath (Split-Path $env:AUTOLAB_SLURM_MODULE) -Destination (Join-Path $work 'module') -Recurse
    & chmod -R a+rX (Join-Path $work 'module')
    $script:moduleCopy = Join-Path $work 'module/Autolab.Slurm.psd1'
    $script:schema = Join-Path (Split-Path $env:AUTOLAB_SLURM_MODULE) 'schemas/run_manifest.schema.json'

    function script:Start-AsUser {
        <# Starts the site pwsh as $User under $Umask with a clean environment; returns the process (stdout/stderr read async). #>
        param([string] $User, [string] $Umask, [string] $Script)
        $psi = [Diagnostics.ProcessStartInfo]::new('runuser')
        $arguments = @('-u', $User, '--', 'env', '-i', "HOME=/home/$User", 'PATH=/usr/local/bin:/usr/bin:/bin', "USER=$User", 'NO_COLOR=1',
            '/bin/sh', '-c', 'umask "$0"; exec "$@"', $Umask,
            $tb.userPwsh, '-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module '$moduleCopy'`n$Script")
        foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $work
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $process; Stdout = $process.StandardOutput.ReadToEndAsync(); Stderr = $process.StandardError.ReadToEndAsync(); User = $User }
    }

    function script:Wait-User($Started, [int] $TimeoutSec = 300) {
        if (-not $Started.Process.WaitForExit($TimeoutSec * 1000)) { $Started.Process.Kill($true); $Started.Process.WaitForExit() }
        [pscustomobject]@{ User = $Started.User; ExitCode = $Started.Process.ExitCode; Stdout = $Started.Stdout.Result; Stderr = $Started.Stderr.Result }
    }

    function script:Submit-AsUser([string] $User, [string] $Gate) {
        $wrap = "while [ ! -e '$Gate' ]; do sleep 1; done"
        $out = & runuser -u $User -- env -i "HOME=/home/$User" 'PATH=/usr/bin:/bin' sbatch --parsable --job-name=shared-test --output=/dev/null --chdir=/tmp --time=5 --cpus-per-task=1 --wrap $wrap 2>&1
        if ($LASTEXITCODE -ne 0) { throw "sbatch as $User failed: $out" }
        return ("$out".Trim() -split ';')[0]
    }

    function script:New-SharedRepository {
        <#
        A repository as a member of the group creates it under umask 002 in a setgid folder: owned by alab-ann,
        group alab-share, folders 2775, files 0664. .autolab/locks does not exist yet. A run group of three
        replicates (one job each: ann's, bob's and cy's) and the base run.
        #>
        param([hashtable] $JobIds)
        $repo = Join-Path $work ('repo-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        $runs = Join-Path $repo 'experiments/plan/iter1/runs'
        foreach ($d in @('.autolab/schemas', 'docs', $runs.Substring($repo.Length + 1))) { $null = New-Item -ItemType Directory -Path (Join-Path $repo $d) -Force }
        Copy-Item -LiteralPath $schema -Destination (Join-Path $repo '.autolab/schemas/run_manifest.schema.json')
        $state = [ordered]@{
            iteration_id = 'iter1'; experiment_id = 'e1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_base'
            pending_run_id = 'run_base'; sync_status = 'pending'; max_stage_attempts = 3; max_total_iterations = 5
            run_group = @('run_ann', 'run_bob', 'run_cy')
        }
        [IO.File]::WriteAllText((Join-Path $repo '.autolab/state.json'), ($state | ConvertTo-Json -Depth 5) + "`n")
        $started = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        foreach ($run in 'run_ann', 'run_bob', 'run_cy', 'run_base') {
            $id = if ($run -eq 'run_base') { $JobIds['run_ann'] } else { $JobIds[$run] }
            $null = New-TestManifest -RepositoryRoot $repo -RunId $run -JobId $id -StartedAt $started
        }
        & chown -R "${ann}:$group" $repo
        & find $repo -type d -exec chmod 2775 '{}' +
        & find $repo -type f -exec chmod 0664 '{}' +
        return $repo
    }

    function script:Get-Mode([string] $Path) { [Convert]::ToString([int](Get-Item -LiteralPath $Path -Force).UnixFileMode, 8) }
    function script:Get-Group([string] $Path) { (& stat -c '%G' $Path).Trim() }

    # Each member runs passes until the run group can advance (or 150 s), and prints its results as JSON.
    $script:loop = @'
$results = [Collections.Generic.List[object]]::new()
$deadline = [DateTime]::UtcNow.AddSeconds(150)
while ([DateTime]::UtcNow -lt $deadline) {
    $r = Invoke-SlurmMonitorStage -RepositoryRoot '{REPO}' {ARGS} -ErrorAction Stop
    $results.Add([pscustomobject]@{ Status = $r.Status; CanAdvance = $r.CanAdvance; Probe = $r.ProbeLimitation })
    # The test lets the jobs end only once each member has made a pass with them in flight.
    if ($results.Count -eq 1) { [IO.File]::WriteAllText('{MARK}', '') }
    if ($r.CanAdvance) { break }
    Start-Sleep -Milliseconds 300
}
[pscustomobject]@{ Passes = $results.Count; Last = $results[-1]; Errors = @($Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) } | ConvertTo-Json -Depth 4 -Compress
'@
}

AfterAll {
    Stop-TestSlurmJob -JobId @($script:jobIds.Values)
    if ($script:work) { Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'two members of a group run the stage at the same time on one shared repository' {
    BeforeAll {
        $script:gate = Join-Path $gates 'open-1'
        $script:jobIds = @{
            run_ann = Submit-AsUser $ann $gate
            run_bob = Submit-AsUser $bob $gate
            run_cy  = Submit-AsUser $cy $gate
        }
        $script:repo = New-SharedRepository -JobIds $jobIds
        $annMark = Join-Path $gates 'passed-ann-1'
        $bobMark = Join-Path $gates 'passed-bob-1'
        $annRun = Start-AsUser $ann '002' ($loop.Replace('{REPO}', $repo).Replace('{ARGS}', '-UpdateState').Replace('{MARK}', $annMark))
        $bobRun = Start-AsUser $bob '002' ($loop.Replace('{REPO}', $repo).Replace('{ARGS}', '').Replace('{MARK}', $bobMark))
        # Both poll the jobs in flight (each marks its first pass), then the jobs end and both sync and settle.
        # A member that exits early opens the gate too: its output then says why.
        Wait-Until -TimeoutSec 120 -Because 'both members to make a pass with the jobs in flight' -Condition {
            ((Test-Path -LiteralPath $annMark) -and (Test-Path -LiteralPath $bobMark)) -or $annRun.Process.HasExited -or $bobRun.Process.HasExited
        }
        [IO.File]::WriteAllText($gate, '')
        $script:results = @((Wait-User $annRun), (Wait-User $bobRun))
        $script:ledger = [IO.File]::ReadAllLines((Join-Path $repo 'docs/slurm_job_list.md'))
    }

    It '<_> ends normally, without an error record' -ForEach @('ann', 'bob') {
        $result = $results | Where-Object User -EQ $tb.users.$_
        $result.ExitCode | Should -Be 0 -Because "$($result.Stdout)$($result.Stderr)"
        $json = ($result.Stdout.Trim() -split '\r?\n')[-1] | ConvertFrom-Json
        @($json.Errors) | Should -BeNullOrEmpty
        $json.Passes | Should -BeGreaterThan 1 -Because 'each member saw the jobs in flight before they ended'
        $json.Last.CanAdvance | Should -BeTrue
    }

    It 'ends every replicate synced (the third user''s job too) and the base run synced' {
        foreach ($run in 'run_ann', 'run_bob', 'run_cy', 'run_base') {
            $m = Get-Content -LiteralPath (Join-Path $repo "experiments/plan/iter1/runs/$run/run_manifest.json") -Raw | ConvertFrom-Json
            $m.status | Should -Be 'synced' -Because $run
        }
    }

    It 'keeps exactly one ledger line per run, in its final state: nothing lost, nothing doubled' {
        foreach ($run in 'run_ann', 'run_bob', 'run_cy', 'run_base') {
            $lines = @($ledger | Where-Object { ($_ + ' |').Contains("| run_id=$run |") })
            $lines | Should -HaveCount 1 -Because "$run ($($ledger -join ' / '))"
            $lines[0] | Should -Match '\| status=synced$'
        }
    }

    It 'leaves the locks, the ledger and the logs writable by the whole group' {
        $locks = Join-Path $repo '.autolab/locks'
        Get-Mode $locks | Should -Be '2775'
        $lockFiles = @(Get-ChildItem -LiteralPath $locks -File)
        $lockFiles | Should -Not -BeNullOrEmpty -Because 'the passes took locks in .autolab/locks'
        foreach ($lock in $lockFiles) {
            (Get-Mode $lock.FullName).Substring(1, 1) | Should -Match '[67]' -Because "$($lock.Name) needs g+rw"
            Get-Group $lock.FullName | Should -Be $group
        }
        foreach ($file in @('docs/slurm_job_list.md', '.autolab/state.json', 'experiments/plan/iter1/runs/run_cy/run_manifest.json', 'experiments/plan/iter1/runs/run_base/logs/slurm_monitor.log')) {
            $path = Join-Path $repo $file
            Get-Group $path | Should -Be $group -Because $file
            (Get-Mode $path).Substring((Get-Mode $path).Length - 2, 1) | Should -Match '[67]' -Because "$file needs g+rw"
        }
    }
}

Describe 'a member whose umask is 022 makes the locks; the other member can still take them' {
    It 'lets bob write after ann''s pass under umask 022 created .autolab/locks and its lock files' {
        $gate2 = Join-Path $gates 'open-2'
        [IO.File]::WriteAllText($gate2, '')
        $ids = @{ run_ann = Submit-AsUser $ann $gate2; run_bob = Submit-AsUser $bob $gate2; run_cy = Submit-AsUser $cy $gate2 }
        foreach ($id in $ids.Values) { $script:jobIds["x$id"] = $id }
        Wait-Until -TimeoutSec 120 -Because 'the jobs to end' -Condition { @((Get-SacctState -JobId @($ids.Values)).Values | Where-Object { $_ -eq 'COMPLETED' }).Count -eq 3 }
        $repo2 = New-SharedRepository -JobIds $ids
        $once = "Invoke-SlurmMonitorStage -RepositoryRoot '$repo2' -ErrorAction Stop | Out-Null; 'done'"

        $first = Wait-User (Start-AsUser $ann '022' $once)
        $first.ExitCode | Should -Be 0 -Because $first.Stderr
        $second = Wait-User (Start-AsUser $bob '002' $once)
        $second.ExitCode | Should -Be 0 -Because "bob must be able to take the locks ann made ($($second.Stderr))"
        $second.Stderr | Should -Not -Match 'UnauthorizedAccess|FileAccessDenied'
    }
}
