#Requires -Version 7.4
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'Concurrent stage scripts' {
    It 'lose no ledger entry when 6 processes update different runs at once' {
        $repo = New-TestRepository
        try {
            $manifests = 1..6 | ForEach-Object { New-TestManifest -RepositoryRoot $repo -RunId "run_$_" -JobId "20$_" }
            $pwsh = Get-PwshInvocation
            # Each process flips its own run's status 8 times and updates the ledger each time; the
            # processes start together and wait on a shared go-file so their writes overlap.
            $go = Join-Path $repo 'go'
            $script = {
                param($module, $manifest, $go)
                Import-Module $module
                while (-not (Test-Path -LiteralPath $go)) { Start-Sleep -Milliseconds 5 }
                foreach ($i in 1..8) {
                    $status = if ($i % 2) { 'running' } else { 'pending' }
                    Update-RunManifest -Path $manifest -Status $status -PassThru | Update-SlurmJobList | Out-Null
                }
            }
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script.ToString()))
            $processes = foreach ($manifest in $manifests) {
                $command = "& ([scriptblock]::Create([Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('$encoded')))) '$env:AUTOLAB_SLURM_MODULE' '$manifest' '$go'"
                Start-Process -FilePath $pwsh.FilePath -ArgumentList @($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru -RedirectStandardError (Join-Path $repo "err-$([guid]::NewGuid()).txt")
            }
            Start-Sleep -Milliseconds 1500
            New-Item -ItemType File -Path $go | Out-Null
            $processes | Wait-Process -Timeout 120
            foreach ($p in $processes) { $p.ExitCode | Should -Be 0 }
            Get-ChildItem -LiteralPath $repo -Filter 'err-*.txt' | Get-Content -Raw | Should -BeNullOrEmpty

            $lines = [IO.File]::ReadAllLines((Join-Path $repo 'docs/slurm_job_list.md'))
            $entries = $lines | Where-Object { $_ -like '- *' }
            @($entries).Count | Should -Be 6
            foreach ($i in 1..6) {
                $lines | Should -Contain "- 2026-01-01 | job_id=20$i | iteration_id=iter1 | run_id=run_$i | status=pending"
            }
            $lines[0] | Should -Be '# SLURM Job Ledger'
        }
        finally {
            Remove-Item -LiteralPath $repo -Recurse -Force
        }
    }
}
