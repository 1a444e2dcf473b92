#Requires -Version 7.4
# README "Install on a login node", run as it stands: its PowerShell blocks are read from the README and
# run as the non-root test users (tests/infra/users-up.sh) with the site's pwsh 7.6.9 on PATH and no
# `dotnet`, against a shared folder repository, with the package that `./build.ps1 -Task Package` wrote.
# The installed copy is then loaded by name (module autoloading) and polls a real job of that user.
#
# Everything a user touches is copied first into a fresh folder under /var/tmp: CI clones the
# repository into a 0700 folder that no other user can read.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1') -Force

    $script:root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:stagedBase = Split-Path $env:AUTOLAB_SLURM_MODULE
    $script:moduleName = 'Autolab.Slurm'
    $script:version = (Import-PowerShellDataFile -LiteralPath $env:AUTOLAB_SLURM_MODULE).ModuleVersion
    $script:package = Join-Path $root "out/packages/$moduleName.$version.nupkg"
    if (-not (Test-Path -LiteralPath $package)) {
        throw "No package at '$package': ./build.ps1 -Task Test builds it; alone, run ./build.ps1 -Task Package."
    }
    $script:stagedFiles = @(Get-ChildItem -LiteralPath $stagedBase -Recurse -File |
        ForEach-Object { [IO.Path]::GetRelativePath($stagedBase, $_.FullName) } | Sort-Object)

    $testbed = Get-TestbedInfo
    if (-not ($testbed.PSObject.Properties.Name -contains 'userPwsh')) {
        throw "The testbed description has no userPwsh: run tests/infra/up.sh (it runs users-up.sh)."
    }
    $script:userPwsh = $testbed.userPwsh
    $script:ann = $testbed.users.ann
    $script:bob = $testbed.users.bob

    # The README section and its blocks, found by what they do.
    $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
    if ($readme -notmatch '(?ms)^## Install on a login node\r?\n(.*?)(?=^## )') { throw 'README.md has no "## Install on a login node" section.' }
    $script:readmeBlocks = @([regex]::Matches($Matches[1], '(?ms)^```powershell\r?\n(.*?)\r?\n```') | ForEach-Object { $_.Groups[1].Value })
    function script:Get-ReadmeBlock([string] $Pattern) {
        $found = @($readmeBlocks | Where-Object { $_ -match $Pattern })
        if ($found.Count -ne 1) { throw "README 'Install on a login node' has $($found.Count) powershell blocks matching '$Pattern', expected 1." }
        return $found[0]
    }
    $register = Get-ReadmeBlock 'Register-PSResourceRepository'
    if ($register -notmatch '-Uri\s+(\S+)') { throw "The README's Register-PSResourceRepository names no -Uri." }
    $sharedPlaceholder = $Matches[1]

    # A fresh folder the test users can read: the package, the shared repository, a bin/ for PATH, homes.
    $script:work = Join-Path '/var/tmp' ('autolab-install-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $work
    $script:pkgDir = Join-Path $work 'pkg'
    $script:repo = Join-Path $work 'shared/autolab-psrepo'
    $script:binDir = Join-Path $work 'bin'
    $null = New-Item -ItemType Directory -Path $pkgDir, $repo, $binDir
    Copy-Item -LiteralPath $package -Destination $pkgDir
    # Readable by all, writable by the group that publishes (setgid: new files keep the group).
    & chgrp $testbed.sharedGroup $repo
    & chmod 2775 $repo
    & chmod -R go+rX $work

    # PATH: the site pwsh and the Slurm client, nothing else; /usr/bin (which holds dotnet) is not on it.
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $binDir 'pwsh') -Target $userPwsh
    foreach ($tool in 'sbatch', 'sacct', 'squeue', 'scancel') {
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $binDir $tool) -Target (Get-Command $tool -CommandType Application | Select-Object -First 1).Source
    }

    function script:New-UserHome([string] $User) {
        <# A fresh home, as a new account has it (no ~/.config yet). #>
        $folder = Join-Path $work "home-$User"
        $null = New-Item -ItemType Directory -Path $folder
        & chown "${User}:" $folder
        & chmod 700 $folder
        return $folder
    }
    $script:annHome = New-UserHome $ann
    $script:bobHome = New-UserHome $bob

    function script:Invoke-AsUser {
        <# Runs $Script in the site pwsh as $User with an empty environment but HOME and PATH; returns exit code and output. #>
        param([string] $User, [string] $HomePath, [string] $Script, [string] $WorkingDirectory = $HomePath, [int] $TimeoutSec = 180)
        $arguments = @('-u', $User, '--', 'env', '-i', "HOME=$HomePath", "PATH=$binDir", "USER=$User", 'NO_COLOR=1',
            'pwsh', '-NoProfile', '-NonInteractive', '-WorkingDirectory', $WorkingDirectory,
            '-Command', "`$ErrorActionPreference = 'Stop'`n$Script")
        Invoke-TestProcess -FilePath 'runuser' -ArgumentList $arguments -WorkingDirectory $WorkingDirectory -TimeoutSec $TimeoutSec
    }

    function script:Invoke-AsUserJson {
        <# Invoke-AsUser for a script whose last output line is JSON; throws with the output when it fails. #>
        param([string] $User, [string] $HomePath, [string] $Script, [string] $WorkingDirectory = $HomePath)
        $r = Invoke-AsUser -User $User -HomePath $HomePath -Script $Script -WorkingDirectory $WorkingDirectory
        if ($r.ExitCode -ne 0) { throw "As ${User}: exit code $($r.ExitCode):`n$($r.Output)" }
        return (@($r.Stdout.Trim() -split '\r?\n')[-1] | ConvertFrom-Json)
    }

    function script:Get-InstalledFiles([string] $Folder) {
        @(Get-ChildItem -LiteralPath $Folder -Recurse -File -Force | ForEach-Object { [IO.Path]::GetRelativePath($Folder, $_.FullName) } | Sort-Object)
    }

    # What a new pwsh of the user sees when it calls the module's commands by name (no Import-Module).
    $script:probe = @'
$state = Get-SlurmJobState -JobId '{0}'
$module = Get-Module {1}
$help = Get-Help Get-SlurmJobState -Examples
[pscustomobject]@{{
    ModuleBase = $module.ModuleBase
    Version = "$($module.Version)"
    JobId = $state.JobId; State = $state.State; Status = $state.Status; Source = $state.Source
    ExampleTitles = @($help.examples.example | ForEach-Object {{ $_.title.Trim('-', ' ') }})
    ExampleCode = @($help.examples.example | ForEach-Object code)
}} | ConvertTo-Json -Compress
'@
    # The help's example titles must be the help page's own (docs/Get-SlurmJobState.md), not an empty shell.
    $script:docExampleTitles = @(Select-String -LiteralPath (Join-Path $root 'docs/Get-SlurmJobState.md') -Pattern '^### (Example \d+:.*)$' |
        ForEach-Object { $_.Matches[0].Groups[1].Value.Trim() })

    $script:blocks = @{
        Register = $register.Replace($sharedPlaceholder, $repo)
        Publish  = (Get-ReadmeBlock 'Publish-PSResource').Replace($sharedPlaceholder, $repo)
        Install  = (Get-ReadmeBlock 'Install-PSResource').Replace($sharedPlaceholder, $repo)
        Update   = (Get-ReadmeBlock 'Update-PSResource').Replace($sharedPlaceholder, $repo)
        Unpack   = Get-ReadmeBlock 'ExtractToDirectory'
    }

    # A real job of the user who installs, finished before the module is asked about it.
    $sbatch = & runuser -u $ann -- env -i "HOME=$annHome" "PATH=$binDir" sbatch --parsable --job-name=install-test `
        --time=1 --cpus-per-task=1 --output=/dev/null "--chdir=$annHome" --wrap true 2>&1
    if ($LASTEXITCODE -ne 0) { throw "sbatch as $ann failed: $sbatch" }
    $script:jobId = ("$sbatch".Trim() -split ';')[0]
    $null = Wait-Until -TimeoutSec 120 -Because "job $jobId of $ann to complete" -Condition { (Get-SacctState -JobId $jobId)[$jobId] -eq 'COMPLETED' }
}

AfterAll {
    if ($script:jobId) { Stop-TestSlurmJob -JobId $jobId }
    if ($script:work -and (Test-Path -LiteralPath $work)) { Remove-Item -LiteralPath $work -Recurse -Force }
}

Describe 'README "Install on a login node", as non-root users with pwsh and no dotnet' {
    It 'gives the user the site pwsh 7.6.9 and no dotnet command' {
        Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because 'the machine has dotnet; only the user''s PATH leaves it out'
        $r = Invoke-AsUserJson -User $ann -HomePath $annHome -Script @'
[pscustomobject]@{
    User = [Environment]::UserName
    Dotnet = @(Get-Command dotnet -ErrorAction SilentlyContinue).Count
    Pwsh = (Get-Command pwsh).Source
    Version = $PSVersionTable.PSVersion.ToString()
} | ConvertTo-Json -Compress
'@
        $r.User | Should -Be $ann
        $r.Dotnet | Should -Be 0
        # Get-Command reports the link's target: the site pwsh, reached through the user's PATH.
        $r.Pwsh | Should -Be (Get-Item -LiteralPath (Join-Path $binDir 'pwsh')).ResolveLinkTarget($true).FullName
        $r.Version | Should -Be '7.6.9'
    }

    It 'registers the shared folder, publishes the package and installs it for the user (README blocks as they stand)' {
        Test-Path -LiteralPath (Join-Path $annHome '.config') | Should -BeFalse -Because 'a fresh account has no ~/.config, which the README''s publish block handles'
        $r = Invoke-AsUser -User $ann -HomePath $annHome -WorkingDirectory $pkgDir -Script ($blocks.Register, $blocks.Publish, $blocks.Install -join "`n")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Test-Path -LiteralPath (Join-Path $repo "$moduleName.$version.nupkg") | Should -BeTrue
        $installed = Join-Path $annHome ".local/share/powershell/Modules/$moduleName/$version"
        $files = Get-InstalledFiles $installed
        # The staged module, plus the record PSResourceGet keeps of where it came from.
        @($files | Where-Object { $_ -ne 'PSGetModuleInfo.xml' }) | Should -Be $stagedFiles
    }

    It 'loads the installed copy by name, polls the user''s real job and shows the help examples' {
        $r = Invoke-AsUserJson -User $ann -HomePath $annHome -Script ($probe -f $jobId, $moduleName)
        $r.ModuleBase | Should -Be (Join-Path $annHome ".local/share/powershell/Modules/$moduleName/$version")
        $r.JobId | Should -Be $jobId
        $r.State | Should -Be 'COMPLETED'
        $r.Status | Should -Be 'completed'
        $r.Source | Should -Be 'sacct'
        $docExampleTitles.Count | Should -BeGreaterThan 1
        @($r.ExampleTitles) | Should -Be $docExampleTitles
        @($r.ExampleCode)[0] | Should -Match 'Get-SlurmJobState'
    }

    It 'updates to a newly published version beside the old one; a new pwsh loads the newest' {
        $next = [version] $version
        $script:nextVersion = "$($next.Major).$($next.Minor).$([math]::Max($next.Build, 0) + 1)"
        # The next version's package: the same files under a higher ModuleVersion, packed by the user's pwsh.
        $nextDir = Join-Path $work 'pkg-next'
        $null = New-Item -ItemType Directory -Path $nextDir
        & chown "${ann}:" $nextDir
        $pack = @'
$src = Join-Path $HOME 'next/{0}'
[IO.Compression.ZipFile]::ExtractToDirectory('{1}', $src)
Remove-Item -Recurse -Force -LiteralPath "$src/_rels", "$src/package", "$src/[Content_Types].xml", "$src/{0}.nuspec"
$psd1 = Join-Path $src '{0}.psd1'
$text = [IO.File]::ReadAllText($psd1) -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`$1'{2}'"
[IO.File]::WriteAllText($psd1, $text)
Compress-PSResource -Path $src -DestinationPath '{3}'
'@ -f $moduleName, (Join-Path $pkgDir "$moduleName.$version.nupkg"), $nextVersion, $nextDir
        $r = Invoke-AsUser -User $ann -HomePath $annHome -Script $pack
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Test-Path -LiteralPath (Join-Path $nextDir "$moduleName.$nextVersion.nupkg") | Should -BeTrue

        $publishNext = $blocks.Publish.Replace("$moduleName.$version.nupkg", "$moduleName.$nextVersion.nupkg")
        $publishNext | Should -Not -Be $blocks.Publish -Because "the README's publish block names the package '$moduleName.$version.nupkg'"
        $r = Invoke-AsUser -User $ann -HomePath $annHome -WorkingDirectory $nextDir -Script ($publishNext, $blocks.Update -join "`n")
        $r.ExitCode | Should -Be 0 -Because $r.Output

        $modules = Join-Path $annHome ".local/share/powershell/Modules/$moduleName"
        @(Get-ChildItem -LiteralPath $modules -Directory | ForEach-Object Name | Sort-Object) | Should -Be @($version, $nextVersion | Sort-Object)
        $r = Invoke-AsUserJson -User $ann -HomePath $annHome -Script ($probe -f $jobId, $moduleName)
        $r.Version | Should -Be $nextVersion
        $r.ModuleBase | Should -Be (Join-Path $modules $nextVersion)
        $r.Status | Should -Be 'completed'
    }

    It 'removes the old version with Uninstall-PSResource -Version' {
        $r = Invoke-AsUser -User $ann -HomePath $annHome -Script "Uninstall-PSResource $moduleName -Version $version"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-ChildItem -LiteralPath (Join-Path $annHome ".local/share/powershell/Modules/$moduleName") -Directory).Name | Should -Be $nextVersion
    }

    It 'installs without PSResourceGet: the README unpack block, as another user' {
        $r = Invoke-AsUser -User $bob -HomePath $bobHome -WorkingDirectory $pkgDir -Script $blocks.Unpack
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $installed = Join-Path $bobHome ".local/share/powershell/Modules/$moduleName/$version"
        Get-InstalledFiles $installed | Should -Be $stagedFiles -Because 'only the module remains, NuGet''s packaging files removed'

        $r = Invoke-AsUserJson -User $bob -HomePath $bobHome -Script ($probe -f $jobId, $moduleName)
        $r.ModuleBase | Should -Be $installed
        $r.JobId | Should -Be $jobId
        $r.Status | Should -Be 'completed'
        @($r.ExampleTitles) | Should -Be $docExampleTitles
    }
}
