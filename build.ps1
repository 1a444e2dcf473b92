#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, stages, tests and benchmarks Autolab.Slurm.
.DESCRIPTION
    Tasks:
      Build   (default) publish the C# projects and stage the module into out/Autolab.Slurm/<version>/
              from an allow-list: dlls, manifest, psm1, format file, schemas, help (MAML built from docs/).
      Package Build, then write the module's package out/packages/Autolab.Slurm.<version>.nupkg
              (PSResourceGet's Compress-PSResource; README "Install on a login node" says how to use it).
      Test    Build, Package, bring up the Slurm cluster, sshd and test users (tests/infra/up.sh), run
              xUnit and Pester, print "N passed, N failed" (summed over both) as the last line; exit 1 if anything failed.
      Demo    Build, then run the main job on a temporary copy of examples/autolab-repo.
      Bench   Build, then run the benchmarks under bench/ and print their figures.
      Clean   Remove out/.
.EXAMPLE
    dotnet tool restore; dotnet pwsh -NoProfile -File ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Demo', 'Bench', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Test: also run the slow tier (TIMEOUT jobs and other scenarios that take minutes).
    [switch] $Slow,

    # Test: do not bring up the Slurm cluster and sshd (tests that need them will fail).
    [switch] $SkipInfra
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if ($env:CI -or [Console]::IsOutputRedirected) {
    # pwsh writes colour codes even into redirected output; CI logs want plain text.
    $env:NO_COLOR = '1'
    $PSStyle.OutputRendering = 'PlainText'
}

$Root = $PSScriptRoot
$ModuleName = 'Autolab.Slurm'
$ManifestData = Import-PowerShellDataFile -LiteralPath (Join-Path $Root "$ModuleName.psd1")
$Version = $ManifestData.ModuleVersion
$Out = Join-Path $Root 'out'
$StageDir = Join-Path $Out "$ModuleName/$Version"
$PublishDir = Join-Path $Out 'publish'
$ResultsDir = Join-Path $Out 'test-results'
$PackageDir = Join-Path $Out 'packages'
# A new pwsh like this one: pwsh itself, or `dotnet pwsh.dll` when started as the dotnet tool.
$PwshCommand = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'pwsh') { @([Environment]::ProcessPath) } else { @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll')) }

# What the staged module holds. Anything else in the publish output is a build error, so a new
# dependency is a deliberate decision (add it here) and never shipped by accident.
$StagedAssemblies = @(
    'Autolab.Slurm.dll'
    'Autolab.Slurm.Core.dll'
    'NJsonSchema.dll'
    'NJsonSchema.Annotations.dll'
    'Namotion.Reflection.dll'
    'Renci.SshNet.dll'
    'BouncyCastle.Cryptography.dll'
    'Microsoft.Extensions.Logging.Abstractions.dll'
    'Microsoft.Extensions.DependencyInjection.Abstractions.dll'
    'YamlDotNet.dll'
)
# Supplied by pwsh itself at a version at least as new; shipping them would only add load conflicts.
$ProvidedByPwsh = @('Newtonsoft.Json.dll', 'System.Management.Automation.dll')
$ModuleFiles = @(
    @{ Source = "$ModuleName.psd1"; Target = "$ModuleName.psd1" }
    @{ Source = "module/$ModuleName.Format.ps1xml"; Target = "$ModuleName.Format.ps1xml" }
    @{ Source = 'schemas/run_manifest.schema.json'; Target = 'schemas/run_manifest.schema.json' }
    @{ Source = 'schemas/state.schema.json'; Target = 'schemas/state.schema.json' }
    @{ Source = 'schemas/slurm_states.json'; Target = 'schemas/slurm_states.json' }
    @{ Source = 'LICENSE'; Target = 'LICENSE' }
)
# What NuGet adds to every package beside the module's own files; anything else in the package must be
# a file of the staged module.
$PackagingEntryPattern = "^(_rels/\.rels|\[Content_Types\]\.xml|$([regex]::Escape($ModuleName))\.nuspec|package/services/metadata/core-properties/[0-9a-f]+\.psmdcp)`$"
# Help pages, listed explicitly (never a glob of docs/).
$CmdletHelpPages = @('Get-SlurmJobState.md', 'Sync-RunArtifacts.md', 'Update-RunManifest.md', 'Update-SlurmJobList.md', 'New-SlurmMonitorPass.md', 'Complete-SlurmMonitorPass.md', 'Set-SlurmMonitorHook.md')
$FunctionHelpPages = @('Invoke-SlurmMonitorStage.md')
$AboutPages = @('about_Autolab.Slurm.md')
$TestProjects = @('tests/Autolab.Slurm.Core.Tests', 'tests/Autolab.Slurm.HelpBuilder.Tests', 'tests/Autolab.Slurm.Tests')

function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [switch] $AllowFailure
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor DarkGray
    # Stream the tool's output to the host so it never mixes into this function's return value.
    & $FilePath @ArgumentList | Out-Host
    $code = $LASTEXITCODE
    if ($code -ne 0 -and -not $AllowFailure) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code."
    }
    return $code
}

function Invoke-Build {
    Write-Host "== Build $ModuleName $Version ($Configuration)"
    if (Test-Path -LiteralPath $PublishDir) { Remove-Item -LiteralPath $PublishDir -Recurse -Force }
    $null = Invoke-Native dotnet @('publish', "$Root/src/Autolab.Slurm/Autolab.Slurm.csproj", '-c', $Configuration,
        "-p:Version=$Version", '-o', $PublishDir, '--nologo', '-v', 'quiet')

    Use-ReadyToRun
    $published = Get-ChildItem -LiteralPath $PublishDir -Filter '*.dll' | ForEach-Object Name
    $unexpected = $published | Where-Object { $_ -notin $StagedAssemblies -and $_ -notin $ProvidedByPwsh }
    if ($unexpected) {
        throw "The publish output has assemblies the staging allow-list does not name: $($unexpected -join ', '). Add them to `$StagedAssemblies in build.ps1 (or to `$ProvidedByPwsh)."
    }

    if (Test-Path -LiteralPath $StageDir) { Remove-Item -LiteralPath $StageDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $StageDir -Force
    foreach ($assembly in $StagedAssemblies) {
        $source = Join-Path $PublishDir $assembly
        if (-not (Test-Path -LiteralPath $source)) { throw "Expected '$assembly' in the publish output '$PublishDir'." }
        Copy-Item -LiteralPath $source -Destination $StageDir
    }
    foreach ($file in $ModuleFiles) {
        $target = Join-Path $StageDir $file.Target
        $null = New-Item -ItemType Directory -Path (Split-Path $target) -Force
        Copy-Item -LiteralPath (Join-Path $Root $file.Source) -Destination $target
    }
    Write-StagedRootModule -Target (Join-Path $StageDir "$ModuleName.psm1")
    # The argv-only entry point: module/entry/ in the source, bin/ in the staged module (interface.md).
    Copy-Item -LiteralPath (Join-Path $Root 'module/entry') -Destination (Join-Path $StageDir 'bin') -Recurse
    Build-Help
    Write-Host "Staged: $StageDir"
    Write-Host "Use it:  Import-Module $StageDir/$ModuleName.psd1"
}

function Use-ReadyToRun {
    <# Replaces the cold path's IL assemblies in the publish output with ReadyToRun ones. The module works
       without them (only its cold start is slower), so a failure here is a warning, not an error. #>
    $r2rDir = Join-Path $Out 'publish-r2r'
    if (Test-Path -LiteralPath $r2rDir) { Remove-Item -LiteralPath $r2rDir -Recurse -Force }
    $code = Invoke-Native dotnet @('publish', "$Root/.config/readytorun/Autolab.Slurm.ReadyToRun.csproj", '-c', $Configuration,
        "-p:Version=$Version", '-o', $r2rDir, '--nologo', '-v', 'quiet') -AllowFailure
    if ($code -ne 0) {
        Write-Warning 'ReadyToRun precompilation failed; staging the IL assemblies (the module works, its cold start is slower).'
        return
    }
    # Which assemblies get precompiled is the project's decision (PublishReadyToRunExclude there); the
    # others arrive as the same IL, and Autolab.Slurm.dll (the thin cmdlets) is not in that output at all.
    foreach ($assembly in $StagedAssemblies) {
        $compiled = Join-Path $r2rDir $assembly
        if (Test-Path -LiteralPath $compiled) { Copy-Item -LiteralPath $compiled -Destination $PublishDir -Force }
    }
}

function Write-StagedRootModule {
    <# The staged psm1: the source psm1 with its "Public functions" region replaced by the text of
       module/Public/*.ps1 (one file to read and compile on import instead of one per function). #>
    param([Parameter(Mandatory)] [string] $Target)
    $source = [IO.File]::ReadAllText((Join-Path $Root "module/$ModuleName.psm1"))
    $pattern = '(?ms)^#region Public functions\r?\n.*?^#endregion\r?\n'
    if ($source -notmatch $pattern) { throw "module/$ModuleName.psm1 has no '#region Public functions' ... '#endregion' block for the build to fill." }
    $functions = foreach ($file in (Get-ChildItem -LiteralPath (Join-Path $Root 'module/Public') -Filter '*.ps1' | Sort-Object Name)) {
        "#region $($file.Name)`n" + [IO.File]::ReadAllText($file.FullName).TrimEnd() + "`n#endregion`n"
    }
    $staged = [regex]::Replace($source, $pattern, { param($m) ($functions -join "`n") })
    [IO.File]::WriteAllText($Target, $staged)
}

function Build-Help {
    $toolDir = Join-Path $Out 'tools/helpbuilder'
    $null = Invoke-Native dotnet @('build', "$Root/src/Autolab.Slurm.HelpBuilder/Autolab.Slurm.HelpBuilder.csproj", '-c', 'Release',
        '-o', $toolDir, '--nologo', '-v', 'quiet')
    $arguments = @("$toolDir/Autolab.Slurm.HelpBuilder.dll", '--out', (Join-Path $StageDir 'en-US'))
    if ($CmdletHelpPages) {
        $arguments += @('--cmdlet-help', "$ModuleName.dll-Help.xml") + ($CmdletHelpPages | ForEach-Object { Join-Path $Root "docs/$_" })
    }
    if ($FunctionHelpPages) {
        $arguments += @('--function-help', "$ModuleName-help.xml") + ($FunctionHelpPages | ForEach-Object { Join-Path $Root "docs/$_" })
    }
    if ($AboutPages) {
        $arguments += @('--about') + ($AboutPages | ForEach-Object { Join-Path $Root "docs/$_" })
    }
    $null = Invoke-Native dotnet $arguments
}

function Invoke-Package {
    <#
    Writes out/packages/<module>.<version>.nupkg from the staged module with PSResourceGet's
    Compress-PSResource (bundled with pwsh 7.4+), then checks the package holds exactly the staged files.

    In a child pwsh with its own XDG_DATA_HOME: any PSResourceGet cmdlet, Compress-PSResource included,
    first writes the user's repository list (PSResourceRepository.xml under XDG_DATA_HOME, by default
    ~/.local/share/PSResourceGet/), and a build must leave the user's configuration alone. The folder
    must exist: when XDG_DATA_HOME names a missing folder, PSResourceGet writes PSResourceGet/ into the
    current directory instead, so the child also runs in the temporary folder.
    #>
    Write-Host "== Package $ModuleName $Version"
    $manifest = Join-Path $StageDir "$ModuleName.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) { throw "No staged module at '$StageDir': run ./build.ps1 -Task Build first." }
    $work = Join-Path ([IO.Path]::GetTempPath()) ("$ModuleName-package-" + [guid]::NewGuid().ToString('N'))
    $saved = @{ XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CACHE_HOME = $env:XDG_CACHE_HOME }
    try {
        foreach ($folder in 'data', 'cache', 'nupkg') { $null = New-Item -ItemType Directory -Path (Join-Path $work $folder) -Force }
        $env:XDG_DATA_HOME = Join-Path $work 'data'
        $env:XDG_CACHE_HOME = Join-Path $work 'cache'
        $quote = { param($text) "'" + $text.Replace("'", "''") + "'" }
        $command = "`$ErrorActionPreference = 'Stop'; Compress-PSResource -Path $(& $quote $StageDir) -DestinationPath $(& $quote (Join-Path $work 'nupkg'))"
        Push-Location -LiteralPath $work
        try {
            $null = Invoke-Native $PwshCommand[0] (@($PwshCommand | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $command))
        }
        finally { Pop-Location }
        $built = Join-Path $work "nupkg/$ModuleName.$Version.nupkg"
        if (-not (Test-Path -LiteralPath $built)) { throw "Compress-PSResource wrote no '$ModuleName.$Version.nupkg' into '$work/nupkg'." }
        Assert-PackageContent -Package $built

        $null = New-Item -ItemType Directory -Path $PackageDir -Force
        Get-ChildItem -LiteralPath $PackageDir -Filter "$ModuleName.*.nupkg" | Remove-Item -Force
        $target = Join-Path $PackageDir "$ModuleName.$Version.nupkg"
        Move-Item -LiteralPath $built -Destination $target -Force
        Write-Host "Package: $target ($([math]::Round((Get-Item -LiteralPath $target).Length / 1MB, 1)) MB)"
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Assert-PackageContent {
    <# The package holds the staged module's files and NuGet's own entries, nothing else, under this version. #>
    param([Parameter(Mandatory)] [string] $Package)
    $zip = [IO.Compression.ZipFile]::OpenRead($Package)
    try {
        # NuGet stores entry names URI-escaped.
        $entries = @($zip.Entries | ForEach-Object { [Uri]::UnescapeDataString($_.FullName) })
        $nuspecEntry = $zip.GetEntry("$ModuleName.nuspec")
        if (-not $nuspecEntry) { throw "'$Package' has no $ModuleName.nuspec." }
        $reader = [IO.StreamReader]::new($nuspecEntry.Open())
        try { [xml] $nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
    }
    finally { $zip.Dispose() }

    $staged = @(Get-ChildItem -LiteralPath $StageDir -Recurse -File |
        ForEach-Object { [IO.Path]::GetRelativePath($StageDir, $_.FullName) })
    $missing = @($staged | Where-Object { $_ -cnotin $entries })
    $extra = @($entries | Where-Object { $_ -cnotin $staged -and $_ -notmatch $PackagingEntryPattern })
    if ($missing -or $extra) {
        throw "'$Package' does not hold exactly the staged module. Missing: $($missing -join ', '); not from the staged module: $($extra -join ', ')."
    }
    $metadata = $nuspec.package.metadata
    if ($metadata.version -ne $Version) { throw "'$Package' says version '$($metadata.version)', the manifest '$Version'." }
    foreach ($field in 'releaseNotes', 'tags', 'description', 'authors') {
        if (-not $metadata.$field) { throw "'$Package' has no $field in its nuspec: fill PrivateData.PSData in $ModuleName.psd1." }
    }
}

function Get-PesterModulePath {
    $packages = Join-Path $Out 'tools/packages'
    $pester = Join-Path $packages 'pester/5.9.1/tools/Pester.psd1'
    if (-not (Test-Path -LiteralPath $pester)) {
        # The PowerShell Gallery is unreachable here; NuGet serves the same Pester package.
        $null = Invoke-Native dotnet @('restore', "$Root/.config/pester/Pester.Restore.csproj", '--packages', $packages, '--nologo', '-v', 'quiet')
    }
    if (-not (Test-Path -LiteralPath $pester)) { throw "Pester 5.9.1 was restored but '$pester' is missing." }
    return $pester
}

function Read-TrxCounts([string] $Directory) {
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($trx in Get-ChildItem -LiteralPath $Directory -Filter '*.trx' -ErrorAction SilentlyContinue) {
        [xml] $doc = Get-Content -LiteralPath $trx.FullName -Raw
        $c = $doc.TestRun.ResultSummary.Counters
        $counts.Passed += [int] $c.passed
        $counts.Failed += [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        $counts.Skipped += [int] $c.notExecuted
    }
    return $counts
}

function Invoke-Test {
    $total = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $problems = [System.Collections.Generic.List[string]]::new()
    try {
        Invoke-Build
        # The install test (tests/pester/Install.Tests.ps1) installs this package as a non-root user.
        Invoke-Package
        if (-not $SkipInfra) {
            $null = Invoke-Native bash @("$Root/tests/infra/up.sh")
        }
        $pester = Get-PesterModulePath
        # The loopback TCP relay the Pester sync tests use to tear a connection at a chosen byte.
        $null = Invoke-Native dotnet @('build', "$Root/tests/Autolab.Slurm.TestRelay/Autolab.Slurm.TestRelay.csproj", '-c', 'Release',
            '-o', (Join-Path $Out 'tools/relay'), '--nologo', '-v', 'quiet')
    }
    catch {
        $problems.Add("setup: $_")
        $total.Failed++
        Write-Host "SETUP FAILED: $_" -ForegroundColor Red
        Write-Host "$($total.Passed) passed, $($total.Failed) failed"
        exit 1
    }

    if (Test-Path -LiteralPath $ResultsDir) { Remove-Item -LiteralPath $ResultsDir -Recurse -Force }
    $filter = if ($Slow) { 'Category!=Never' } else { 'Category!=Slow' }
    foreach ($project in $TestProjects) {
        $name = Split-Path $project -Leaf
        $dir = Join-Path $ResultsDir $name
        Write-Host "== xUnit: $name"
        $code = Invoke-Native dotnet @('test', "$Root/$project", '-c', $Configuration, '--nologo', '--filter', $filter,
            '--logger', 'trx', '--logger', 'console;verbosity=minimal', '--results-directory', $dir) -AllowFailure
        $counts = Read-TrxCounts $dir
        if ($code -ne 0 -and $counts.Failed -eq 0) {
            $problems.Add("dotnet test $name exited $code without a failed test (build error?)")
            $counts.Failed++
        }
        foreach ($key in @($total.Keys)) { $total[$key] += $counts[$key] }
    }

    Write-Host '== Pester'
    $pesterResult = Join-Path $ResultsDir 'pester.json'
    $null = New-Item -ItemType Directory -Path $ResultsDir -Force
    $pesterArgs = @('-NoProfile', '-NonInteractive', '-File', "$Root/tests/pester/Invoke-PesterRun.ps1",
        '-PesterPath', $pester, '-ModulePath', (Join-Path $StageDir "$ModuleName.psd1"), '-ResultPath', $pesterResult)
    if ($Slow) { $pesterArgs += '-Slow' }
    $code = Invoke-Native $PwshCommand[0] (@($PwshCommand | Select-Object -Skip 1) + $pesterArgs) -AllowFailure
    if (Test-Path -LiteralPath $pesterResult) {
        $p = Get-Content -LiteralPath $pesterResult -Raw | ConvertFrom-Json
        $total.Passed += $p.Passed; $total.Failed += $p.Failed; $total.Skipped += $p.Skipped
        if ($code -ne 0 -and $p.Failed -eq 0) { $problems.Add("Pester exited $code"); $total.Failed++ }
    }
    else {
        $problems.Add("Pester wrote no result (exit code $code)")
        $total.Failed++
    }

    foreach ($problem in $problems) { Write-Host "PROBLEM: $problem" -ForegroundColor Red }
    # Not run: the Slow tier (-Slow runs it), and nothing else.
    Write-Host "$($total.Skipped) not run (the Slow tier; build.ps1 -Task Test -Slow runs it)"
    Write-Host "$($total.Passed) passed, $($total.Failed) failed"
    if ($total.Failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $null = Invoke-Native bash @("$Root/tests/infra/up.sh")
    $null = Invoke-Native $PwshCommand[0] (@($PwshCommand | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', "$Root/examples/Invoke-Demo.ps1",
        '-ModulePath', (Join-Path $StageDir "$ModuleName.psd1"), '-RepositoryRoot', $Root))
}

function Invoke-Bench {
    Invoke-Build
    $null = Invoke-Native dotnet @('build', "$Root/bench/Autolab.Slurm.Bench/Autolab.Slurm.Bench.csproj", '-c', 'Release',
        '-o', (Join-Path $Out 'tools/bench'), '--nologo', '-v', 'quiet')
    $null = Invoke-Native bash @("$Root/tests/infra/up.sh")
    foreach ($script in @('bench/Invoke-Benchmarks.ps1')) {
        $null = Invoke-Native $PwshCommand[0] (@($PwshCommand | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root $script),
            '-ModulePath', (Join-Path $StageDir "$ModuleName.psd1"), '-RepositoryRoot', $Root))
    }
}

foreach ($name in $Task) {
    switch ($name) {
        'Clean' { if (Test-Path -LiteralPath $Out) { Remove-Item -LiteralPath $Out -Recurse -Force } }
        'Build' { Invoke-Build }
        'Package' { Invoke-Build; Invoke-Package }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
    }
}
