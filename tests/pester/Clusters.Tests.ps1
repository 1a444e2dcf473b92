#Requires -Version 7.4
# The behaviour that depends on Slurm's and OpenSSH's own, on every cluster of the test bed (testbed.json
# "clusters": Slurm 22.05 on this machine, 24.11 and 26.05 in their chroots with OpenSSH 9.2, 10.0 and 10.6
# login nodes): each cluster is reached the way a workstation user reaches it, over SSH through its login node
# (an ssh config alias; the modern ones as their non-root user), and asked about real jobs of that user; a run
# is synced and driven through the stage over SSH with a remote profile. The 22.05 cluster is also used from
# the login node itself (this machine) by a non-root user with the site pwsh.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:clusterCases = @((Get-TestbedInfo).clusters | ForEach-Object {
            @{ Name = $_.name; Release = ($_.slurmVersion -split '\.')[0..1] -join '.'; Cluster = $_ }
        })
}

BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force
    $script:tb = Get-TestbedInfo
    $script:submitted = [Collections.Generic.List[object]]::new()

    function script:Invoke-OnCluster {
        <# Runs a command as the cluster's user on the cluster (its execPrefix; on this machine, as alab-ann). #>
        param([Parameter(Mandatory)] $Cluster, [Parameter(Mandatory)] [string[]] $Command)
        $prefix = if ($Cluster.local) { @('runuser', '-u', $tb.users.ann, '--', 'env', '-i', "HOME=/home/$($tb.users.ann)", 'PATH=/usr/bin:/bin') } else { @($Cluster.execPrefix) }
        $argv = @($prefix) + $Command
        $out = & $argv[0] @($argv | Select-Object -Skip 1) 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = "$($out -join "`n")".Trim() }
    }

    function script:Submit-OnCluster {
        param([Parameter(Mandatory)] $Cluster, [Parameter(Mandatory)] [string] $Wrap, [string[]] $Extra = @(), [string] $Directory = '/tmp')
        $r = Invoke-OnCluster $Cluster (@('sbatch', '--parsable', '--job-name=clusters-test', '--output=/dev/null', "--chdir=$Directory", '--time=5', '--cpus-per-task=1') + $Extra + @('--wrap', $Wrap))
        if ($r.ExitCode -ne 0) { throw "sbatch on $($Cluster.name) failed: $($r.Output)" }
        $id = ($r.Output -split ';')[0].Trim()
        $script:submitted.Add([pscustomobject]@{ Cluster = $Cluster; Id = $id })
        return $id
    }

    function script:Get-ClusterSacct {
        <# The cluster's own sacct (not the module under test): printed JobID -> State. #>
        param($Cluster, [string[]] $JobId)
        $r = Invoke-OnCluster $Cluster @('sacct', '--noheader', '--parsable2', '--allocations', '--format=JobID,State', "--jobs=$($JobId -join ',')")
        $map = @{}
        foreach ($line in $r.Output -split "`n") { if ($line -match '^([^|]+)\|(.*)$') { $map[$Matches[1]] = $Matches[2] } }
        return $map
    }

    function script:Get-Ssh($Cluster) {
        @{ ComputerName = $Cluster.sshAlias; SshConfigPath = $tb.sshConfig; KnownHostsPath = $Cluster.knownHosts; KeyFilePath = $tb.keys.ed25519 }
    }
}

AfterAll {
    foreach ($job in $script:submitted) { $null = Invoke-OnCluster $job.Cluster @('scancel', $job.Id) }
}

Describe 'Slurm <Release> (<Name>): Get-SlurmJobState through the login node' -ForEach $clusterCases {
    BeforeAll {
        $c = $Cluster
        $gate = "/tmp/clusters-gate-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:jobs = @{
            ok  = Submit-OnCluster $c 'true'
            bad = Submit-OnCluster $c 'exit 3'
            arr = Submit-OnCluster $c 'true' -Extra '--array=0-2'
            run = Submit-OnCluster $c "while [ ! -e $gate ]; do sleep 1; done"
            cnl = Submit-OnCluster $c "while [ ! -e $gate ]; do sleep 1; done"
        }
        $script:gateFile = $gate
        Wait-Until -TimeoutSec 120 -Because "the jobs on $($c.name) to reach their states" -Condition {
            $s = Get-ClusterSacct $c @($jobs.ok, $jobs.bad, $jobs.run, $jobs.cnl)
            $s[$jobs.ok] -eq 'COMPLETED' -and $s[$jobs.bad] -eq 'FAILED' -and $s[$jobs.run] -eq 'RUNNING' -and $s[$jobs.cnl] -eq 'RUNNING'
        }
        $null = Invoke-OnCluster $c @('scancel', $jobs.cnl)
        Wait-Until -TimeoutSec 60 -Because 'the cancel to be accounted' -Condition { (Get-ClusterSacct $c @($jobs.cnl))[$jobs.cnl] -like 'CANCELLED*' }
        Wait-Until -TimeoutSec 60 -Because 'the array to end' -Condition { @((Get-ClusterSacct $c @($jobs.arr)).Values | Where-Object { $_ -eq 'COMPLETED' }).Count -eq 3 }
        $ssh = Get-Ssh $c
        $err = $null
        $script:states = @{}
        $output = Split-CmdletOutput -Type ([Autolab.Slurm.Models.SlurmJobState]) -InputObject @(Get-SlurmJobState -JobId @($jobs.Values) @ssh -Verbose -ErrorVariable err -ErrorAction SilentlyContinue 4>&1)
        foreach ($s in $output.Objects) { $script:states[$s.JobId] = $s }
        $script:ran = @($output.Verbose | Where-Object { $_ -like 'ran: *' })
        $script:errors = @($err)
    }
    AfterAll {
        $null = Invoke-OnCluster $Cluster @('touch', $gateFile)
    }

    It 'answers for every job without an error' {
        $errors | Should -BeNullOrEmpty
        $states.Count | Should -Be 5
        $states[$jobs.ok].Cluster | Should -Be $Cluster.name
    }

    It 'reports <Release>''s COMPLETED job completed, exit code 0' {
        $s = $states[$jobs.ok]
        ($s.State, $s.Status, $s.IsTerminal, $s.ExitCode) | Should -Be @('COMPLETED', 'completed', $true, 0)
    }

    It 'reports the exit 3 job failed with exit code 3 and signal 0' {
        $s = $states[$jobs.bad]
        ($s.State, $s.Status, $s.ExitCode, $s.Signal) | Should -Be @('FAILED', 'failed', 3, 0)
    }

    It 'aggregates the array of three over its tasks' {
        $s = $states[$jobs.arr]
        $s.Status | Should -Be 'completed'
        @($s.Tasks.JobId) | Should -Be @("$($jobs.arr)_0", "$($jobs.arr)_1", "$($jobs.arr)_2")
    }

    It 'reports the running job running, and the cancelled one failed (CANCELLED)' {
        ($states[$jobs.run].State, $states[$jobs.run].Status) | Should -Be @('RUNNING', 'running')
        ($states[$jobs.cnl].State, $states[$jobs.cnl].Status) | Should -Be @('CANCELLED', 'failed')
        $states[$jobs.cnl].RawState | Should -Match '^CANCELLED'
    }

    It 'completes -JobId with the login user''s own jobs and -Cluster with <Name>, through the login node' {
        $typed = "-ComputerName $($Cluster.sshAlias) -SshConfigPath '$($tb.sshConfig)' -KnownHostsPath '$($Cluster.knownHosts)' -KeyFilePath '$($tb.keys.ed25519)'"
        $line = "Get-SlurmJobState $typed -JobId $($jobs.run)"
        $found = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches)
        if ($Cluster.local) {
            # The alias logs in as root, and the jobs are alab-ann's: squeue --me on the login node lists none of them.
            @($found | Where-Object CompletionText -EQ $jobs.run) | Should -BeNullOrEmpty
        }
        else {
            $match = @($found | Where-Object CompletionText -EQ $jobs.run)
            $match.Count | Should -Be 1 -Because "the login node's squeue --me lists $($Cluster.sshUser)'s running job ($(@($found.CompletionText) -join ', '))"
            $match[0].ToolTip | Should -Be "$($jobs.run) clusters-test (RUNNING)"
        }
        $line = "Get-SlurmJobState $typed -JobId 1 -Cluster "
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) | Should -Contain $Cluster.name
    }

    It 'asks sacct for Restarts where this release has the field (24.11 and later), and 22.05 without it' {
        $sacct = @($ran | Where-Object { $_ -match '\bsacct\b' })
        $sacct | Should -Not -BeNullOrEmpty -Because 'the query ran sacct'
        if ($Release -eq '22.05') {
            $sacct[-1] | Should -Not -Match 'Restarts' -Because '22.05''s sacct refuses the field; the module learnt it'
        }
        else {
            $sacct | Should -HaveCount 1 -Because 'no extra call to find out what the installed sacct knows'
            $sacct[0] | Should -Match ',Restarts'
        }
        $states[$jobs.run].Restarts | Should -Be 0
        $states[$jobs.ok].Restarts | Should -Be 0
    }
}

Describe 'Slurm <Release> (<Name>): a run synced and advanced through its remote profile over SSH' -ForEach ($clusterCases | Where-Object { -not $_.Cluster.local }) {
    BeforeAll {
        $c = $Cluster
        $repo = New-TestRepository
        $remoteRoot = "$($c.remoteScratch.ssh)/repo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $remoteRun = "$remoteRoot/experiments/plan/iter1/runs/run_001"
        $null = Invoke-OnCluster $c @('mkdir', '-p', $remoteRun)
        $id = Submit-OnCluster $c 'echo result > out.txt; mkdir -p logs; echo log > logs/job.log; : > job.err' -Directory $remoteRun
        $manifest = New-TestManifest -RepositoryRoot $repo -JobId $id -Extra @{ remote_execution = [ordered]@{ profile = 'cluster'; mode = 'git_checkout'; remote_repo_root = $remoteRoot } }
        [IO.File]::WriteAllText((Join-Path $repo '.autolab/remote_profiles.yaml'), @"
schema_version: "1.0"
default_profile: cluster
profiles:
  cluster:
    mode: git_checkout
    login_host: $($c.sshAlias)
    remote_repo_root: $remoteRoot
    artifact_pull:
      enabled: true
      allow_patterns: ["{run_dir}/**"]
"@)
        $state = [ordered]@{ iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_001'; sync_status = 'pending'; max_stage_attempts = 3; max_total_iterations = 5 }
        [IO.File]::WriteAllText((Join-Path $repo '.autolab/state.json'), ($state | ConvertTo-Json) + "`n")
        Wait-Until -TimeoutSec 120 -Because 'the job to end' -Condition { (Get-ClusterSacct $c @($id))[$id] -eq 'COMPLETED' }
        $script:case = @{ Repo = $repo; Manifest = $manifest; Id = $id }
        $ssh = Get-Ssh $c
        $ssh.Remove('ComputerName')
        $script:result = Invoke-SlurmMonitorStage -RepositoryRoot $repo @ssh -ErrorAction Stop
    }
    AfterAll { Remove-Item -LiteralPath $case.Repo -Recurse -Force -ErrorAction SilentlyContinue }

    It 'polls through the login node, pulls the artifacts (an empty .err too) and ends synced' {
        $result.ProbeLimitation | Should -BeNullOrEmpty
        $result.Status | Should -Be 'synced'
        $result.CanAdvance | Should -BeTrue
        $runDir = Split-Path $case.Manifest
        Get-Content -LiteralPath (Join-Path $runDir 'out.txt') | Should -Be 'result'
        Get-Content -LiteralPath (Join-Path $runDir 'logs/job.log') | Should -Be 'log'
        (Get-Item -LiteralPath (Join-Path $runDir 'job.err')).Length | Should -Be 0
        $m = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json
        $m.slurm.state | Should -Be 'COMPLETED'
        @($m.artifact_sync_to_local.pulled_paths) | Should -Contain 'experiments/plan/iter1/runs/run_001/out.txt'
    }
}

Describe 'Slurm 22.05 from the login node itself, as a non-root user with the site pwsh' {
    BeforeAll {
        $ann = $tb.users.ann
        $work = Join-Path '/var/tmp' ('autolab-local-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $work
        Copy-Item -LiteralPath (Split-Path $env:AUTOLAB_SLURM_MODULE) -Destination (Join-Path $work 'module') -Recurse
        & chmod -R a+rX $work
        $repo = New-TestRepository
        $host2205 = ($tb.clusters | Where-Object local)[0]
        $id = Submit-OnCluster $host2205 'echo result > out.txt; exit 3' -Directory '/tmp'
        $manifest = New-TestManifest -RepositoryRoot $repo -JobId $id
        $state = [ordered]@{ iteration_id = 'iter1'; stage = 'slurm_monitor'; stage_attempt = 0; last_run_id = 'run_001'; sync_status = 'pending'; max_stage_attempts = 3; max_total_iterations = 5 }
        [IO.File]::WriteAllText((Join-Path $repo '.autolab/state.json'), ($state | ConvertTo-Json) + "`n")
        $userRepo = Join-Path $work 'repo'
        Move-Item -LiteralPath $repo -Destination $userRepo
        & chown -R "${ann}:" $userRepo
        Wait-Until -TimeoutSec 120 -Because 'the job to end' -Condition { (Get-ClusterSacct $host2205 @($id))[$id] -eq 'FAILED' }
        $script:local = @{ Work = $work; Repo = $userRepo; Id = $id }
        $arguments = @('-u', $ann, '--', 'env', '-i', "HOME=/home/$ann", 'PATH=/usr/bin:/bin', 'NO_COLOR=1', $tb.userPwsh, '-NoProfile', '-NonInteractive',
            '-File', (Join-Path $work 'module/bin/slurm-monitor.ps1'), '-RepositoryRoot', $userRepo, '-UpdateState')
        $script:run = Invoke-TestProcess -FilePath 'runuser' -ArgumentList $arguments -TimeoutSec 180
        if ($run.TimedOut) { throw "slurm-monitor.ps1 as $ann did not finish in 180 s (killed):`n$($run.Output)" }
    }
    AfterAll { Remove-Item -LiteralPath $local.Work -Recurse -Force -ErrorAction SilentlyContinue }

    It 'ends the failed run failed with its exit code, as alab-ann, and advances' {
        $run.ExitCode | Should -Be 0 -Because $run.Stderr
        $json = $run.Stdout | ConvertFrom-Json
        ($json.Status, $json.NextStage) | Should -Be @('failed', 'extract_results')
        $m = Get-Content -LiteralPath (Join-Path $local.Repo 'experiments/plan/iter1/runs/run_001/run_manifest.json') -Raw | ConvertFrom-Json
        ($m.failure.state, $m.failure.exit_code, $m.failure.signal) | Should -Be @('FAILED', 3, 0)
        (Get-Content -LiteralPath (Join-Path $local.Repo '.autolab/state.json') -Raw | ConvertFrom-Json).stage | Should -Be 'extract_results'
        (& stat -c '%U' (Join-Path $local.Repo 'docs/slurm_job_list.md')).Trim() | Should -Be $tb.users.ann
    }
}
