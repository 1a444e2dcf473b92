#Requires -Version 7.4
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'Update-SlurmJobList' {
    BeforeEach {
        $script:repo = New-TestRepository
        $script:manifest = New-TestManifest -RepositoryRoot $repo
        $script:ledger = Join-Path $repo 'docs/slurm_job_list.md'
    }
    AfterEach {
        Get-ChildItem -LiteralPath $repo -Recurse -File | ForEach-Object { $_.UnixFileMode = 'UserRead, UserWrite' }
        Remove-Item -LiteralPath $repo -Recurse -Force
    }

    It 'creates the ledger with its header and the canonical line' {
        $entry = Update-SlurmJobList -ManifestPath $manifest
        $entry | Should -BeOfType ([Autolab.Slurm.Models.JobListEntry])
        $entry.Action | Should -Be 'Added'
        $entry.Line | Should -Be '- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted'
        [IO.File]::ReadAllText($ledger) | Should -Be "# SLURM Job Ledger`n`n$($entry.Line)`n"
    }

    It 'rewrites the line in place and keeps every other line byte-for-byte (CRLF file)' {
        $text = "# Jobs`r`n`r`n- 2025-12-31 | job_id=1 | iteration_id=iter1 | run_id=run_0010 | status=completed`r`n- 2026-01-01 | job_id=12345 | iteration_id=iter1 | run_id=run_001 | status=submitted`r`nfooter without newline"
        [IO.File]::WriteAllText($ledger, $text)
        Update-RunManifest -Path $manifest -Status running
        $entry = Update-SlurmJobList -ManifestPath $manifest
        $entry.Action | Should -Be 'Updated'
        [IO.File]::ReadAllText($ledger) | Should -Be ($text -replace 'run_id=run_001 \| status=submitted', 'run_id=run_001 | status=running')
    }

    It 'reports Unchanged and leaves the file alone when the line is current' {
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
        $hash = Get-FileHashText $ledger
        (Update-SlurmJobList -ManifestPath $manifest).Action | Should -Be 'Unchanged'
        Get-FileHashText $ledger | Should -Be $hash
    }

    It 'reports NoteAdded when only a note was added under a current line, and Updated when the line changed too' {
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
        $entry = Update-SlurmJobList -ManifestPath $manifest -Note 'the scheduler could not be asked'
        $entry.Action | Should -Be 'NoteAdded'
        $entry.NoteAdded | Should -BeTrue
        Update-RunManifest -Path $manifest -Status running
        $entry = Update-SlurmJobList -ManifestPath $manifest -Note 'now running'
        $entry.Action | Should -Be 'Updated'
        $entry.NoteAdded | Should -BeTrue
    }

    It 'adds notes under the entry, at most five, without repeating the newest' {
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
        1..6 | ForEach-Object { Update-SlurmJobList -ManifestPath $manifest -Note "probe $_ failed" | Out-Null }
        (Update-SlurmJobList -ManifestPath $manifest -Note 'probe 6 failed').NoteAdded | Should -BeFalse
        $lines = [IO.File]::ReadAllLines($ledger)
        $notes = $lines | Where-Object { $_ -match '^  - note: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ' }
        @($notes).Count | Should -Be 5
        $notes[0] | Should -Match 'probe 2 failed$'
        $notes[4] | Should -Match 'probe 6 failed$'
    }

    It 'changes nothing under -WhatIf' {
        $output = Update-SlurmJobList -ManifestPath $manifest -WhatIf
        $output | Should -BeNullOrEmpty
        Test-Path -LiteralPath $ledger | Should -BeFalse
    }

    It 'leaves the ledger alone for a local run' {
        $local = New-TestManifest -RepositoryRoot $repo -RunId run_local -HostMode local
        $entry = Update-SlurmJobList -ManifestPath $local -Verbose 4>&1 | Where-Object { $_ -is [Autolab.Slurm.Models.JobListEntry] }
        $entry.Action | Should -Be 'Unchanged'
        Test-Path -LiteralPath $ledger | Should -BeFalse
    }

    It 'keeps lock and temp files out of docs/' {
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
        Update-RunManifest -Path $manifest -Status running
        Update-SlurmJobList -ManifestPath $manifest | Out-Null
        @(Get-ChildItem -LiteralPath (Join-Path $repo 'docs') -Force).Name | Should -Be @('slurm_job_list.md')
        @(Get-ChildItem -LiteralPath (Join-Path $repo '.autolab/locks') -Force).Count | Should -BeGreaterThan 0
    }

    Context 'bad input' {
        It 'reports RepositoryRootNotFound without .autolab and -LedgerPath' {
            Remove-Item -LiteralPath (Join-Path $repo '.autolab') -Recurse -Force
            Update-SlurmJobList -ManifestPath $manifest -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'RepositoryRootNotFound,*'
            $err[0].Exception.Message | Should -Match '-LedgerPath'
            Test-Path -LiteralPath $ledger | Should -BeFalse
        }

        It 'writes to -LedgerPath outside a repository' {
            Remove-Item -LiteralPath (Join-Path $repo '.autolab') -Recurse -Force
            $other = Join-Path $repo 'elsewhere/ledger.md'
            (Update-SlurmJobList -ManifestPath $manifest -LedgerPath $other).Action | Should -Be 'Added'
            Test-Path -LiteralPath $other | Should -BeTrue
        }

        It 'reports LedgerDateMissing when no date can be derived' {
            $json = Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.started_at = 'soon'; $json.timestamps.started_at = 'later'
            [IO.File]::WriteAllText($manifest, ($json | ConvertTo-Json -Depth 10))
            Update-SlurmJobList -ManifestPath $manifest -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LedgerDateMissing,*'
            $err[0].Exception.Message | Should -Match 'run_manifest\.json'
            Test-Path -LiteralPath $ledger | Should -BeFalse
        }

        It 'reports JobIdMissing for a SLURM manifest without a job id' {
            $bare = New-TestManifest -RepositoryRoot $repo -RunId run_002 -JobId ''
            Update-SlurmJobList -ManifestPath $bare -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'JobIdMissing,*'
        }

        It 'refuses a read-only ledger with FileReadOnly and leaves it byte-for-byte' {
            [IO.File]::WriteAllText($ledger, "# SLURM Job Ledger`n`n")
            (Get-Item -LiteralPath $ledger).UnixFileMode = 'UserRead, GroupRead, OtherRead'
            $hash = Get-FileHashText $ledger
            Update-SlurmJobList -ManifestPath $manifest -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FileReadOnly,*'
            Get-FileHashText $ledger | Should -Be $hash
        }
    }
}

Describe 'Update-RunManifest -PassThru | Update-SlurmJobList' {
    BeforeAll {
        $script:repo = New-TestRepository
        $script:paths = 1..3 | ForEach-Object { New-TestManifest -RepositoryRoot $repo -RunId "run_00$_" -JobId "10$_" }
    }
    AfterAll { Remove-Item -LiteralPath $repo -Recurse -Force }

    It 'carries every manifest through to its ledger line' {
        $entries = Get-ChildItem -LiteralPath (Join-Path $repo 'experiments') -Recurse -Filter run_manifest.json |
            Update-RunManifest -Status running -PassThru | Update-SlurmJobList
        @($entries).Count | Should -Be 3
        $lines = [IO.File]::ReadAllLines((Join-Path $repo 'docs/slurm_job_list.md'))
        foreach ($i in 1..3) {
            $lines | Should -Contain "- 2026-01-01 | job_id=10$i | iteration_id=iter1 | run_id=run_00$i | status=running"
        }
    }

    It 'carries a recorded failure into a ledger note' {
        $state = [Autolab.Slurm.Models.SlurmJobState]@{
            JobId = '101'; State = 'FAILED'; RawState = 'FAILED'; Status = 'failed'; IsTerminal = $true; ExitCode = 3; Signal = 0
            Source = 'sacct'; ManifestPath = $paths[0]; ObservedAt = [DateTimeOffset]::UtcNow; EndTime = [DateTimeOffset]'2026-01-01T01:00:00Z'
        }
        $entry = $state | Update-RunManifest -PassThru | Update-SlurmJobList
        $entry.Status | Should -Be 'failed'
        $entry.NoteAdded | Should -BeTrue
        $text = [IO.File]::ReadAllText((Join-Path $repo 'docs/slurm_job_list.md'))
        $text | Should -Match '(?m)^- 2026-01-01 \| job_id=101 \| iteration_id=iter1 \| run_id=run_001 \| status=failed\n  - note: \S+ job 101 ended FAILED, exit code 3, signal 0$'
    }
}
