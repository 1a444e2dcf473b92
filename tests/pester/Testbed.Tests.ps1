#Requires -Version 7.4
# testbed.json's "clusters" (tests/infra/up.sh) against the real clusters it describes: every entry is
# what the scheduler and SSH tests will rely on, so each claim is checked the way they will use it -
# over SSH with OpenSSH's own client through the alias (strict host key checking against the entry's
# known_hosts), and through execPrefix from this machine.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:clusters = @((Get-TestbedInfo).clusters | ForEach-Object { @{ Cluster = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:tb = Get-TestbedInfo

    function script:Invoke-Ssh([object] $Cluster, [string] $Command) {
        <# Runs $Command on the cluster's login node as its user; returns stdout lines, throws on failure. #>
        $out = & ssh -F $tb.sshConfig -o BatchMode=yes -o ConnectTimeout=10 $Cluster.sshAlias $Command 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ssh $($Cluster.sshAlias) '$Command' failed ($LASTEXITCODE): $out" }
        return @($out)
    }

    function script:Invoke-Prefixed([object] $Cluster, [string[]] $Command) {
        <# Runs $Command inside the cluster as its user through execPrefix; returns stdout lines. #>
        $argv = @($Cluster.execPrefix) + $Command
        $out = if ($argv.Count -gt 1) { & $argv[0] $argv[1..($argv.Count - 1)] 2>&1 } else { & $argv[0] 2>&1 }
        if ($LASTEXITCODE -ne 0) { throw "$($argv -join ' ') failed ($LASTEXITCODE): $out" }
        return @($out)
    }
}

Describe 'The test bed' {
    It 'lists the three Slurm releases under test, the host''s own first' {
        $tb.clusters[0].local | Should -BeTrue
        $tb.clusters[0].name | Should -Be $tb.clusterName
        # Other top-level keys stay as they were: they describe the host's cluster and sshd.
        $tb.clusters[0].sshAlias | Should -Be $tb.sshAlias
        @($tb.clusters | Where-Object { -not $_.local }).Count | Should -Be 2
        @($tb.clusters.name | Sort-Object -Unique).Count | Should -Be $tb.clusters.Count
    }
}

Describe 'Cluster <Cluster.name>' -ForEach $clusters {
    It 'logs in over SSH as its user with the alias and its known_hosts, with timeout and tar there' {
        # The alias's own UserKnownHostsFile must be the entry's knownHosts (checked strictly).
        $resolved = & ssh -G -F $tb.sshConfig $Cluster.sshAlias 2>$null
        $resolved | Should -Contain "userknownhostsfile $($Cluster.knownHosts)"
        $resolved | Should -Contain "port $($Cluster.sshPort)"
        $out = Invoke-Ssh $Cluster 'id -un; command -v timeout tar sbatch sacct squeue | wc -l'
        $out | Should -Be @($Cluster.sshUser, '5')
    }

    It 'reports the Slurm release it runs, and the ClusterName of the entry' {
        $version = Invoke-Ssh $Cluster 'sinfo --version'
        $version | Should -Match " $([regex]::Escape($Cluster.slurmVersion))$"
        $config = Invoke-Ssh $Cluster 'scontrol show config'
        @($config | Where-Object { $_ -match "^ClusterName\s+=\s+$([regex]::Escape($Cluster.name))$" }).Count | Should -Be 1
    }

    It 'runs execPrefix commands inside the cluster as its user' {
        Invoke-Prefixed $Cluster @('id', '-un') | Should -Be $Cluster.sshUser
        Invoke-Prefixed $Cluster @('sinfo', '-h', '-o', '%P') | Should -Be 'debug*'
    }

    It 'has one remote scratch folder, writable by the user, seen from SSH and from here' {
        $name = "testbed-probe-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        try {
            Invoke-Ssh $Cluster "echo $name > '$($Cluster.remoteScratch.ssh)/$name'"
            Get-Content -LiteralPath (Join-Path $Cluster.remoteScratch.host $name) | Should -Be $name
        } finally {
            # -Force: pwsh treats a file of another user without the "other" write bit as read-only, even for root.
            Remove-Item -LiteralPath (Join-Path $Cluster.remoteScratch.host $name) -Force -ErrorAction SilentlyContinue
        }
    }

    It 'runs a job of its user to FAILED with exit code 3 in accounting' {
        $id = @(Invoke-Ssh $Cluster "sbatch --parsable --time=2 -c 1 -J testbed-probe -o /dev/null --wrap 'exit 3'")[0]
        $id | Should -Match '^\d+$'
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        do {
            Start-Sleep -Milliseconds 500
            $row = Invoke-Ssh $Cluster "sacct -n -X -P -j $id --format=JobID,State,ExitCode,User"
        } until ($row -match '^\d+\|FAILED\|' -or [DateTime]::UtcNow -gt $deadline)
        $row | Should -Be "$id|FAILED|3:0|$($Cluster.sshUser)" -Because "job $id"
    }
}
