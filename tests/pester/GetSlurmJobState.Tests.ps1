#Requires -Version 7.4
# Get-SlurmJobState against the real one-node cluster (tests/infra/up.sh). The jobs are submitted once
# and awaited together; fake sacct/squeue scripts stand in only where the real cluster cannot produce
# the case on demand (controller down, a hung or garbled command, no Slurm client at all).
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force

    $script:suffix = ',Autolab.Slurm.Commands.GetSlurmJobStateCommand'
    $script:stateType = [Autolab.Slurm.Models.SlurmJobState]
    # Valid in shape, above Slurm's largest job id (MaxJobId 67043328), so no cluster ever knows it.
    $script:unknownId = '99999999'
    $script:sacctLine = '^ran: .*\bsacct --'
    $script:squeueLine = '^ran: .*\bsqueue --'

    function script:Get-StartTimeSeconds([string[]] $Verbose) {
        $line = @($Verbose | Where-Object { $_ -match $sacctLine })[0]
        if ($line -notmatch '--starttime now-(\d+)seconds') { throw "no --starttime in '$line'" }
        return [long]$Matches[1]
    }

    function script:Get-UtcText([DateTime] $Time) { $Time.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
}

Describe 'Get-SlurmJobState' {
    BeforeAll {
        $script:jobs = [ordered]@{}
        try {
            $jobs.ok = Submit-TestSlurmJob -Name 'gsjs-ok' -Wrap 'true'
            $jobs.bad = Submit-TestSlurmJob -Name 'gsjs-bad' -Wrap 'exit 3'
            $jobs.arr = Submit-TestSlurmJob -Name 'gsjs-arr' -Wrap 'sleep 1' -ExtraArgs '--array=0-2'
            $jobs.run = Submit-TestSlurmJob -Name 'gsjs-run' -Wrap 'sleep 300'
            $jobs.cnl = Submit-TestSlurmJob -Name 'gsjs-cnl' -Wrap 'sleep 300'
            $jobs.hld = Submit-TestSlurmJob -Name 'gsjs-hld' -Wrap 'sleep 60' -ExtraArgs '--hold'
            # Held as well: a het job cannot start on one node and must not hold back other suites' jobs.
            $jobs.het = Submit-TestSlurmJob -Name 'gsjs-het' -Wrap 'sleep 20' -ExtraArgs '--hold' -Component 'sleep 20'

            $null = Wait-Until -TimeoutSec 120 -Because "the test jobs to settle ($($jobs.Values -join ', '))" -Condition {
                $s = Get-SacctState -JobId @($jobs.Values)
                $s[$jobs.ok] -eq 'COMPLETED' -and $s[$jobs.bad] -eq 'FAILED' -and
                $s["$($jobs.arr)_0"] -eq 'COMPLETED' -and $s["$($jobs.arr)_1"] -eq 'COMPLETED' -and $s["$($jobs.arr)_2"] -eq 'COMPLETED' -and
                $s[$jobs.run] -eq 'RUNNING' -and $s[$jobs.cnl] -eq 'RUNNING' -and
                $s[$jobs.hld] -eq 'PENDING' -and $s["$($jobs.het)+0"] -eq 'PENDING' -and $s["$($jobs.het)+1"] -eq 'PENDING'
            }
            $null = Wait-Until -TimeoutSec 30 -Because "the controller to report JobHeldUser for $($jobs.hld)" -Condition {
                (Get-SqueueReason -JobId $jobs.hld) -eq 'JobHeldUser'
            }
            Stop-TestSlurmJob -JobId $jobs.cnl
            $null = Wait-Until -TimeoutSec 30 -Because "job $($jobs.cnl) to be CANCELLED in sacct" -Condition {
                (Get-SacctState -JobId $jobs.cnl)[$jobs.cnl] -like 'CANCELLED*'
            }
        }
        catch {
            Stop-TestSlurmJob -JobId @($jobs.Values)
            throw
        }
    }
    AfterAll {
        Stop-TestSlurmJob -JobId @($jobs.Values)
    }

    Context 'real jobs by id' {
        It 'reports a held job as pending with reason JobHeldUser' {
            $s = Get-SlurmJobState -JobId $jobs.hld
            $s.JobId | Should -Be $jobs.hld
            $s.Name | Should -Be 'gsjs-hld'
            $s.State | Should -Be 'PENDING'
            $s.Status | Should -Be 'pending'
            $s.IsTerminal | Should -BeFalse
            $s.Reason | Should -Be 'JobHeldUser'
            $s.StartTime | Should -BeNullOrEmpty
            $s.EndTime | Should -BeNullOrEmpty
            $s.ManifestPath | Should -BeNullOrEmpty
            $s.Source | Should -BeIn 'sacct', 'squeue'
        }

        It 'reports a running job as running, with its node and start time' {
            $s = Get-SlurmJobState $jobs.run
            $s.State | Should -Be 'RUNNING'
            $s.RawState | Should -Be 'RUNNING'
            $s.Status | Should -Be 'running'
            $s.IsTerminal | Should -BeFalse
            $s.NodeList | Should -Not -BeNullOrEmpty
            $s.StartTime | Should -Not -BeNullOrEmpty
            $s.EndTime | Should -BeNullOrEmpty
            $s.Partition | Should -Be 'debug'
        }

        It 'reports a completed job from sacct' {
            $s = Get-SlurmJobState $jobs.ok
            $s.Name | Should -Be 'gsjs-ok'
            $s.State | Should -Be 'COMPLETED'
            $s.RawState | Should -Be 'COMPLETED'
            $s.Status | Should -Be 'completed'
            $s.IsTerminal | Should -BeTrue
            $s.ExitCode | Should -Be 0
            $s.Signal | Should -Be 0
            $s.Source | Should -Be 'sacct'
            $s.Cluster | Should -Be 'autolab'
            $s.StartTime | Should -Not -BeNullOrEmpty
            $s.EndTime | Should -BeGreaterOrEqual $s.StartTime
            $s.NodeList | Should -Not -BeNullOrEmpty
            $s.Tasks.Count | Should -Be 0
        }

        It 'reports exit 3 as failed with ExitCode 3' {
            $s = Get-SlurmJobState $jobs.bad
            $s.State | Should -Be 'FAILED'
            $s.Status | Should -Be 'failed'
            $s.IsTerminal | Should -BeTrue
            $s.ExitCode | Should -Be 3
            $s.Signal | Should -Be 0
        }

        It 'reports a cancelled job as failed and terminal, keeping the raw state text' {
            $s = Get-SlurmJobState $jobs.cnl
            $s.RawState | Should -Be 'CANCELLED by 0'
            $s.State | Should -Be 'CANCELLED'
            $s.Status | Should -Be 'failed'
            $s.IsTerminal | Should -BeTrue
        }

        It 'aggregates an array parent over its tasks' {
            $s = @(Get-SlurmJobState $jobs.arr)
            $s.Count | Should -Be 1
            $s[0].JobId | Should -Be $jobs.arr
            $s[0].Status | Should -Be 'completed'
            $s[0].IsTerminal | Should -BeTrue
            @($s[0].Tasks.JobId) | Should -Be @("$($jobs.arr)_0", "$($jobs.arr)_1", "$($jobs.arr)_2")
            @($s[0].Tasks.Status | Select-Object -Unique) | Should -Be @('completed')
        }

        It 'reports one array task by its id' {
            $s = @(Get-SlurmJobState "$($jobs.arr)_1")
            $s.Count | Should -Be 1
            $s[0].JobId | Should -Be "$($jobs.arr)_1"
            $s[0].Status | Should -Be 'completed'
            $s[0].Tasks.Count | Should -Be 0
        }

        It 'expands an array range to one object per task' {
            $s = @(Get-SlurmJobState "$($jobs.arr)_[0-2]")
            @($s.JobId) | Should -Be @("$($jobs.arr)_0", "$($jobs.arr)_1", "$($jobs.arr)_2")
            @($s.Status | Select-Object -Unique) | Should -Be @('completed')
        }

        It 'aggregates a (held) het job and reports one component by N+1' {
            $parent = @(Get-SlurmJobState $jobs.het)
            $parent.Count | Should -Be 1
            $parent[0].Status | Should -Be 'pending'
            $parent[0].IsTerminal | Should -BeFalse
            @($parent[0].Tasks.JobId) | Should -Be @("$($jobs.het)+0", "$($jobs.het)+1")
            $component = @(Get-SlurmJobState "$($jobs.het)+1")
            $component.Count | Should -Be 1
            $component[0].JobId | Should -Be "$($jobs.het)+1"
            $component[0].Status | Should -Be 'pending'
        }

        It 'reports an id no one knows as unknown from no source, with a warning saying where it was looked for' {
            $s = Get-SlurmJobState $unknownId -ErrorVariable err -WarningVariable warn -WarningAction SilentlyContinue
            $err.Count | Should -Be 0
            @($s).Count | Should -Be 1
            $s.JobId | Should -Be $unknownId
            $s.State | Should -Be 'UNKNOWN'
            $s.Status | Should -Be 'unknown'
            $s.IsTerminal | Should -BeFalse
            $s.Source | Should -Be 'none'
            $warn.Count | Should -Be 1
            $since = Get-UtcText ([DateTime]::UtcNow.AddDays(-30))
            "$($warn[0])" | Should -Match "^Job $unknownId is reported UNKNOWN: it is neither in sacct's window \(jobs since $($since.Substring(0, 10))T\d\d:\d\d:\d\dZ\) nor known to squeue"
            "$($warn[0])" | Should -Match '-Since'
        }

        It 'warns only for the ids no one knows' {
            $s = Get-SlurmJobState $jobs.ok, $unknownId, $jobs.hld -WarningVariable warn -WarningAction SilentlyContinue
            @($s.Status) | Should -Be @('completed', 'unknown', 'pending')
            $warn.Count | Should -Be 1
            "$($warn[0])" | Should -Match "^Job $unknownId "
        }

        It 'returns one object per id, in input order, from one sacct and one squeue call' {
            $ids = @($jobs.bad, $unknownId, $jobs.hld, $jobs.ok, $jobs.run, $jobs.cnl)
            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState $ids -Verbose -WarningAction SilentlyContinue 4>&1)
            @($out.Objects.JobId) | Should -Be $ids
            @($out.Objects.Status) | Should -Be @('failed', 'unknown', 'pending', 'completed', 'running', 'failed')
            @($out.Verbose -match $sacctLine).Count | Should -Be 1
            @($out.Verbose -match $squeueLine).Count | Should -Be 1
        }

        It 'does not ask squeue when sacct settles every id' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState $jobs.ok, $jobs.bad -Verbose 4>&1)
            $out.Objects.Count | Should -Be 2
            @($out.Verbose -match $sacctLine).Count | Should -Be 1
            @($out.Verbose -match $squeueLine).Count | Should -Be 0
        }

        It 'refuses an invalid id in a batch and still answers for the others' {
            $s = Get-SlurmJobState $jobs.ok, 'abc', $jobs.bad -ErrorVariable err -ErrorAction SilentlyContinue
            @($s.JobId) | Should -Be @($jobs.ok, $jobs.bad)
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "InvalidJobId$suffix"
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err[0].Exception.Message | Should -Match "'abc'"
        }

        It 'Get-SlurmJobState 1,abc,2 gives InvalidJobId and objects for 1 and 2' {
            $s = Get-SlurmJobState 1, abc, 2 -ErrorVariable err -ErrorAction SilentlyContinue
            @($s.JobId) | Should -Be @('1', '2')
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'InvalidJobId,Autolab.Slurm.Commands.GetSlurmJobStateCommand'
        }

        It 'refuses every malformed shape with InvalidJobId' {
            $bad = @('abc', '12abc', '1_[3-1]', '1;id', '1 2', '-1', '1_', '1+', '1.batch')
            $s = Get-SlurmJobState $bad -ErrorVariable err -ErrorAction SilentlyContinue
            $s | Should -BeNullOrEmpty
            $err.Count | Should -Be $bad.Count
            @($err.FullyQualifiedErrorId | Select-Object -Unique) | Should -Be @("InvalidJobId$suffix")
        }

        It 'asks sacct with the default 30-day window and -Cluster adds --clusters' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState $jobs.ok -Verbose 4>&1)
            Get-StartTimeSeconds $out.Verbose | Should -BeGreaterOrEqual (30 * 86400 - 5)
            Get-StartTimeSeconds $out.Verbose | Should -BeLessOrEqual (30 * 86400 + 60)
            @($out.Verbose -match '--clusters') | Should -BeNullOrEmpty

            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState $jobs.ok, $jobs.hld -Cluster autolab -Verbose 4>&1)
            @($out.Verbose -match "$sacctLine.*--clusters=autolab").Count | Should -Be 1
            @($out.Verbose -match "$squeueLine.*--clusters=autolab").Count | Should -Be 1
            @($out.Objects.Status) | Should -Be @('completed', 'pending')
            @($out.Objects.Cluster | Select-Object -Unique) | Should -Be @('autolab')
        }

        It '-Since sets the sacct window' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState $jobs.ok -Since ([DateTime]::UtcNow.AddHours(-5)) -Verbose 4>&1)
            $seconds = Get-StartTimeSeconds $out.Verbose
            $seconds | Should -BeGreaterOrEqual (5 * 3600 - 5)
            $seconds | Should -BeLessOrEqual (5 * 3600 + 60)
            $out.Objects[0].Status | Should -Be 'completed'
        }
    }

    Context 'typed output' {
        It 'emits Autolab.Slurm.Models.SlurmJobState with the documented properties' {
            $s = Get-SlurmJobState $jobs.bad
            $s | Should -BeOfType ([Autolab.Slurm.Models.SlurmJobState])
            $s.PSObject.TypeNames[0] | Should -Be 'Autolab.Slurm.Models.SlurmJobState'
            $names = $s.PSObject.Properties.Name
            foreach ($name in 'JobId', 'ManifestPath', 'Cluster', 'Name', 'State', 'RawState', 'Status', 'IsTerminal', 'Reason',
                'ExitCode', 'Signal', 'DerivedExitCode', 'Restarts', 'SubmitTime', 'StartTime', 'EndTime', 'Elapsed', 'NodeList',
                'Partition', 'Source', 'ObservedAt', 'Tasks') {
                $names | Should -Contain $name
            }
            $s.ExitCode | Should -BeOfType ([int])
            $s.EndTime | Should -BeOfType ([DateTimeOffset])
            $s.ObservedAt | Should -BeOfType ([DateTimeOffset])
            $s.ObservedAt.Offset | Should -Be ([TimeSpan]::Zero)
            (Get-Command Get-SlurmJobState).OutputType.Type | Should -Contain ([Autolab.Slurm.Models.SlurmJobState])
        }

        It 'has a default table view with JobId, Name, State, Status, ExitCode, Reason (why a job pends)' {
            $expected = @('JobId', 'Name', 'State', 'Status', 'ExitCode', 'Reason')
            $view = @((Get-FormatData -TypeName Autolab.Slurm.Models.SlurmJobState).FormatViewDefinition |
                    Where-Object { $_.Control -is [System.Management.Automation.TableControl] })[0]
            @($view.Control.Headers.Label) | Should -Be $expected

            $rendering = $PSStyle.OutputRendering
            try {
                $PSStyle.OutputRendering = 'PlainText'
                $text = Get-SlurmJobState $jobs.bad, $jobs.hld | Out-String -Width 200
            }
            finally { $PSStyle.OutputRendering = $rendering }
            $lines = @($text -split "`n" | Where-Object { $_.Trim() })
            @($lines[0].Trim() -split '\s+') | Should -Be $expected
            # The controller may still know the failed job (MinJobAge) and say why: NonZeroExitCode.
            $lines[2] | Should -Match "^$($jobs.bad)\s+gsjs-bad\s+FAILED\s+failed\s+3(\s+NonZeroExitCode)?\s*$"
            $lines[3] | Should -Match "^$($jobs.hld)\s+gsjs-hld\s+PENDING\s+pending\s+JobHeldUser\s*$"
        }
    }

    Context 'input collected over the whole pipeline' {
        It 'makes one sacct call for ids piped one by one' {
            $ids = @($jobs.ok, $jobs.bad, $jobs.hld)
            $out = Split-CmdletOutput -Type $stateType -InputObject ($ids | Get-SlurmJobState -Verbose 4>&1)
            @($out.Objects.JobId) | Should -Be $ids
            @($out.Verbose -match $sacctLine).Count | Should -Be 1
            @($out.Verbose -match $squeueLine).Count | Should -BeLessOrEqual 1
        }

        It 'binds job ids by property name (job_id, Id)' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (
                [pscustomobject]@{ job_id = $jobs.ok }, [pscustomobject]@{ Id = $jobs.bad } | Get-SlurmJobState -Verbose 4>&1)
            @($out.Objects.JobId) | Should -Be @($jobs.ok, $jobs.bad)
            @($out.Verbose -match $sacctLine).Count | Should -Be 1
        }
    }

    Context 'by run manifest' {
        BeforeAll {
            $script:repo = New-TestRepository
            $now = [DateTime]::UtcNow
            $script:manifests = [ordered]@{
                ok  = New-TestManifest -RepositoryRoot $repo -RunId run_ok -JobId $jobs.ok -StartedAt (Get-UtcText $now.AddHours(-1))
                bad = New-TestManifest -RepositoryRoot $repo -RunId run_bad -JobId $jobs.bad -StartedAt (Get-UtcText $now.AddHours(-3))
                hld = New-TestManifest -RepositoryRoot $repo -RunId run_hld -JobId $jobs.hld -StartedAt (Get-UtcText $now.AddHours(-2))
            }
            $script:local = New-TestManifest -RepositoryRoot $repo -RunId run_local -HostMode local -StartedAt (Get-UtcText $now.AddHours(-1))
            $script:expectedWindow = 3 * 3600 + 86400
        }
        AfterAll { Remove-Item -LiteralPath $repo -Recurse -Force }

        It 'binds Get-ChildItem output by FullName, tags each object with its ManifestPath, skips the local run' {
            $merged = Get-ChildItem -LiteralPath $repo -Recurse -Filter run_manifest.json | Get-SlurmJobState -Verbose -ErrorVariable err 4>&1
            $out = Split-CmdletOutput -Type $stateType -InputObject $merged
            $err.Count | Should -Be 0
            $out.Objects.Count | Should -Be 3
            foreach ($key in 'ok', 'bad', 'hld') {
                $s = @($out.Objects | Where-Object JobId -EQ $jobs[$key])
                $s.Count | Should -Be 1
                $s[0].ManifestPath | Should -Be $manifests[$key]
            }
            @($out.Objects | Where-Object JobId -EQ $jobs.bad)[0].Status | Should -Be 'failed'
            @($out.Objects | Where-Object JobId -EQ $jobs.hld)[0].Status | Should -Be 'pending'
            @($out.Verbose | Where-Object { $_.Contains($local) }).Count | Should -BeGreaterOrEqual 1
            $out.Objects.ManifestPath | Should -Not -Contain $local
        }

        It 'makes exactly one sacct call for three manifests' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (
                Get-ChildItem -LiteralPath $repo -Recurse -Filter run_manifest.json | Get-SlurmJobState -Verbose 4>&1)
            @($out.Verbose -match $sacctLine).Count | Should -Be 1
            @($out.Verbose -match $squeueLine).Count | Should -BeLessOrEqual 1
        }

        It 'starts the sacct window one day before the earliest manifest start' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState -ManifestPath @($manifests.Values) -Verbose 4>&1)
            $seconds = Get-StartTimeSeconds $out.Verbose
            $seconds | Should -BeGreaterOrEqual ($expectedWindow - 10)
            $seconds | Should -BeLessOrEqual ($expectedWindow + 120)
        }

        It 'lets -Since override the manifest window' {
            $out = Split-CmdletOutput -Type $stateType -InputObject (
                Get-ChildItem -LiteralPath $repo -Recurse -Filter run_manifest.json | Get-SlurmJobState -Since ([DateTime]::UtcNow.AddHours(-5)) -Verbose 4>&1)
            $seconds = Get-StartTimeSeconds $out.Verbose
            $seconds | Should -BeGreaterOrEqual (5 * 3600 - 5)
            $seconds | Should -BeLessOrEqual (5 * 3600 + 60)
            $out.Objects.Count | Should -Be 3
        }

        It 'takes the cluster from slurm.cluster or resource_request.slurm.cluster' {
            $clusterRepo = New-TestRepository
            try {
                $a = New-TestManifest -RepositoryRoot $clusterRepo -RunId run_a -JobId $jobs.ok -Extra @{ slurm = [ordered]@{ job_id = $jobs.ok; cluster = 'autolab' } }
                $b = New-TestManifest -RepositoryRoot $clusterRepo -RunId run_b -JobId $jobs.hld
                $json = Get-Content -LiteralPath $b -Raw | ConvertFrom-Json -AsHashtable -DateKind String
                $json.resource_request.slurm.cluster = 'autolab'
                [IO.File]::WriteAllText($b, ($json | ConvertTo-Json -Depth 10) + "`n")

                $out = Split-CmdletOutput -Type $stateType -InputObject (Get-SlurmJobState -ManifestPath $a, $b -Verbose 4>&1)
                @($out.Verbose -match $sacctLine).Count | Should -Be 1
                @($out.Verbose -match "$sacctLine.*--clusters=autolab").Count | Should -Be 1
                @($out.Objects.JobId) | Should -Be @($jobs.ok, $jobs.hld)
                @($out.Objects.Status) | Should -Be @('completed', 'pending')
                @($out.Objects.ManifestPath) | Should -Be @($a, $b)
            }
            finally { Remove-Item -LiteralPath $clusterRepo -Recurse -Force }
        }

        It 'feeds Update-RunManifest -PassThru | Update-SlurmJobList end to end' {
            $e2e = New-TestRepository
            try {
                $started = Get-UtcText ([DateTime]::UtcNow.AddMinutes(-30))
                $paths = [ordered]@{
                    ok  = New-TestManifest -RepositoryRoot $e2e -RunId run_ok -JobId $jobs.ok -StartedAt $started
                    bad = New-TestManifest -RepositoryRoot $e2e -RunId run_bad -JobId $jobs.bad -StartedAt $started
                    hld = New-TestManifest -RepositoryRoot $e2e -RunId run_hld -JobId $jobs.hld -StartedAt $started
                }
                $entries = Get-ChildItem -LiteralPath $e2e -Recurse -Filter run_manifest.json |
                    Get-SlurmJobState | Update-RunManifest -PassThru | Update-SlurmJobList
                @($entries).Count | Should -Be 3
                $entries | Should -BeOfType ([Autolab.Slurm.Models.JobListEntry])

                $expected = @{ ok = 'running'; bad = 'failed'; hld = 'pending' }
                $slurmState = @{ ok = 'COMPLETED'; bad = 'FAILED'; hld = 'PENDING' }
                $ledger = [IO.File]::ReadAllLines((Join-Path $e2e 'docs/slurm_job_list.md'))
                foreach ($key in 'ok', 'bad', 'hld') {
                    $json = Get-Content -LiteralPath $paths[$key] -Raw | ConvertFrom-Json -AsHashtable -DateKind String
                    $json.status | Should -Be $expected[$key] -Because "run_$key follows job $($jobs[$key])"
                    $json.slurm.state | Should -Be $slurmState[$key]
                    $json.slurm.source | Should -BeIn 'sacct', 'squeue'
                    $ledger | Should -Contain "- $($started.Substring(0, 10)) | job_id=$($jobs[$key]) | iteration_id=iter1 | run_id=run_$key | status=$($expected[$key])"
                }
                $bad = Get-Content -LiteralPath $paths.bad -Raw | ConvertFrom-Json -AsHashtable -DateKind String
                $bad.slurm.exit_code | Should -Be 3
                $bad.failure.exit_code | Should -Be 3
                $bad.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
                $ok = Get-Content -LiteralPath $paths.ok -Raw | ConvertFrom-Json -AsHashtable -DateKind String
                $ok.slurm.end_time | Should -Not -BeNullOrEmpty
            }
            finally { Remove-Item -LiteralPath $e2e -Recurse -Force }
        }
    }

    Context 'when the scheduler cannot answer (fake commands first on PATH)' {
        BeforeEach {
            $script:savedPath = $env:PATH
            $script:fakeDir = New-TestDirectory
            $script:marker = Join-Path $fakeDir 'called.txt'
        }
        AfterEach {
            $env:PATH = $savedPath
            Remove-Item -LiteralPath $fakeDir -Recurse -Force
        }

        It 'refuses invalid ids before any process starts' {
            New-FakeCommand -Directory $fakeDir -Name sacct -Body "echo ""sacct `$*"" >> '$marker'"
            New-FakeCommand -Directory $fakeDir -Name squeue -Body "echo ""squeue `$*"" >> '$marker'"
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState 'abc', '12abc', '1;id' -ErrorVariable err -ErrorAction SilentlyContinue
            $s | Should -BeNullOrEmpty
            $err.Count | Should -Be 3
            @($err.FullyQualifiedErrorId | Select-Object -Unique) | Should -Be @("InvalidJobId$suffix")
            Test-Path -LiteralPath $marker | Should -BeFalse
        }

        It 'passes only the valid ids of a mixed batch to the (fake) sacct' {
            # The counterpart of the test above: the fakes are reachable, so an absent marker means something.
            New-FakeCommand -Directory $fakeDir -Name sacct -Body "echo ""sacct `$*"" >> '$marker'"
            New-FakeCommand -Directory $fakeDir -Name squeue -Body "echo ""squeue `$*"" >> '$marker'"
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState 5, 'abc' -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "InvalidJobId$suffix"
            $calls = @(Get-Content -LiteralPath $marker)
            @($calls -match '^sacct ').Count | Should -Be 1
            $calls[0] | Should -Match '--jobs=5$'
            $calls -join "`n" | Should -Not -Match 'abc'
            $s.JobId | Should -Be '5'
            $s.Status | Should -Be 'unknown'
        }

        It 'reports one SchedulerUnavailable for every id, and no object, when sacct is not on PATH' {
            $dotnetDir = Split-Path ([Environment]::ProcessPath)
            $env:PATH = "${fakeDir}:$dotnetDir"
            $s = Get-SlurmJobState $jobs.ok, $jobs.bad, $unknownId -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warn
            $s | Should -BeNullOrEmpty
            $warn | Should -BeNullOrEmpty -Because 'an id that could not be asked about is not an id no one knows'
            # The same cause for every id is one error; its target is the list of ids, in input order.
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "SchedulerUnavailable$suffix"
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            @($err[0].TargetObject) | Should -Be @($jobs.ok, $jobs.bad, $unknownId)
            $err[0].Exception.Message | Should -Match "^Jobs $($jobs.ok), $($jobs.bad), $($unknownId): 'env SLURM_TIME_FORMAT=%s sacct --parsable2"
            $err[0].Exception.Message | Should -Match 'not found on PATH'
        }

        It 'keeps one error per manifest when the cause is each manifest''s own' {
            $env:PATH = "${fakeDir}:$savedPath"
            $badRepo = New-TestRepository
            try {
                $a = New-TestManifest -RepositoryRoot $badRepo -RunId run_a -JobId $jobs.ok -Extra @{ slurm = [ordered]@{ job_id = $jobs.ok; cluster = 'no such' } }
                $b = New-TestManifest -RepositoryRoot $badRepo -RunId run_b -JobId $jobs.bad -Extra @{ slurm = [ordered]@{ job_id = $jobs.bad; cluster = 'x;id' } }
                $s = Get-SlurmJobState -ManifestPath $a, $b -ErrorVariable err -ErrorAction SilentlyContinue
                $s | Should -BeNullOrEmpty
                $err.Count | Should -Be 2
                @($err.FullyQualifiedErrorId | Select-Object -Unique) | Should -Be @("InvalidJobId$suffix")
                $err[0].Exception.Message | Should -Match ([regex]::Escape($a))
                $err[1].Exception.Message | Should -Match ([regex]::Escape($b))
            }
            finally { Remove-Item -LiteralPath $badRepo -Recurse -Force }
        }

        It 'answers from sacct when the controller is down and fails only the ids squeue had to settle' {
            # Exactly what the real squeue prints when slurmctld is unreachable (Fixtures/squeue/real-controller-down.*).
            New-FakeCommand -Directory $fakeDir -Name squeue -Body "echo 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)' >&2`nexit 1"
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState $jobs.ok, $unknownId, $jobs.hld, $jobs.bad -ErrorVariable err -ErrorAction SilentlyContinue -WarningVariable warn -WarningAction SilentlyContinue
            @($s.JobId) | Should -Be @($jobs.ok, $jobs.hld, $jobs.bad)
            @($s.Status) | Should -Be @('completed', 'pending', 'failed')
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "SchedulerUnavailable$suffix"
            $err[0].Exception.Message | Should -Match ([regex]::Escape($unknownId))
            $err[0].Exception.Message | Should -Match 'squeue --noheader'
            $err[0].Exception.Message | Should -Match 'Unable to contact slurm controller \(connect failure\)'
            $warn.Count | Should -BeGreaterOrEqual 1
        }

        It 'does not run squeue at all when sacct settles every id' {
            New-FakeCommand -Directory $fakeDir -Name squeue -Body "echo called > '$marker'`necho 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)' >&2`nexit 1"
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState $jobs.ok, $jobs.bad, "$($jobs.arr)_[0-2]" -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 0
            @($s).Count | Should -Be 5
            Test-Path -LiteralPath $marker | Should -BeFalse
        }

        It 'reports SchedulerTimeout within a few seconds and kills the hung sacct' {
            $shellPid = Join-Path $fakeDir 'sh.pid'
            $sleepPid = Join-Path $fakeDir 'sleep.pid'
            New-FakeCommand -Directory $fakeDir -Name sacct -Body "echo `$`$ > '$shellPid'`nsleep 600 &`necho `$! > '$sleepPid'`nwait"
            # A user with no jobs: squeue prints nothing and exits 0.
            New-FakeCommand -Directory $fakeDir -Name squeue -Body ':'
            $env:PATH = "${fakeDir}:$savedPath"
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $s = Get-SlurmJobState $jobs.ok -TimeoutSec 2 -ErrorVariable err -ErrorAction SilentlyContinue
            $watch.Stop()
            $s | Should -BeNullOrEmpty
            # sacct would take 10 minutes: returning far sooner shows -TimeoutSec ended it (a hang guard, not a figure).
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 120
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "SchedulerTimeout$suffix"
            $err[0].Exception.Message | Should -Match 'sacct --parsable2'
            $err[0].Exception.Message | Should -Match ([regex]::Escape($jobs.ok))
            Test-Path -LiteralPath $shellPid | Should -BeTrue
            Test-Path -LiteralPath $sleepPid | Should -BeTrue
            Test-ProcessAlive -Id ([int](Get-Content -LiteralPath $shellPid)) | Should -BeFalse
            Test-ProcessAlive -Id ([int](Get-Content -LiteralPath $sleepPid)) | Should -BeFalse
        }

        It 'reports SchedulerOutputInvalid when sacct prints garbage' {
            New-FakeCommand -Directory $fakeDir -Name sacct -Body "echo 'this is not|sacct output'"
            New-FakeCommand -Directory $fakeDir -Name squeue -Body ':'
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState $jobs.ok -ErrorVariable err -ErrorAction SilentlyContinue
            $s | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be "SchedulerOutputInvalid$suffix"
            $err[0].Exception.Message | Should -Match 'sacct --parsable2'
        }

        It 'carries the command line and its stderr when sacct fails (slurmdbd down)' {
            # Fixtures/sacct/real-slurmdbd-down.stderr, byte for byte.
            $stderr = @(
                'sacct: error: slurm_persist_conn_open_without_init: failed to open persistent connection to host:localhost:6819: Connection refused'
                'sacct: error: Sending PersistInit msg: Connection refused'
                'sacct: error: Problem talking to the database: Connection refused'
            )
            New-FakeCommand -Directory $fakeDir -Name sacct -Body ((($stderr | ForEach-Object { "echo '$_' >&2" }) -join "`n") + "`nexit 1")
            New-FakeCommand -Directory $fakeDir -Name squeue -Body ':'
            $env:PATH = "${fakeDir}:$savedPath"
            $s = Get-SlurmJobState $jobs.ok -ErrorVariable err -ErrorAction SilentlyContinue
            $s | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'Scheduler*'
            $err[0].FullyQualifiedErrorId | Should -BeLike "*$suffix"
            $err[0].Exception.Message | Should -Match 'sacct --parsable2'
            $err[0].Exception.Message | Should -Match 'Problem talking to the database: Connection refused'
        }

        It 'runs sacct from PATH, never a same-named file in the current directory' {
            # .NET's Process.Start looks in the executable's folder and the process's current directory
            # before PATH; the interface says sacct is found on PATH.
            $cwd = New-TestDirectory
            $saved = [Environment]::CurrentDirectory
            try {
                New-FakeCommand -Directory $cwd -Name sacct -Body "echo ""sacct `$*"" > '$marker'"
                [Environment]::CurrentDirectory = $cwd
                $s = Get-SlurmJobState $jobs.ok
            }
            finally {
                [Environment]::CurrentDirectory = $saved
                Remove-Item -LiteralPath $cwd -Recurse -Force
            }
            Test-Path -LiteralPath $marker | Should -BeFalse -Because 'a sacct in the current directory must not run'
            $s.Status | Should -Be 'completed'
        }
    }
}

Describe 'Get-SlurmJobState on a job that hits its time limit' -Tag 'Slow' {
    BeforeAll {
        $script:tmo = Submit-TestSlurmJob -Name 'gsjs-tmo' -Wrap 'sleep 300' -Time '0:01'
        try {
            # The limit is checked about every 30 s: TIMEOUT comes 80-90 s after the start.
            $null = Wait-Until -TimeoutSec 240 -IntervalMs 2000 -Because "job $tmo to reach TIMEOUT" -Condition {
                (Get-SacctState -JobId $tmo)[$tmo] -eq 'TIMEOUT'
            }
        }
        catch {
            Stop-TestSlurmJob -JobId $tmo
            throw
        }
    }
    AfterAll { Stop-TestSlurmJob -JobId $tmo }

    It 'reports TIMEOUT as failed and terminal' {
        $s = Get-SlurmJobState $tmo
        $s.State | Should -Be 'TIMEOUT'
        $s.RawState | Should -Be 'TIMEOUT'
        $s.Status | Should -Be 'failed'
        $s.IsTerminal | Should -BeTrue
        $s.Source | Should -Be 'sacct'
        $s.EndTime | Should -Not -BeNullOrEmpty
        $s.Elapsed | Should -BeGreaterOrEqual ([TimeSpan]::FromSeconds(60))
    }
}
