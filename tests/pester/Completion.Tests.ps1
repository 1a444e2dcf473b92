#Requires -Version 7.4
# Tab completion in a real pwsh (TabExpansion2, what the console's Tab calls): -JobId from the real
# scheduler, -Cluster from the real accounting, -ComputerName from an ssh config, -RunId from a repository on
# disk (relative to the session's location, which is not the process's). Completion through a login node is
# in Clusters.Tests.ps1, on every cluster of the test bed. A fake squeue stands in only for a scheduler that hangs.
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force
    $script:tb = Get-TestbedInfo

    function script:Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
    }
}

Describe 'Argument completion' {
    BeforeAll {
        $script:held = Submit-TestSlurmJob -Name 'pester-complete' -Wrap 'true' -ExtraArgs '--hold'
        $script:repo = New-TestRepository
        foreach ($run in 'run_001', 'run_002') { $null = New-TestManifest -RepositoryRoot $repo -RunId $run }
        $null = New-TestManifest -RepositoryRoot $repo -RunId 'run_000' -IterationId 'iter0' -Type 'done'
    }
    AfterAll {
        Stop-TestSlurmJob -JobId $held
        Remove-Item -LiteralPath $repo -Recurse -Force
    }

    It '-JobId offers the user''s jobs from squeue, with name, state and reason' {
        $found = Get-Completion "Get-SlurmJobState -JobId $($held.Substring(0, $held.Length - 1))"
        $match = @($found | Where-Object CompletionText -EQ $held)
        $match.Count | Should -Be 1 -Because "the held job $held is the user's ($(@($found.CompletionText) -join ', '))"
        $match[0].ToolTip | Should -Be "$held pester-complete (PENDING, JobHeldUser)"
        $match[0].ResultType | Should -Be 'ParameterValue'
        # By name as well, and positionally.
        @(Get-Completion 'Get-SlurmJobState pester-comp').CompletionText | Should -Contain $held
    }

    It '-Cluster offers the clusters of the accounting' {
        $found = Get-Completion 'Get-SlurmJobState -JobId 1 -Cluster '
        @($found.CompletionText) | Should -Contain $tb.clusterName
        ($found | Where-Object CompletionText -EQ $tb.clusterName).ToolTip | Should -Match "^Slurm cluster $($tb.clusterName) \(controller "
    }

    It '-ComputerName offers the Host aliases of -SshConfigPath, patterns left out (<Command>)' -ForEach @(
        @{ Command = 'Get-SlurmJobState -JobId 1' }
        @{ Command = 'Sync-RunArtifacts x' }
    ) {
        $config = Join-Path $repo 'ssh_config'
        [IO.File]::WriteAllText($config, (Get-Content -LiteralPath $tb.sshConfig -Raw) + "`nHost * !bastion`n    ServerAliveInterval 30`nHost gpu-??`n")
        $found = Get-Completion "$Command -SshConfigPath '$config' -ComputerName autolab"
        @($found.CompletionText) | Should -Be @($tb.clusters.sshAlias)
        ($found | Where-Object CompletionText -EQ $tb.sshAlias).ToolTip | Should -Be "$($tb.sshAlias): $($tb.sshUser)@$($tb.sshHost):$($tb.sshPort) ($config)"
    }

    It '-RunId offers the runs of -RepositoryRoot, relative to the session''s location (<Command>)' -ForEach @(
        @{ Command = 'Invoke-SlurmMonitorStage' }
        @{ Command = 'New-SlurmMonitorPass' }
    ) {
        Push-Location -LiteralPath (Split-Path $repo)
        try {
            $found = Get-Completion "$Command -RepositoryRoot ./$(Split-Path $repo -Leaf) -RunId "
        }
        finally { Pop-Location }
        @($found.CompletionText) | Should -Be @('run_002', 'run_001', 'run_000')
        $found[0].ToolTip | Should -Be 'experiments/plan/iter1/runs/run_002'
    }

    It '-RunId without -RepositoryRoot offers the runs of the repository holding the current location (<Command>)' -ForEach @(
        @{ Command = 'Invoke-SlurmMonitorStage' }
        @{ Command = 'New-SlurmMonitorPass' }
    ) {
        Push-Location -LiteralPath (Join-Path $repo 'experiments/plan/iter1')
        try {
            $found = Get-Completion "$Command -RunId run_00"
        }
        finally { Pop-Location }
        @($found.CompletionText) | Should -Be @('run_002', 'run_001', 'run_000')
    }

    It '-JobId gives up on a squeue that hangs, within seconds, and leaves no process behind' {
        $fake = New-TestDirectory
        $pidFile = Join-Path $fake 'squeue.pid'
        $null = New-FakeCommand -Directory $fake -Name squeue -Body "echo `$`$ > '$pidFile'`nexec sleep 600"
        $savedPath = $env:PATH
        $env:PATH = "${fake}:$savedPath"
        Push-Location -LiteralPath $fake
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $found = Get-Completion 'Get-SlurmJobState -JobId 9'
            $watch.Stop()
        }
        finally {
            Pop-Location
            $env:PATH = $savedPath
        }
        try {
            $found | Should -BeNullOrEmpty
            # A hang guard, not a timing goal: the completer waits 5 s for squeue, a prompt must not wait 10 minutes.
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 60
            Test-Path -LiteralPath $pidFile | Should -BeTrue -Because 'the fake squeue was started'
            Test-ProcessAlive -Id ([int](Get-Content -LiteralPath $pidFile)) | Should -BeFalse
        }
        finally { Remove-Item -LiteralPath $fake -Recurse -Force }
    }
}
