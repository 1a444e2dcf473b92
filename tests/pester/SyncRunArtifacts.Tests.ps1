#Requires -Version 7.4
# Sync-RunArtifacts against the real loopback sshd of the testbed (tests/infra/up.sh). The "login node"
# is a temp folder on this machine served by that sshd; the destination is a temp autolab repository.
# Every test checks its outcome (error id or reason) and that the sync left nothing behind: no partial
# or temp file, nothing under a final name that is not the complete file, nothing written outside the
# run directory (nor into the source). The TCP relay (tests/Autolab.Slurm.TestRelay, built by
# build.ps1 -Task Test into out/tools/relay) tears a connection at a chosen byte for the resume test.
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force

    $script:tb = Get-TestbedInfo
    $script:suffix = ',Autolab.Slurm.Commands.SyncRunArtifactsCommand'
    $script:resultType = [Autolab.Slurm.Models.ArtifactSyncResult]
    $script:runRel = 'experiments/plan/iter1/runs/run_001'
    $script:scratch = New-TestDirectory
    $script:created = [Collections.Generic.List[string]]::new()
    $script:relayDll = if ($env:AUTOLAB_TEST_RELAY) { $env:AUTOLAB_TEST_RELAY } else {
        Join-Path $PSScriptRoot '../../out/tools/relay/Autolab.Slurm.TestRelay.dll'
    }

    # An empty ssh config, so ~/.ssh/config of whoever runs the tests cannot change the outcome.
    $script:emptyConfig = Join-Path $scratch 'empty_ssh_config'
    [IO.File]::WriteAllText($emptyConfig, '')
    $script:ssh = @{
        Port = [int]$tb.sshPort; KeyFilePath = $tb.keys.ed25519; KnownHostsPath = $tb.knownHosts; SshConfigPath = $emptyConfig
    }
    $script:sshRoot = "$($tb.sshUser)@$($tb.sshHost)"

    function script:Merge-SshParameter([hashtable] $Extra, [hashtable] $Base = $ssh) {
        <# The common SSH parameters with some added or replaced. #>
        $merged = $Base.Clone()
        foreach ($key in $Extra.Keys) { $merged[$key] = $Extra[$key] }
        return $merged
    }

    # The testbed's own files: tests must never change them (checked by the last test).
    $script:testbedFiles = @($tb.knownHosts, $tb.knownHostsHashed, $tb.knownHostsWrong, $tb.sshConfig) + @($tb.keys.PSObject.Properties.Value | Where-Object { $_ -like '/*' })
    $script:testbedHashes = @{}
    foreach ($f in $testbedFiles) { $testbedHashes[$f] = Get-FileHashText $f }

    function script:New-Scratch([string] $Name) {
        $path = Join-Path $scratch ($Name + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $path -Force
        return $path
    }

    function script:New-SyncCase {
        <# A temp repository with one SLURM run (status running unless told) and an empty "remote" run folder. #>
        param([string] $Status = 'running', [hashtable] $Extra = @{})
        $repo = New-TestRepository
        $created.Add($repo)
        $manifest = New-TestManifest -RepositoryRoot $repo -Status $Status -Extra $Extra
        $remote = New-Scratch 'remote'
        [pscustomobject]@{
            Repo = $repo; Manifest = $manifest; RunDir = (Split-Path $manifest); Remote = $remote
            Source = "${sshRoot}:$remote"
        }
    }

    function script:Set-TestFile {
        <# Writes a file (text or bytes) below $Root, creating folders, optionally with a fixed UTC mtime. #>
        param([string] $Root, [string] $Path, [string] $Text, [byte[]] $Bytes, [Nullable[DateTime]] $Time)
        $full = Join-Path $Root $Path
        $null = New-Item -ItemType Directory -Path (Split-Path $full) -Force
        if ($null -ne $Bytes) { [IO.File]::WriteAllBytes($full, $Bytes) } else { [IO.File]::WriteAllText($full, $Text) }
        if ($null -ne $Time) { [IO.File]::SetLastWriteTimeUtc($full, [DateTime]$Time) }
        return $full
    }

    function script:New-RandomBytes([int] $Count, [int] $Seed = 7) {
        $bytes = [byte[]]::new($Count)
        [Random]::new($Seed).NextBytes($bytes)
        return , $bytes
    }

    # Lower case, as SHA256SUMS writes it.
    function script:Get-Sha256([string] $Path) { (Get-FileHashText $Path).ToLowerInvariant() }

    function script:Write-Sha256Sums {
        <# SHA256SUMS in sha256sum's text format for the given run-relative files, hashed from $Root (or given). #>
        param([string] $Root, [string[]] $Files, [hashtable] $Override = @{})
        $lines = foreach ($f in $Files) {
            $hash = if ($Override.ContainsKey($f)) { $Override[$f] } else { Get-Sha256 (Join-Path $Root $f) }
            "$hash  $f"
        }
        [IO.File]::WriteAllText((Join-Path $Root 'SHA256SUMS'), ($lines -join "`n") + "`n")
    }

    function script:Get-TreeSnapshot {
        <# Every entry below $Root (symlinks not followed) except $Skip and what lies below it: path -> kind|length|mtime|link. #>
        param([string] $Root, [string] $Skip)
        $map = @{}
        if (-not (Test-Path -LiteralPath $Root)) { return $map }
        foreach ($item in Get-ChildItem -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue) {
            $full = $item.FullName
            if ($Skip -and ($full -eq $Skip -or $full.StartsWith($Skip + '/'))) { continue }
            $rel = [IO.Path]::GetRelativePath($Root, $full)
            $map[$rel] = if ($item.LinkTarget) { "link|$($item.LinkTarget)" }
            elseif ($item.PSIsContainer) { 'dir' }
            else { "file|$($item.Length)|$($item.LastWriteTimeUtc.Ticks)" }
        }
        return $map
    }

    function script:Invoke-Sync {
        <#
        Runs Sync-RunArtifacts on the case's manifest with the given parameters and returns its results,
        errors and every change it made outside the run directory (the rest of the repository, the
        source folder and any -Watch folder).
        #>
        param([Parameter(Mandatory)] $Case, [hashtable] $With = @{}, [string[]] $Watch = @())
        $roots = [ordered]@{ repository = @($Case.Repo, $Case.RunDir); source = @($Case.Remote, $null) }
        foreach ($w in $Watch) { $roots["watched $w"] = @($w, $null) }
        $before = @{}
        foreach ($k in $roots.Keys) { $before[$k] = Get-TreeSnapshot -Root $roots[$k][0] -Skip $roots[$k][1] }
        $err = $null
        $output = @(Sync-RunArtifacts -ManifestPath $Case.Manifest @With -ErrorVariable err -ErrorAction SilentlyContinue)
        $outside = foreach ($k in $roots.Keys) {
            Compare-TreeMap $before[$k] (Get-TreeSnapshot -Root $roots[$k][0] -Skip $roots[$k][1]) $k
        }
        [pscustomobject]@{
            Output  = $output
            Result  = @($output | Where-Object { $_ -is $resultType })
            Errors  = @($err)
            Outside = @($outside | Where-Object { $_ })
        }
    }

    function script:Get-TempName([string] $RunDir) {
        @(Get-ChildItem -LiteralPath $RunDir -Recurse -Force -File -ErrorAction SilentlyContinue |
            Where-Object { $_.Name -match '\.autolab-(part|tmp)$' } | ForEach-Object FullName)
    }

    function script:Assert-CleanSync {
        <#
        Nothing written outside the run directory; no partial or temp file left (unless -AllowPartial);
        every file under a final name that the source also holds is that source file, byte for byte.
        #>
        param([Parameter(Mandatory)] $Case, [Parameter(Mandatory)] $Sync, [switch] $AllowPartial)
        $Sync.Outside | Should -BeNullOrEmpty -Because 'a sync never writes outside the run directory or into its source'
        if (-not $AllowPartial) {
            Get-TempName $Case.RunDir | Should -BeNullOrEmpty -Because 'no partial download or temp file may be left behind'
        }
        $protected = 'run_manifest.json', 'logs/slurm_monitor.log'
        foreach ($file in Get-ChildItem -LiteralPath $Case.RunDir -Recurse -Force -File) {
            if ($file.Name -match '\.autolab-(part|tmp)$') { continue }
            $rel = [IO.Path]::GetRelativePath($Case.RunDir, $file.FullName).Replace('\', '/')
            if ($rel -in $protected) { continue }
            $remoteFile = Join-Path $Case.Remote $rel
            if (Test-Path -LiteralPath $remoteFile -PathType Leaf) {
                Get-Sha256 $file.FullName | Should -Be (Get-Sha256 $remoteFile) -Because "'$rel' under its final name must be the complete source file"
            }
        }
    }

    function script:Assert-CouldNotRun {
        <# The sync could not run: one error with the id, and a failed result with exactly one failure whose Path is empty. #>
        param([Parameter(Mandatory)] $Sync, [Parameter(Mandatory)] [string] $ErrorId)
        $Sync.Errors.Count | Should -Be 1 -Because ($Sync.Errors | Out-String)
        $Sync.Errors[0].FullyQualifiedErrorId | Should -Be "$ErrorId$suffix"
        $Sync.Result.Count | Should -Be 1
        $r = $Sync.Result[0]
        $r.Status | Should -Be 'failed'
        $r.Failures.Count | Should -Be 1
        $r.Failures[0].Path | Should -Be ''
        $r.Failures[0].Reason | Should -Be $Sync.Errors[0].Exception.Message
        $r.PulledPaths | Should -BeNullOrEmpty
        $r.VerifiedPaths | Should -BeNullOrEmpty
        $r.FileCount | Should -Be 0
        $r.ByteCount | Should -Be 0
    }

    function script:New-KnownHosts {
        <# A temp known_hosts: empty, a copy of a testbed file, or the testbed's lines re-pointed at another port. #>
        param([string] $CopyOf, [int] $ForPort)
        $path = Join-Path (New-Scratch 'kh') 'known_hosts'
        if ($ForPort) {
            $text = (Get-Content -LiteralPath $tb.knownHosts -Raw).Replace("[$($tb.sshHost)]:$($tb.sshPort) ", "[$($tb.sshHost)]:$ForPort ")
            [IO.File]::WriteAllText($path, $text)
        }
        elseif ($CopyOf) { Copy-Item -LiteralPath $CopyOf -Destination $path }
        else { [IO.File]::WriteAllText($path, '') }
        return $path
    }

    function script:Start-Relay {
        <# Starts the TCP relay on a free port in front of the sshd; returns the process and its port once it listens. #>
        param([long] $CutAfterBytes)
        if (-not (Test-Path -LiteralPath $relayDll)) {
            throw "The TCP relay is not built ($relayDll). Build it: dotnet build tests/Autolab.Slurm.TestRelay -c Release -o out/tools/relay"
        }
        $port = Get-FreeTcpPort
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @($relayDll, "$port", "$($tb.sshPort)", "$CutAfterBytes")) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $process = [Diagnostics.Process]::Start($psi)
        $line = $process.StandardOutput.ReadLineAsync()
        if (-not $line.Wait(20000) -or $line.Result -ne 'listening') {
            $process.Kill()
            throw "The relay did not start listening on $port (printed '$($line.Result)')."
        }
        [pscustomobject]@{ Process = $process; Port = $port }
    }
}

AfterAll {
    foreach ($dir in @($created) + @($scratch)) {
        if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Sync-RunArtifacts' {
    Context 'over SFTP' {
        BeforeEach {
            $script:case = New-SyncCase
            $script:t1 = [DateTime]::new(2025, 3, 4, 5, 6, 7, [DateTimeKind]::Utc)
            $script:t2 = [DateTime]::new(2025, 6, 1, 12, 0, 0, [DateTimeKind]::Utc)
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{"acc": 0.91}' -Time $t1
            $null = Set-TestFile $case.Remote 'logs/train.log' -Text "epoch 1`nepoch 2`n" -Time $t2
            $null = Set-TestFile $case.Remote 'results/deep/nested/table.csv' -Bytes (New-RandomBytes 70000) -Time $t1
            $script:expected = @("$runRel/logs/train.log", "$runRel/metrics.json", "$runRel/results/deep/nested/table.csv")
            $script:expectedBytes = 13 + 16 + 70000
        }

        It 'pulls nested folders with their mtimes and reports a typed result with repo-relative paths' {
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $s.Output.Count | Should -Be 1
            $r = $s.Result[0]
            $r | Should -BeOfType ([Autolab.Slurm.Models.ArtifactSyncResult])
            $r.Status | Should -Be 'ok'
            $r.ManifestPath | Should -Be $case.Manifest
            $r.RunId | Should -Be 'run_001'
            $r.Destination | Should -Be $runRel
            $r.Source | Should -BeLike "*:$($case.Remote)"
            @($r.PulledPaths) | Should -Be $expected
            @($r.VerifiedPaths) | Should -Be $expected
            $r.SkippedPaths | Should -BeNullOrEmpty
            $r.Failures | Should -BeNullOrEmpty
            $r.FileCount | Should -Be 3
            $r.ByteCount | Should -Be $expectedBytes
            $r.Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
            (Get-Item (Join-Path $case.RunDir 'metrics.json')).LastWriteTimeUtc | Should -Be $t1
            (Get-Item (Join-Path $case.RunDir 'logs/train.log')).LastWriteTimeUtc | Should -Be $t2
            (Get-Item (Join-Path $case.RunDir 'results/deep/nested/table.csv')).LastWriteTimeUtc | Should -Be $t1
            Assert-CleanSync $case $s
            foreach ($p in $expected) { Test-Path -LiteralPath (Join-Path $case.Repo $p) -PathType Leaf | Should -BeTrue }
        }

        It 'pulls nothing the second time, lists unchanged files as skipped and every file as verified; pulls a changed file again' {
            $first = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $first.Result[0].FileCount | Should -Be 3

            $second = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $second.Result[0]
            $second.Errors | Should -BeNullOrEmpty
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -BeNullOrEmpty
            $r.FileCount | Should -Be 0
            $r.ByteCount | Should -Be 0
            @($r.VerifiedPaths) | Should -Be $expected
            @($r.SkippedPaths.Path) | Should -Be $expected
            @($r.SkippedPaths.Reason | Select-Object -Unique) | Should -Be 'unchanged'
            Assert-CleanSync $case $second

            # Same size, new content and a new mtime: changed.
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{"acc": 0.95}' -Time $t2
            $third = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $third.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/metrics.json"
            $r.FileCount | Should -Be 1
            $r.ByteCount | Should -Be 13
            @($r.VerifiedPaths) | Should -Be $expected
            Get-Content -LiteralPath (Join-Path $case.RunDir 'metrics.json') -Raw | Should -Be '{"acc": 0.95}'
            (Get-Item (Join-Path $case.RunDir 'metrics.json')).LastWriteTimeUtc | Should -Be $t2
            Assert-CleanSync $case $third
        }

        It 'reaches the host through the ssh config alias with the <Name> key' -ForEach @(
            @{ Name = 'ed25519 (OpenSSH)'; Key = 'ed25519'; Passphrase = $null }
            @{ Name = 'RSA (PEM)'; Key = 'rsaPem'; Passphrase = $null }
            @{ Name = 'ECDSA'; Key = 'ecdsa'; Passphrase = $null }
            @{ Name = 'passphrase-protected ed25519'; Key = 'ed25519Passphrase'; Passphrase = 'ed25519PassphraseValue' }
        ) {
            $with = @{ Source = "$($tb.sshAlias):$($case.Remote)"; SshConfigPath = $tb.sshConfig; KeyFilePath = $tb.keys.$Key }
            if ($Passphrase) { $with.KeyPassphrase = ConvertTo-SecureString $tb.keys.$Passphrase -AsPlainText -Force }
            $s = Invoke-Sync $case -With $with
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].VerifiedPaths) | Should -Be $expected
            $s.Result[0].FileCount | Should -Be 3
            Assert-CleanSync $case $s
        }

        It 'takes user, port, key and known_hosts from the ssh config alias alone' {
            $s = Invoke-Sync $case -With @{ Source = "$($tb.sshAlias):$($case.Remote)"; SshConfigPath = $tb.sshConfig }
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].PulledPaths) | Should -Be $expected
            Assert-CleanSync $case $s
        }

        It 'accepts the host key from a hashed known_hosts' {
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $tb.knownHostsHashed })
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].PulledPaths) | Should -Be $expected
            Assert-CleanSync $case $s
        }

        It 'with -ComputerName reads a plain -Source path on that computer' {
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ ComputerName = $tb.sshHost; UserName = $tb.sshUser; Source = $case.Remote })
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].PulledPaths) | Should -Be $expected
            $s.Result[0].Source | Should -BeLike "*$($tb.sshHost)*:$($case.Remote)"
            Assert-CleanSync $case $s
        }

        It 'pulls from a local folder given as -Source' {
            $s = Invoke-Sync $case -With @{ Source = $case.Remote }
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].PulledPaths) | Should -Be $expected
            (Get-Item (Join-Path $case.RunDir 'metrics.json')).LastWriteTimeUtc | Should -Be $t1
            Assert-CleanSync $case $s
        }

        It 'refuses a key without its passphrase, then succeeds when the retry gives it' {
            # A fresh known_hosts copy gives this test its own pooled connection.
            $kh = New-KnownHosts -CopyOf $tb.knownHosts
            $base = Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; KeyFilePath = $tb.keys.ed25519Passphrase }
            $s = Invoke-Sync $case -With $base
            Assert-CouldNotRun $s 'SshAuthenticationFailed'
            Assert-CleanSync $case $s

            $retry = Invoke-Sync $case -With (Merge-SshParameter -Base $base @{ KeyPassphrase = (ConvertTo-SecureString $tb.keys.ed25519PassphraseValue -AsPlainText -Force) })
            $retry.Errors | Should -BeNullOrEmpty -Because 'the passphrase is given now'
            $retry.Result[0].Status | Should -Be 'ok'
            @($retry.Result[0].PulledPaths) | Should -Be $expected
            Assert-CleanSync $case $retry
        }
    }

    Context 'host keys and connection failures' {
        BeforeEach {
            $script:case = New-SyncCase
            $null = Set-TestFile $case.Remote 'out.txt' -Text 'artifact'
        }

        It 'refuses an unknown host with HostKeyUnknown, writing nothing (known_hosts included)' {
            $kh = New-KnownHosts
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh })
            Assert-CouldNotRun $s 'HostKeyUnknown'
            $s.Errors[0].Exception.Message | Should -Match 'AcceptNewHostKey'
            [IO.File]::ReadAllText($kh) | Should -Be ''
            Test-Path -LiteralPath (Join-Path $case.RunDir 'out.txt') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'records the key of a new host with -AcceptNewHostKey and then trusts it' {
            $kh = New-KnownHosts
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; AcceptNewHostKey = $true })
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            @($s.Result[0].PulledPaths) | Should -Be "$runRel/out.txt"
            $lines = @(Get-Content -LiteralPath $kh)
            $lines.Count | Should -Be 1
            $fields = $lines[0] -split ' '
            $fields[0] | Should -Be "[$($tb.sshHost)]:$($tb.sshPort)"
            $known = @(Get-Content -LiteralPath $tb.knownHosts | ForEach-Object { ($_ -split ' ')[1..2] -join ' ' })
            ($fields[1..2] -join ' ') | Should -BeIn $known
            @(Get-ChildItem -LiteralPath (Split-Path $kh) -Force).Name | Should -Be 'known_hosts' -Because 'the rewrite leaves no temp file'
            Assert-CleanSync $case $s

            $again = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh })
            $again.Errors | Should -BeNullOrEmpty
            $again.Result[0].Status | Should -Be 'ok'
            @(Get-Content -LiteralPath $kh).Count | Should -Be 1
        }

        It '-WhatIf -AcceptNewHostKey lists what would be pulled but records no key (known_hosts unchanged); the real run then records it' {
            $kh = New-KnownHosts
            $s = Invoke-Sync $case -Watch (Split-Path $kh) -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; AcceptNewHostKey = $true; WhatIf = $true })
            $s.Errors | Should -BeNullOrEmpty -Because 'the new key is trusted for the listing the -WhatIf needs'
            $s.Result | Should -BeNullOrEmpty -Because '-WhatIf pulls nothing'
            $s.Outside | Should -BeNullOrEmpty -Because '-WhatIf changes nothing anywhere, known_hosts included'
            [IO.File]::ReadAllText($kh) | Should -Be ''
            Test-Path -LiteralPath (Join-Path $case.RunDir 'out.txt') | Should -BeFalse

            $real = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; AcceptNewHostKey = $true })
            $real.Errors | Should -BeNullOrEmpty
            $real.Result[0].Status | Should -Be 'ok'
            @(Get-Content -LiteralPath $kh).Count | Should -Be 1 -Because 'a pooled -WhatIf connection must not stand in for the run that records the key'
        }

        It 'after HostKeyUnknown, a retry with -AcceptNewHostKey succeeds and records the key' {
            $kh = New-KnownHosts
            $first = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh })
            Assert-CouldNotRun $first 'HostKeyUnknown'

            $retry = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; AcceptNewHostKey = $true })
            $retry.Errors | Should -BeNullOrEmpty -Because 'the user accepted the new host key this time'
            $retry.Result[0].Status | Should -Be 'ok'
            @(Get-Content -LiteralPath $kh).Count | Should -Be 1
            Assert-CleanSync $case $retry
        }

        It 'refuses a changed host key with HostKeyMismatch<Label>' -ForEach @(
            @{ Label = ''; Accept = $false }
            @{ Label = ', even with -AcceptNewHostKey'; Accept = $true }
        ) {
            $kh = New-KnownHosts -CopyOf $tb.knownHostsWrong
            $hash = Get-FileHashText $kh
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KnownHostsPath = $kh; AcceptNewHostKey = $Accept })
            Assert-CouldNotRun $s 'HostKeyMismatch'
            Get-FileHashText $kh | Should -Be $hash -Because 'a changed key is never recorded'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'out.txt') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'reports SshAuthenticationFailed for a key the server does not accept' {
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; KeyFilePath = $tb.keys.wrong })
            Assert-CouldNotRun $s 'SshAuthenticationFailed'
            Assert-CleanSync $case $s
        }

        It 'reports SshConnectionFailed when nothing listens on the port' {
            $port = Get-FreeTcpPort
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; Port = $port })
            Assert-CouldNotRun $s 'SshConnectionFailed'
            $s.Errors[0].Exception.Message | Should -Match "$port"
            Assert-CleanSync $case $s
        }

        It 'reports RemotePathNotFound for a missing remote directory' {
            $missing = Join-Path $case.Remote 'no-such-run'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = "${sshRoot}:$missing" })
            Assert-CouldNotRun $s 'RemotePathNotFound'
            $s.Errors[0].Exception.Message | Should -Match ([regex]::Escape($missing))
            Assert-CleanSync $case $s
        }
    }

    Context 'policy' {
        BeforeEach {
            $script:case = New-SyncCase
            $null = Set-TestFile $case.Remote 'keep.txt' -Text 'kept'
        }

        It 'refuses symlinks that lead outside with PathEscapesDestination' {
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.Remote 'x') -Target '../../..' | Out-Null
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.Remote 'y') -Target '/etc/passwd' | Out-Null
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt"
            foreach ($name in 'x', 'y') {
                $skip = @($r.SkippedPaths | Where-Object Path -EQ "$runRel/$name")
                $skip.Count | Should -Be 1 -Because "'$name' leads outside"
                $skip[0].Reason | Should -Match 'PathEscapesDestination'
                Test-Path -LiteralPath (Join-Path $case.RunDir $name) | Should -BeFalse
            }
            Assert-CleanSync $case $s
        }

        It 'skips a dangling symlink and a FIFO' {
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.Remote 'dangling') -Target 'nowhere.txt' | Out-Null
            & mkfifo (Join-Path $case.Remote 'pipe')
            $LASTEXITCODE | Should -Be 0
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/dangling").Reason | Should -Match 'dangling'
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/pipe").Reason | Should -Match 'FIFO'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'dangling') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $case.RunDir 'pipe') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'pulls a symlink that stays inside the run directory as the file it names' {
            $null = Set-TestFile $case.Remote 'models/final.bin' -Bytes (New-RandomBytes 5000)
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.Remote 'best.bin') -Target 'models/final.bin' | Out-Null
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/best.bin", "$runRel/keep.txt", "$runRel/models/final.bin"
            $local = Get-Item -LiteralPath (Join-Path $case.RunDir 'best.bin')
            $local.LinkTarget | Should -BeNullOrEmpty
            Get-Sha256 $local.FullName | Should -Be (Get-Sha256 (Join-Path $case.Remote 'models/final.bin'))
            Assert-CleanSync $case $s
        }

        It 'refuses files over -MaxFileSizeMB' {
            $null = Set-TestFile $case.Remote 'big.bin' -Bytes (New-RandomBytes (2MB + 1))
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; MaxFileSizeMB = 2 })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/big.bin").Reason | Should -Match 'cap'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'big.bin') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'pulls only what -Include names and -Exclude does not' {
            $null = Set-TestFile $case.Remote 'logs/a.log' -Text 'a'
            $null = Set-TestFile $case.Remote 'logs/debug.log' -Text 'd'
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{}'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; Include = '*.json', 'logs/*'; Exclude = 'logs/debug*' })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/logs/a.log", "$runRel/metrics.json"
            @($r.VerifiedPaths) | Should -Be "$runRel/logs/a.log", "$runRel/metrics.json"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/keep.txt").Reason | Should -Match 'Include'
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/logs/debug.log").Reason | Should -Match 'Exclude'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'keep.txt') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $case.RunDir 'logs/debug.log') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'never replaces the local run_manifest.json or logs/slurm_monitor.log from the remote side' {
            $localLog = Set-TestFile $case.RunDir 'logs/slurm_monitor.log' -Text "local line`n"
            $null = Set-TestFile $case.Remote 'run_manifest.json' -Text '{"run_id": "remote"}'
            $null = Set-TestFile $case.Remote 'logs/slurm_monitor.log' -Text "remote line`n"
            $manifestHash = Get-FileHashText $case.Manifest
            $logHash = Get-FileHashText $localLog
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt"
            Get-FileHashText $case.Manifest | Should -Be $manifestHash
            Get-FileHashText $localLog | Should -Be $logHash
            @($r.SkippedPaths.Path) | Should -Contain "$runRel/run_manifest.json"
            @($r.SkippedPaths.Path) | Should -Contain "$runRel/logs/slurm_monitor.log"
            $r.VerifiedPaths | Should -Not -Contain "$runRel/run_manifest.json"
            Assert-CleanSync $case $s
        }

        It 'does not bring a remote logs/slurm_monitor.log home even when there is no local one' {
            $null = Set-TestFile $case.Remote 'logs/slurm_monitor.log' -Text "remote line`n"
            $null = Set-TestFile $case.Remote 'logs/job.out' -Text 'job output'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt", "$runRel/logs/job.out"
            @($r.SkippedPaths.Path) | Should -Contain "$runRel/logs/slurm_monitor.log"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'logs/slurm_monitor.log') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'refuses to write through a local folder that is a symlink to outside the run directory' {
            $outside = New-Scratch 'outside'
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.RunDir 'out') -Target $outside | Out-Null
            $null = Set-TestFile $case.Remote 'out/secret.txt' -Text 'would escape'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source }) -Watch $outside
            $r = $s.Result[0]
            @($r.PulledPaths) | Should -Be "$runRel/keep.txt"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/out/secret.txt").Reason | Should -Match 'PathEscapesDestination'
            @(Get-ChildItem -LiteralPath $outside -Force) | Should -BeNullOrEmpty
            $r.Status | Should -Be 'ok'
            Assert-CleanSync $case $s
        }
    }

    Context 'SHA256SUMS written by the job' {
        BeforeEach {
            $script:case = New-SyncCase
            $null = Set-TestFile $case.Remote 'model.bin' -Bytes (New-RandomBytes 300000 -Seed 3)
            $null = Set-TestFile $case.Remote 'sub/metrics.json' -Text '{"loss": 0.1}'
        }

        It 'verifies every listed file and reports ok when the hashes match' {
            Write-Sha256Sums $case.Remote 'model.bin', 'sub/metrics.json'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.Failures | Should -BeNullOrEmpty
            @($r.VerifiedPaths) | Should -Be "$runRel/SHA256SUMS", "$runRel/model.bin", "$runRel/sub/metrics.json"
            Assert-CleanSync $case $s
        }

        It 'treats a file whose mtime changed but whose SHA256SUMS hash matches as unchanged' {
            Write-Sha256Sums $case.Remote 'model.bin', 'sub/metrics.json'
            $first = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $first.Result[0].Status | Should -Be 'ok'
            [IO.File]::SetLastWriteTimeUtc((Join-Path $case.Remote 'model.bin'), [DateTime]::new(2024, 1, 2, 3, 4, 5, [DateTimeKind]::Utc))
            $second = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $second.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -Not -Contain "$runRel/model.bin"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/model.bin").Reason | Should -Be 'unchanged'
            $r.VerifiedPaths | Should -Contain "$runRel/model.bin"
            Assert-CleanSync $case $second
        }

        It 'fails a file whose remote copy does not match SHA256SUMS and never puts it under its final name' {
            Write-Sha256Sums $case.Remote 'model.bin', 'sub/metrics.json'
            # The remote copy is corrupted after the job hashed it (same size, one byte flipped).
            $bytes = [IO.File]::ReadAllBytes((Join-Path $case.Remote 'model.bin'))
            $bytes[1000] = $bytes[1000] -bxor 0xFF
            [IO.File]::WriteAllBytes((Join-Path $case.Remote 'model.bin'), $bytes)
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures.Path) | Should -Be "$runRel/model.bin"
            $r.Failures[0].Reason | Should -Match 'SHA256SUMS mismatch'
            $r.VerifiedPaths | Should -Not -Contain "$runRel/model.bin"
            $r.VerifiedPaths | Should -Contain "$runRel/sub/metrics.json"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'model.bin') | Should -BeFalse
            Assert-CleanSync $case $s
        }
    }

    Context 'resume after a torn connection' {
        It 'keeps the partial download under a temporary name and resumes it over a new connection' {
            $case = New-SyncCase
            $size = 24MB
            $big = Set-TestFile $case.Remote 'big.bin' -Bytes (New-RandomBytes $size -Seed 11)
            $null = Set-TestFile $case.Remote 'small.txt' -Text 'small'
            $relay = Start-Relay -CutAfterBytes ([long]($size * 0.3))
            try {
                $kh = New-KnownHosts -ForPort $relay.Port
                $torn = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; Port = $relay.Port; KnownHostsPath = $kh; ThrottleLimit = 1 })
                $relay.Process.WaitForExit(20000) | Should -BeTrue -Because 'the relay exits once it has cut'
            }
            finally {
                if (-not $relay.Process.HasExited) { $relay.Process.Kill() }
            }
            $r = $torn.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures.Path) | Should -Contain "$runRel/big.bin"
            $r.VerifiedPaths | Should -Not -Contain "$runRel/big.bin"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'big.bin') | Should -BeFalse -Because 'a partial download never sits under its final name'
            $partials = @(Get-TempName $case.RunDir | Where-Object { (Split-Path $_ -Leaf) -like '.big.bin.*' })
            $partials.Count | Should -Be 1
            $partials[0] | Should -BeLike '*.autolab-part'
            $partialLength = (Get-Item -LiteralPath $partials[0] -Force).Length
            $partialLength | Should -BeGreaterThan 0
            $partialLength | Should -BeLessThan $size
            Assert-CleanSync $case $torn -AllowPartial

            $resumed = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $resumed.Errors | Should -BeNullOrEmpty
            $r = $resumed.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -Contain "$runRel/big.bin"
            $r.VerifiedPaths | Should -Contain "$runRel/big.bin"
            Get-Sha256 (Join-Path $case.RunDir 'big.bin') | Should -Be (Get-Sha256 $big)
            $r.ByteCount | Should -BeLessThan $size -Because 'the download resumed from the partial'
            $smallPulled = if ($r.PulledPaths -contains "$runRel/small.txt") { 5 } else { 0 }
            $r.ByteCount | Should -Be ($size - $partialLength + $smallPulled)
            Assert-CleanSync $case $resumed
        }
    }

    Context 'many small files (the one-stream path)' {
        BeforeEach {
            $script:case = New-SyncCase
            $long = 'deep/' + ('a' * 60) + '/' + ('b' * 60) + '/' + ('c' * 40) + '.txt'
            # Names a shell or tar could misread: spaces, quotes, non-ASCII, leading dashes, an option's name.
            $script:names = @(0..9 | ForEach-Object { 'f{0:D2}.txt' -f $_ }) + @(
                $long, 'with space.txt', 'quote''d "double".txt', 'ünïcødé.txt', '--remove-files', '-n.txt', 'sub/x.bin')
            $script:times = @{}
            $i = 0
            foreach ($name in $names) {
                $time = [DateTime]::new(2025, 1, 1, 0, 0, 0, [DateTimeKind]::Utc).AddMinutes(7 * $i)
                $content = if ($name -eq 'sub/x.bin') { New-RandomBytes 100000 -Seed 9 } else { [Text.Encoding]::UTF8.GetBytes("content of $name`n") }
                $null = Set-TestFile $case.Remote $name -Bytes $content -Time $time
                $times[$name] = $time
                $i++
            }
            New-Item -ItemType SymbolicLink -Path (Join-Path $case.Remote 'link.txt') -Target 'f00.txt' | Out-Null
            $script:all = @($names + 'link.txt' | ForEach-Object { "$runRel/$_" } | Sort-Object)
            # The symlink counts with its target's bytes (it is pulled as that file).
            $script:allBytes = ($names + 'link.txt' | ForEach-Object { [IO.File]::ReadAllBytes((Join-Path $case.Remote $_)).Length } | Measure-Object -Sum).Sum
        }

        It 'pulls every file byte for byte with its mtime, names of every kind included' {
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.Failures | Should -BeNullOrEmpty
            @($r.PulledPaths | Sort-Object) | Should -Be $all
            @($r.VerifiedPaths | Sort-Object) | Should -Be $all
            $r.FileCount | Should -Be $all.Count
            $r.ByteCount | Should -Be $allBytes
            foreach ($name in $names) {
                (Get-Item -LiteralPath (Join-Path $case.RunDir $name) -Force).LastWriteTimeUtc | Should -Be $times[$name] -Because $name
            }
            $link = Get-Item -LiteralPath (Join-Path $case.RunDir 'link.txt')
            $link.LinkTarget | Should -BeNullOrEmpty
            Get-Content -LiteralPath $link.FullName -Raw | Should -Be "content of f00.txt`n"
            Assert-CleanSync $case $s
        }

        It 'skips them all the second time' {
            $null = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -BeNullOrEmpty
            $r.ByteCount | Should -Be 0
            @($r.VerifiedPaths | Sort-Object) | Should -Be $all
            @($r.SkippedPaths.Path | Sort-Object) | Should -Be $all
            Assert-CleanSync $case $s
        }

        It 'fails the one file that does not match SHA256SUMS and pulls the rest' {
            Write-Sha256Sums $case.Remote $names -Override @{ 'f03.txt' = ('b' * 64) }
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $r = $s.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures.Path) | Should -Be "$runRel/f03.txt"
            $r.Failures[0].Reason | Should -Match 'SHA256SUMS mismatch'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'f03.txt') | Should -BeFalse
            @($r.VerifiedPaths).Count | Should -Be $all.Count
            $r.VerifiedPaths | Should -Contain "$runRel/SHA256SUMS"
            Assert-CleanSync $case $s
        }
    }

    Context 'a connection torn in the middle of the one-stream path' {
        It 'puts nothing unconfirmed under a final name; the next sync confirms the whole files without fetching them again and completes the rest' {
            $case = New-SyncCase
            # 400 files of 16 KiB (6.4 MB): the stream is cut about a third of the way through.
            $names = 0..399 | ForEach-Object { 'many/d{0}/f{1:D3}.bin' -f ($_ % 4), $_ }
            foreach ($name in $names) { $null = Set-TestFile $case.Remote $name -Bytes (New-RandomBytes 16KB -Seed ([array]::IndexOf($names, $name))) }
            $relay = Start-Relay -CutAfterBytes 2MB
            try {
                $kh = New-KnownHosts -ForPort $relay.Port
                $torn = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source; Port = $relay.Port; KnownHostsPath = $kh })
                $relay.Process.WaitForExit(20000) | Should -BeTrue -Because 'the relay exits once it has cut'
            }
            finally {
                if (-not $relay.Process.HasExited) { $relay.Process.Kill() }
            }
            $r = $torn.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures).Count | Should -BeGreaterThan 0
            # A file is placed only once the source confirms it did not change while it was read; with the
            # connection gone that check cannot be made, so the files that arrived whole wait under their
            # partial names (complete), and nothing is under a final name.
            $landed = @(Get-ChildItem -LiteralPath (Join-Path $case.RunDir 'many') -Recurse -File -ErrorAction SilentlyContinue | Where-Object Name -NotLike '.*')
            $landed.Count | Should -Be @($r.PulledPaths).Count
            $whole = @(Get-TempName $case.RunDir | Where-Object { (Get-Item -LiteralPath $_ -Force).Length -eq 16KB })
            $whole.Count | Should -BeGreaterThan 0 -Because 'the files before the cut arrived whole'
            ($landed.Count + $whole.Count) | Should -BeLessThan $names.Count -Because 'the files after the cut did not'
            Assert-CleanSync $case $torn -AllowPartial

            $again = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $again.Errors | Should -BeNullOrEmpty
            $again.Result[0].Status | Should -Be 'ok'
            @($again.Result[0].PulledPaths).Count | Should -Be ($names.Count - $landed.Count)
            $again.Result[0].ByteCount | Should -Be (($names.Count - $landed.Count - $whole.Count) * 16KB) -Because 'the whole files are confirmed and placed, not fetched again'

            @(Get-ChildItem -LiteralPath (Join-Path $case.RunDir 'many') -Recurse -File | Where-Object Name -NotLike '.*').Count | Should -Be $names.Count
            Assert-CleanSync $case $again
        }
    }

    Context 'byte counts' {
        It 'reports exactly the bytes of the files a fresh pull transferred, every time' {
            # Several parallel multi-MB transfers, repeated: a count that depends on thread timing shows up here.
            $source = New-Scratch 'remote-bytes'
            $total = 0
            for ($f = 0; $f -lt 6; $f++) { $null = Set-TestFile $source "f$f.bin" -Bytes (New-RandomBytes 8MB -Seed $f); $total += 8MB }
            $counts = for ($i = 0; $i -lt 4; $i++) {
                $case = New-SyncCase
                $case.Remote = $source
                $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = "${sshRoot}:$source" })
                $s.Result[0].Status | Should -Be 'ok'
                $s.Result[0].FileCount | Should -Be 6
                $s.Outside | Should -BeNullOrEmpty
                Get-TempName $case.RunDir | Should -BeNullOrEmpty
                $s.Result[0].ByteCount
                Remove-Item -LiteralPath $case.Repo -Recurse -Force
            }
            @($counts).Count | Should -Be 4
            @($counts | Select-Object -Unique) | Should -Be $total -Because "every fresh pull moves $total bytes (got $($counts -join ', '))"
        }
    }

    Context 'leftover partial downloads' {
        It 'removes a leftover partial once the file is verified' {
            $case = New-SyncCase
            $file = Set-TestFile $case.Remote 'data.bin' -Bytes (New-RandomBytes 100000 -Seed 5)
            # A stale partial of an older version of the file (another size and mtime in its name).
            $stale = Set-TestFile $case.RunDir '.data.bin.99999.1700000000.autolab-part' -Text 'old bytes'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Result[0].Status | Should -Be 'ok'
            Test-Path -LiteralPath $stale | Should -BeFalse
            Get-Sha256 (Join-Path $case.RunDir 'data.bin') | Should -Be (Get-Sha256 $file)
            Assert-CleanSync $case $s
        }

        It 'removes leftover partials when the run is terminal (<Status>)' -ForEach @(
            @{ Status = 'failed' }
            @{ Status = 'synced' }
        ) {
            $case = New-SyncCase -Status $Status -Extra @{ completed_at = '2026-01-01T02:00:00Z' }
            $null = Set-TestFile $case.Remote 'out.txt' -Text 'done'
            # The partial of a file the source no longer has: nothing would ever resume it.
            $stale = Set-TestFile $case.RunDir 'sub/.gone.bin.5000.1700000000.autolab-part' -Text 'half'
            $s = Invoke-Sync $case -With (Merge-SshParameter @{ Source = $case.Source })
            $s.Result[0].Status | Should -Be 'ok'
            Test-Path -LiteralPath $stale | Should -BeFalse
            Assert-CleanSync $case $s
        }
    }

    Context 'remote profiles' {
        BeforeEach {
            $script:remoteRepo = New-Scratch 'remote-repo'
            $script:case = New-SyncCase -Extra @{ remote_execution = [ordered]@{ profile = 'cluster'; mode = 'git_checkout' } }
            # The remote side of the profile is the run directory below remote_repo_root.
            $case.Remote = Join-Path $remoteRepo $runRel
            $null = New-Item -ItemType Directory -Path $case.Remote -Force
            $script:profilesPath = Join-Path $case.Repo '.autolab/remote_profiles.yaml'
            $script:viaConfig = @{ SshConfigPath = $tb.sshConfig }

            function script:Set-Profile {
                param([string] $Mode = 'git_checkout', [string] $Pull = '', [string] $Policy = '', [string] $Name = 'cluster')
                $text = @"
schema_version: "1.0"
default_profile: $Name
profiles:
  ${Name}:
    mode: $Mode
    login_host: $($tb.sshAlias)
    remote_repo_root: $remoteRepo
$Pull
$Policy
"@
                [IO.File]::WriteAllText($profilesPath, $text)
            }
        }

        It 'pulls through the profile with no -Source, refusing denied and oversized files' {
            Set-Profile -Pull @"
    artifact_pull:
      enabled: true
      allow_patterns: ["{run_dir}/**"]
      max_file_size_mb: 1
"@ -Policy @"
    data_policy:
      local_sync: allowed
      deny_patterns: ["{run_dir}/data/**"]
"@
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{"acc": 1}'
            $null = Set-TestFile $case.Remote 'data/raw/huge.csv' -Text 'a,b'
            $null = Set-TestFile $case.Remote 'ckpt.bin' -Bytes (New-RandomBytes (1MB + 10))
            $s = Invoke-Sync $case -With $viaConfig
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/metrics.json"
            @($r.VerifiedPaths) | Should -Be "$runRel/metrics.json"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/data/raw/huge.csv").Reason | Should -Match ([regex]::Escape("$runRel/data/**"))
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/ckpt.bin").Reason | Should -Match 'cap'
            $r.Source | Should -BeLike "*:$($case.Remote)"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'data') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $case.RunDir 'ckpt.bin') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'the example profiles file (examples/autolab-repo) as a user would set it up: pulls through the cluster-login alias, keeping data and checkpoints there' {
            # What the README asks of a user: copy the file, change remote_repo_root to the checkout on the cluster,
            # and give the ssh config a Host entry named like login_host. Nothing else is edited.
            $example = Join-Path $PSScriptRoot '../../examples/autolab-repo/.autolab/remote_profiles.yaml'
            $text = [IO.File]::ReadAllText($example)
            $text | Should -Match '(?m)^    remote_repo_root: /scratch/jdoe/autolab-repo$'
            [IO.File]::WriteAllText($profilesPath, $text.Replace('remote_repo_root: /scratch/jdoe/autolab-repo', "remote_repo_root: $remoteRepo"))
            $config = Join-Path (Split-Path $profilesPath) 'ssh_config'
            [IO.File]::WriteAllText($config, @"
Host cluster-login
    HostName $($tb.sshHost)
    Port $($tb.sshPort)
    User $($tb.sshUser)
    IdentityFile $($tb.keys.ed25519)
    UserKnownHostsFile $($tb.knownHosts)
"@)
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{"acc": 1}'
            $null = Set-TestFile $case.Remote 'logs/train.log' -Text 'epoch 1'
            $null = Set-TestFile $case.Remote 'data/raw.csv' -Text 'a,b'
            $null = Set-TestFile $case.Remote 'checkpoints/last.ckpt' -Text 'weights'
            $s = Invoke-Sync $case -With @{ SshConfigPath = $config }
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.Source | Should -BeLike "*:$($case.Remote)"
            @($r.PulledPaths | Sort-Object) | Should -Be @("$runRel/logs/train.log", "$runRel/metrics.json")
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/data/raw.csv").Reason | Should -Match ([regex]::Escape("$runRel/data/**"))
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/checkpoints/last.ckpt").Reason | Should -Match ([regex]::Escape("$runRel/*.ckpt"))
            Assert-CleanSync $case $s
        }

        It 'the example profiles file: a run naming its shared profile is checked in place' {
            Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../examples/autolab-repo/.autolab/remote_profiles.yaml') -Destination $profilesPath -Force
            $m = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $m.remote_execution = [ordered]@{ profile = 'shared'; mode = 'shared_fs' }
            [IO.File]::WriteAllText($case.Manifest, ($m | ConvertTo-Json -Depth 10) + "`n")
            $null = Set-TestFile $case.RunDir 'metrics.json' -Text '{"acc": 1}'
            $s = Invoke-Sync $case
            $s.Errors | Should -BeNullOrEmpty
            $s.Result[0].Status | Should -Be 'ok'
            $s.Result[0].PulledPaths | Should -BeNullOrEmpty
            @($s.Result[0].VerifiedPaths) | Should -Contain "$runRel/metrics.json"
        }

        It 'pulls only what allow_patterns name ({iteration_id} and {run_id} filled in)' {
            Set-Profile -Pull @"
    artifact_pull:
      enabled: true
      allow_patterns: ["experiments/plan/{iteration_id}/runs/{run_id}/results/**", "{run_dir}/metrics.json"]
"@
            $null = Set-TestFile $case.Remote 'results/a.txt' -Text 'a'
            $null = Set-TestFile $case.Remote 'results/deep/b.txt' -Text 'b'
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{}'
            $null = Set-TestFile $case.Remote 'scratch/tmp.txt' -Text 'no'
            $s = Invoke-Sync $case -With $viaConfig
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/metrics.json", "$runRel/results/a.txt", "$runRel/results/deep/b.txt"
            ($r.SkippedPaths | Where-Object Path -EQ "$runRel/scratch/tmp.txt").Reason | Should -Match 'allow_patterns'
            Test-Path -LiteralPath (Join-Path $case.RunDir 'scratch') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'reads the run from remote_execution.remote_iteration_dir when the manifest names one' {
            Set-Profile -Pull "    artifact_pull:`n      enabled: true"
            $elsewhere = New-Scratch 'iteration-elsewhere'
            $json = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.remote_execution.remote_iteration_dir = "$elsewhere/iter1"
            [IO.File]::WriteAllText($case.Manifest, ($json | ConvertTo-Json -Depth 10) + "`n")
            $null = Set-TestFile $case.Remote 'wrong.txt' -Text 'from remote_repo_root'
            $case.Remote = Join-Path $elsewhere 'iter1/runs/run_001'
            $null = Set-TestFile $case.Remote 'right.txt' -Text 'from remote_iteration_dir'
            $s = Invoke-Sync $case -With $viaConfig
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            @($r.PulledPaths) | Should -Be "$runRel/right.txt"
            $r.Source | Should -BeLike "*:$($case.Remote)"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'wrong.txt') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'pulls nothing and reports ok for <Label>' -ForEach @(
            @{ Label = 'mode verify_only'; Mode = 'verify_only'; Pull = "    artifact_pull:`n      enabled: true" }
            @{ Label = 'artifact_pull.enabled false'; Mode = 'git_checkout'; Pull = "    artifact_pull:`n      enabled: false" }
        ) {
            Set-Profile -Mode $Mode -Pull $Pull
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{}'
            $s = Invoke-Sync $case -With $viaConfig
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -BeNullOrEmpty
            $r.VerifiedPaths | Should -BeNullOrEmpty
            $r.Failures | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $case.RunDir -Recurse -Force).Name | Should -Be 'run_manifest.json'
            Assert-CleanSync $case $s
        }

        It 'fails with ArtifactPullForbidden when <Label> while local_sync is forbidden' -ForEach @(
            @{ Label = 'artifact_pull is disabled'; Mode = 'git_checkout'; Pull = "    artifact_pull:`n      enabled: false`n      allow_patterns: [`"{run_dir}/**`"]"
                Sentence = 'artifact pull is disabled while local_sync is forbidden' }
            @{ Label = 'the mode is verify_only'; Mode = 'verify_only'; Pull = "    artifact_pull:`n      enabled: true`n      allow_patterns: [`"{run_dir}/**`"]"
                Sentence = 'artifact pull is disabled while local_sync is forbidden' }
            @{ Label = 'no allow_patterns are configured'; Mode = 'git_checkout'; Pull = "    artifact_pull:`n      enabled: true"
                Sentence = 'artifact pull allow_patterns must be configured when data_policy.local_sync is forbidden' }
        ) {
            Set-Profile -Mode $Mode -Pull $Pull -Policy "    data_policy:`n      local_sync: forbidden"
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{}'
            $s = Invoke-Sync $case -With $viaConfig
            Assert-CouldNotRun $s 'ArtifactPullForbidden'
            $s.Result[0].Failures[0].Reason | Should -BeLike "*$Sentence*"
            Test-Path -LiteralPath (Join-Path $case.RunDir 'metrics.json') | Should -BeFalse
            Assert-CleanSync $case $s
        }

        It 'reports ProfileNotFound for a profile the file does not define' {
            Set-Profile -Name 'other' -Pull "    artifact_pull:`n      enabled: true"
            $s = Invoke-Sync $case -With $viaConfig
            Assert-CouldNotRun $s 'ProfileNotFound'
            $s.Errors[0].Exception.Message | Should -Match 'cluster'
            Assert-CleanSync $case $s
        }

        It 'reports ProfileNotFound when .autolab/remote_profiles.yaml is missing' {
            $s = Invoke-Sync $case -With $viaConfig
            Assert-CouldNotRun $s 'ProfileNotFound'
            Assert-CleanSync $case $s
        }

        It 'reports ProfileInvalid for malformed YAML' {
            [IO.File]::WriteAllText($profilesPath, "profiles:`n  cluster: [unclosed`n    mode: : :`n")
            $s = Invoke-Sync $case -With $viaConfig
            Assert-CouldNotRun $s 'ProfileInvalid'
            $s.Errors[0].Exception.Message | Should -Match 'remote_profiles\.yaml'
            Assert-CleanSync $case $s
        }

        It 'verifies a shared_fs profile in place without SSH' {
            # A login host no one can reach: any SSH attempt would fail the sync.
            [IO.File]::WriteAllText($profilesPath, "schema_version: `"1.0`"`nprofiles:`n  cluster:`n    mode: shared_fs`n    login_host: no-such-host.invalid`n")
            $null = Set-TestFile $case.RunDir 'out/result.txt' -Text 'written by the job'
            Write-Sha256Sums $case.RunDir 'out/result.txt'
            $s = Invoke-Sync $case
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -BeNullOrEmpty
            @($r.VerifiedPaths) | Should -Be "$runRel/SHA256SUMS", "$runRel/out/result.txt"
            Assert-CleanSync $case $s
        }
    }

    Context 'shared filesystem (no remote_execution, no -Source)' {
        BeforeEach {
            $script:case = New-SyncCase
            $null = Set-TestFile $case.RunDir 'model.bin' -Bytes (New-RandomBytes 4096)
            $null = Set-TestFile $case.RunDir 'logs/train.log' -Text 'done'
        }

        It 'verifies what the job wrote in place, SHA256SUMS included' {
            Write-Sha256Sums $case.RunDir 'model.bin', 'logs/train.log'
            $s = Invoke-Sync $case
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'ok'
            $r.PulledPaths | Should -BeNullOrEmpty
            $r.FileCount | Should -Be 0
            @($r.VerifiedPaths) | Should -Be "$runRel/SHA256SUMS", "$runRel/logs/train.log", "$runRel/model.bin"
            $r.Destination | Should -Be $runRel
            Assert-CleanSync $case $s
        }

        It 'fails when a file does not match the job''s SHA256SUMS' {
            Write-Sha256Sums $case.RunDir 'model.bin', 'logs/train.log' -Override @{ 'model.bin' = ('0' * 64) }
            $s = Invoke-Sync $case
            $s.Errors | Should -BeNullOrEmpty
            $r = $s.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures.Path) | Should -Be "$runRel/model.bin"
            $r.Failures[0].Reason | Should -Match 'SHA256SUMS mismatch'
            $r.VerifiedPaths | Should -Not -Contain "$runRel/model.bin"
            $r.VerifiedPaths | Should -Contain "$runRel/logs/train.log"
            Assert-CleanSync $case $s
        }

        It 'fails for a file SHA256SUMS lists that the job did not write' {
            Write-Sha256Sums $case.RunDir 'model.bin' -Override @{}
            Add-Content -LiteralPath (Join-Path $case.RunDir 'SHA256SUMS') -Value "$('1' * 64)  missing.bin"
            $s = Invoke-Sync $case
            $r = $s.Result[0]
            $r.Status | Should -Be 'failed'
            @($r.Failures.Path) | Should -Be "$runRel/missing.bin"
            Assert-CleanSync $case $s
        }
    }

    Context '-WhatIf, Ctrl+C and progress' {
        It '-WhatIf lists what would be pulled and writes nothing' {
            $case = New-SyncCase
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{}'
            $null = Set-TestFile $case.Remote 'logs/train.log' -Text 'x'
            $command = "Import-Module '$env:AUTOLAB_SLURM_MODULE'; " +
                "Sync-RunArtifacts -ManifestPath '$($case.Manifest)' -Source '$($case.Source)' -Port $($tb.sshPort) " +
                "-KeyFilePath '$($tb.keys.ed25519)' -KnownHostsPath '$($tb.knownHosts)' -SshConfigPath '$emptyConfig' -WhatIf"
            $before = Get-TreeSnapshot -Root $case.Repo
            $remoteBefore = Get-TreeSnapshot -Root $case.Remote
            $child = Invoke-ChildPwsh -Arguments @('-Command', $command) -TimeoutSec 60
            $text = $child.Output
            $child.ExitCode | Should -Be 0 -Because $text
            $text | Should -Match 'What if'
            $text | Should -Match 'metrics\.json'
            $text | Should -Match 'logs/train\.log'
            Compare-TreeMap $before (Get-TreeSnapshot -Root $case.Repo) 'repository' | Should -BeNullOrEmpty
            Compare-TreeMap $remoteBefore (Get-TreeSnapshot -Root $case.Remote) 'source' | Should -BeNullOrEmpty
        }

        It '-WhatIf on a shared filesystem changes nothing, leftover partials of a terminal run included, and says it would remove them' {
            $case = New-SyncCase -Status 'failed' -Extra @{ completed_at = '2026-01-01T02:00:00Z' }
            $null = Set-TestFile $case.RunDir 'model.bin' -Bytes (New-RandomBytes 4096)
            $stale = Set-TestFile $case.RunDir 'sub/.gone.bin.5000.1700000000.autolab-part' -Text 'half'
            $before = Get-TreeSnapshot -Root $case.Repo
            $child = Invoke-ChildPwsh -TimeoutSec 60 -Arguments @('-Command',
                "Import-Module '$env:AUTOLAB_SLURM_MODULE'; Sync-RunArtifacts -ManifestPath '$($case.Manifest)' -WhatIf | ForEach-Object Status")
            $child.ExitCode | Should -Be 0 -Because $child.Output
            Compare-TreeMap $before (Get-TreeSnapshot -Root $case.Repo) 'repository' | Should -BeNullOrEmpty -Because '-WhatIf changes nothing anywhere'
            $child.Output | Should -Match 'What if: .*[Rr]emove 1 leftover partial'
            $child.Output | Should -Match '\.gone\.bin\.5000\.1700000000\.autolab-part'
            $child.Stdout | Should -Match 'ok'

            $s = Invoke-Sync $case
            $s.Result[0].Status | Should -Be 'ok'
            Test-Path -LiteralPath $stale | Should -BeFalse -Because 'without -WhatIf the leftover partial of a terminal run is removed'
        }

        It 'stops within seconds on Ctrl+C, leaving only the partial name, and reports progress to the end' {
            # The [powershell] instance runs in a child pwsh, so a crash of the transfer (an exception on a
            # worker thread ends the process) fails this test instead of killing the whole Pester run.
            $case = New-SyncCase
            # A sparse 1 GB file: takes many seconds over SFTP, costs no disk on the remote side.
            $fs = [IO.File]::Create((Join-Path $case.Remote 'huge.bin')); $fs.SetLength(1GB); $fs.Dispose()
            $driver = Join-Path (New-Scratch 'driver') 'Stop-Sync.ps1'
            [IO.File]::WriteAllText($driver, @'
param($Module, $Manifest, $Source, $Port, $Key, $KnownHosts, $Config)
$ErrorActionPreference = 'Stop'
$ps = [powershell]::Create()
$null = $ps.AddScript({
    param($Module, $Manifest, $Source, $Port, $Key, $KnownHosts, $Config)
    Import-Module $Module
    Sync-RunArtifacts -ManifestPath $Manifest -Source $Source -Port $Port -KeyFilePath $Key -KnownHostsPath $KnownHosts -SshConfigPath $Config
}.ToString())
foreach ($a in $Module, $Manifest, $Source, [int]$Port, $Key, $KnownHosts, $Config) { $null = $ps.AddArgument($a) }
$async = $ps.BeginInvoke()
$deadline = [DateTime]::UtcNow.AddSeconds(30)
while ($ps.InvocationStateInfo.State -eq 'Running' -and [DateTime]::UtcNow -lt $deadline -and
    @($ps.Streams.Progress | Where-Object { $_.PercentComplete -gt 0 }).Count -eq 0) { Start-Sleep -Milliseconds 50 }
$before = "$($ps.InvocationStateInfo.State)"
$watch = [Diagnostics.Stopwatch]::StartNew()
$ps.Stop()
$watch.Stop()
[pscustomobject]@{
    StateBeforeStop = $before
    StopSeconds     = $watch.Elapsed.TotalSeconds
    State           = "$($ps.InvocationStateInfo.State)"
    Reason          = "$($ps.InvocationStateInfo.Reason)"
    Output          = @($ps.Streams.Error | ForEach-Object { "$_" })
    Progress        = @($ps.Streams.Progress | ForEach-Object { [pscustomobject]@{ Activity = $_.Activity; RecordType = "$($_.RecordType)"; Percent = $_.PercentComplete } })
} | ConvertTo-Json -Depth 4 -Compress
'@)
            try {
                $child = Invoke-ChildPwsh -TimeoutSec 90 -Arguments @('-File', $driver,
                    $env:AUTOLAB_SLURM_MODULE, $case.Manifest, $case.Source, "$($tb.sshPort)", $tb.keys.ed25519, $tb.knownHosts, $emptyConfig)
                $text = $child.Output
                $child.TimedOut | Should -BeFalse -Because "Stop() must return: $text"
                $child.ExitCode | Should -Be 0 -Because "the process must survive Ctrl+C: $text"
                $run = ($text -split "`n" | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1) | ConvertFrom-Json
                $run.StateBeforeStop | Should -Be 'Running' -Because "the transfer must still run when stopped ($text)"
                $run.StopSeconds | Should -BeLessThan 5
                $run.State | Should -Be 'Stopped' -Because $text

                Test-Path -LiteralPath (Join-Path $case.RunDir 'huge.bin') | Should -BeFalse -Because 'a cut download never sits under its final name'
                $partials = @(Get-TempName $case.RunDir)
                $partials.Count | Should -Be 1
                $partials[0] | Should -BeLike '*.autolab-part'
                (Get-Item -LiteralPath $partials[0] -Force).Length | Should -BeLessThan 1GB

                $progress = @($run.Progress)
                $progress.Count | Should -BeGreaterThan 0
                @($progress | Where-Object Activity -EQ 'Sync-RunArtifacts').Count | Should -Be $progress.Count
                @($progress | Where-Object Percent -GT 0).Count | Should -BeGreaterThan 0
                $progress[-1].RecordType | Should -Be 'Completed'
            }
            finally {
                Get-TempName $case.RunDir | Remove-Item -Force -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'Sync-RunArtifacts | Update-RunManifest' {
        BeforeEach {
            $slurm = [ordered]@{ job_id = '12345'; state = 'COMPLETED'; raw_state = 'COMPLETED'; end_time = '2026-01-01T01:00:00Z' }
            $script:case = New-SyncCase -Status 'running' -Extra @{ slurm = $slurm }
            $null = Set-TestFile $case.Remote 'metrics.json' -Text '{"acc": 1}'
            $null = Set-TestFile $case.Remote 'logs/train.log' -Text 'ok'
        }

        It 'moves a COMPLETED job to synced with pulled_paths = VerifiedPaths' {
            $err = $null
            $sync = Sync-RunArtifacts -ManifestPath $case.Manifest @ssh -Source $case.Source
            $update = $sync | Update-RunManifest -PassThru -ErrorVariable err
            $err | Should -BeNullOrEmpty
            $update | Should -BeOfType ([Autolab.Slurm.Models.RunManifestUpdate])
            $update.PreviousStatus | Should -Be 'running'
            $update.Status | Should -Be 'synced'
            $update.SyncStatus | Should -Be 'ok'
            $update.Changed | Should -BeTrue
            $json = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.status | Should -Be 'synced'
            $json.artifact_sync_to_local.status | Should -Be 'ok'
            @($json.artifact_sync_to_local.pulled_paths) | Should -Be @($sync.VerifiedPaths)
            @($json.artifact_sync_to_local.pulled_paths) | Should -Be "$runRel/logs/train.log", "$runRel/metrics.json"
            $json.artifact_sync_to_local.Contains('failures') | Should -BeFalse
            $json.timestamps.completed_at | Should -Be '2026-01-01T01:00:00Z'
        }

        It 'records the failures and counts the attempts of a failed sync' {
            Write-Sha256Sums $case.Remote 'metrics.json', 'logs/train.log' -Override @{ 'metrics.json' = ('a' * 64) }
            $sync = Sync-RunArtifacts -ManifestPath $case.Manifest @ssh -Source $case.Source
            $sync.Status | Should -Be 'failed'
            $update = $sync | Update-RunManifest -PassThru
            $update.Status | Should -Be 'running'
            $update.SyncStatus | Should -Be 'failed'
            $json = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.status | Should -Be 'running'
            $json.artifact_sync_to_local.status | Should -Be 'failed'
            $json.artifact_sync_to_local.attempts | Should -Be 1
            @($json.artifact_sync_to_local.failures).Count | Should -Be 1
            $json.artifact_sync_to_local.failures[0].path | Should -Be "$runRel/metrics.json"
            $json.artifact_sync_to_local.failures[0].reason | Should -Match 'SHA256SUMS mismatch'
            @($json.artifact_sync_to_local.pulled_paths) | Should -Be @($sync.VerifiedPaths)

            # A sync that cannot run at all counts as an attempt too.
            $unreachable = Merge-SshParameter @{ Port = (Get-FreeTcpPort) }
            $null = Sync-RunArtifacts -ManifestPath $case.Manifest @unreachable -Source $case.Source -ErrorAction SilentlyContinue |
                Update-RunManifest
            $json = Get-Content -LiteralPath $case.Manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.status | Should -Be 'running'
            $json.artifact_sync_to_local.attempts | Should -Be 2
            $json.artifact_sync_to_local.failures[0].path | Should -Be ''
            Get-TempName $case.RunDir | Should -BeNullOrEmpty
        }
    }
}

Describe 'Get-SlurmJobState over SSH' {
    BeforeAll {
        $script:jobs = [ordered]@{}
        try {
            $jobs.ok = Submit-TestSlurmJob -Name 'sra-ssh-ok' -Wrap 'true'
            $jobs.bad = Submit-TestSlurmJob -Name 'sra-ssh-bad' -Wrap 'exit 3'
            $null = Wait-Until -TimeoutSec 60 -Because "the test jobs to finish ($($jobs.Values -join ', '))" -Condition {
                $s = Get-SacctState -JobId @($jobs.Values)
                $s[$jobs.ok] -eq 'COMPLETED' -and $s[$jobs.bad] -eq 'FAILED'
            }
            # Right after the end, slurmdbd holds a placeholder row and the module asks squeue instead (no
            # exit code there): wait until accounting has the real records, so both calls see the same facts.
            $null = Wait-Until -TimeoutSec 60 -Because 'sacct to hold the finished jobs' -Condition {
                $states = @(Get-SlurmJobState -JobId @($jobs.Values) -ErrorAction SilentlyContinue)
                $states.Count -eq 2 -and @($states | Where-Object Source -EQ 'sacct').Count -eq 2
            }
        }
        catch {
            Stop-TestSlurmJob -JobId @($jobs.Values)
            throw
        }
        $script:ids = @($jobs.ok, $jobs.bad, '99999999')
        $script:remoteSsh = @{
            ComputerName = $tb.sshHost; Port = [int]$tb.sshPort; UserName = $tb.sshUser
            KeyFilePath = $tb.keys.ed25519; KnownHostsPath = $tb.knownHosts; SshConfigPath = $emptyConfig
        }
    }
    AfterAll {
        Stop-TestSlurmJob -JobId @($jobs.Values)
    }

    It 'returns the same objects as the local call (every property but ObservedAt)' {
        $local = @(Get-SlurmJobState -JobId $ids)
        $err = $null
        $remote = @(Get-SlurmJobState -JobId $ids @remoteSsh -ErrorVariable err)
        $err | Should -BeNullOrEmpty
        $local.Count | Should -Be 3
        $remote.Count | Should -Be 3
        $names = $local[0].PSObject.Properties.Name | Where-Object { $_ -ne 'ObservedAt' }
        for ($i = 0; $i -lt 3; $i++) {
            $remote[$i] | Should -BeOfType ([Autolab.Slurm.Models.SlurmJobState])
            foreach ($name in $names) {
                ($remote[$i].$name | ConvertTo-Json -Depth 6 -Compress) | Should -Be ($local[$i].$name | ConvertTo-Json -Depth 6 -Compress) -Because "$name of $($ids[$i])"
            }
        }
        $remote[0].Status | Should -Be 'completed'
        $remote[1].Status | Should -Be 'failed'
        $remote[1].ExitCode | Should -Be 3
        $remote[2].Status | Should -Be 'unknown'
    }

    It 'reports HostKeyMismatch (not a Scheduler* error) and no object for the ids when the host key does not match' {
        $kh = New-KnownHosts -CopyOf $tb.knownHostsWrong
        $err = $null
        $wrong = Merge-SshParameter -Base $remoteSsh @{ KnownHostsPath = $kh }
        $out = @(Get-SlurmJobState -JobId $jobs.ok, $jobs.bad @wrong -ErrorVariable err -ErrorAction SilentlyContinue)
        $out | Should -BeNullOrEmpty
        $err.Count | Should -BeGreaterThan 0
        foreach ($e in $err) {
            # The login node's own failure, with its own id and advice: not "install the Slurm client".
            $e.FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,Autolab.Slurm.Commands.GetSlurmJobStateCommand'
            $e.Exception.Message | Should -Not -Match 'Install the Slurm client'
        }
        ($err | ForEach-Object { $_.Exception.Message }) -join ' ' | Should -Match 'host key'
    }
}

Describe 'the testbed' {
    It 'is left untouched by these tests' {
        foreach ($f in $testbedFiles) { Get-FileHashText $f | Should -Be $testbedHashes[$f] -Because $f }
    }
}
