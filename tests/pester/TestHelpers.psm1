# Helpers shared by the Pester files: temporary autolab repositories and manifests built the way
# autolab's launch stage writes them.
Set-StrictMode -Version Latest

function New-TestRepository {
    <# A temp autolab repository with .autolab/, the schema copied from the staged module, and an iteration folder. #>
    param(
        [string] $IterationId = 'iter1',
        [ValidateSet('plan', 'in_progress', 'done')] [string] $Type = 'plan',
        [switch] $NoSchema
    )
    $root = Join-Path ([IO.Path]::GetTempPath()) ("autolab-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path (Join-Path $root '.autolab/schemas') -Force
    $null = New-Item -ItemType Directory -Path (Join-Path $root "experiments/$Type/$IterationId/runs") -Force
    $null = New-Item -ItemType Directory -Path (Join-Path $root 'docs') -Force
    if (-not $NoSchema) {
        $moduleBase = Split-Path $env:AUTOLAB_SLURM_MODULE
        Copy-Item (Join-Path $moduleBase 'schemas/run_manifest.schema.json') (Join-Path $root '.autolab/schemas/run_manifest.schema.json')
    }
    return $root
}

function New-TestManifest {
    <# Writes a launch-style SLURM (or local) manifest and returns its path. #>
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [string] $IterationId = 'iter1',
        [string] $RunId = 'run_001',
        [string] $JobId = '12345',
        [string] $Status = 'submitted',
        [string] $HostMode = 'slurm',
        [string] $StartedAt = '2026-01-01T00:00:00Z',
        [string] $Type = 'plan',
        [hashtable] $Extra = @{}
    )
    $dir = Join-Path $RepositoryRoot "experiments/$Type/$IterationId/runs/$RunId"
    $null = New-Item -ItemType Directory -Path $dir -Force
    $manifest = [ordered]@{
        schema_version         = '1.0'
        run_id                 = $RunId
        iteration_id           = $IterationId
        launch_mode            = $HostMode
        host_mode              = $HostMode
        command                = if ($HostMode -eq 'slurm') { 'sbatch launch/run_slurm.sbatch' } else { 'bash launch/run_local.sh' }
        resource_request       = [ordered]@{ cpus = 1; memory = '16GB'; gpu_count = 0 }
        status                 = $Status
        artifact_sync_to_local = [ordered]@{ status = 'pending' }
        timestamps             = [ordered]@{ started_at = $StartedAt }
        started_at             = $StartedAt
    }
    if ($HostMode -eq 'slurm' -and $JobId) {
        $manifest.resource_request.job_id = $JobId
        $manifest.resource_request.slurm = [ordered]@{ job_id = $JobId }
        $manifest.job_id = $JobId
        $manifest.slurm = [ordered]@{ job_id = $JobId }
    }
    foreach ($key in $Extra.Keys) { $manifest[$key] = $Extra[$key] }
    $path = Join-Path $dir 'run_manifest.json'
    [IO.File]::WriteAllText($path, ($manifest | ConvertTo-Json -Depth 10) + "`n")
    return $path
}

function Get-PwshInvocation {
    <# How to start a new pwsh like this one: pwsh itself, or `dotnet pwsh.dll` when run as a dotnet tool. #>
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'pwsh') {
        return [pscustomobject]@{ FilePath = $process; Prefix = @() }
    }
    return [pscustomobject]@{ FilePath = $process; Prefix = @((Join-Path $PSHOME 'pwsh.dll')) }
}

function Get-FileHashText([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }

function Invoke-TestProcess {
    <#
    Runs -FilePath with -ArgumentList (no shell) and a deadline, killing its whole process tree when the
    deadline passes. -Environment adds variables to the inherited ones (a $null value removes one).
    Returns ExitCode, TimedOut, ProcessId, Stdout, Stderr and Output (stdout then stderr).
    #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $WorkingDirectory,
        [System.Collections.IDictionary] $Environment = @{},
        [int] $TimeoutSec = 120
    )
    $psi = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    if ($WorkingDirectory) { $psi.WorkingDirectory = $WorkingDirectory }
    foreach ($key in $Environment.Keys) {
        if ($null -eq $Environment[$key]) { $null = $psi.Environment.Remove([string]$key) }
        else { $psi.Environment[[string]$key] = [string]$Environment[$key] }
    }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit($TimeoutSec * 1000)
    if ($timedOut) { $process.Kill($true); $process.WaitForExit() }
    [pscustomobject]@{
        ExitCode = $process.ExitCode; TimedOut = $timedOut; ProcessId = $process.Id
        Stdout = $stdout.Result; Stderr = $stderr.Result; Output = $stdout.Result + $stderr.Result
    }
}

function Invoke-ChildPwsh {
    <# Invoke-TestProcess for a child pwsh started like this one, -NoProfile -NonInteractive, with $Arguments. #>
    param([Parameter(Mandatory)] [string[]] $Arguments, [int] $TimeoutSec = 120)
    $pwsh = Get-PwshInvocation
    Invoke-TestProcess -FilePath $pwsh.FilePath -ArgumentList (@($pwsh.Prefix) + @('-NoProfile', '-NonInteractive') + $Arguments) -TimeoutSec $TimeoutSec
}

function Get-TreeHashes {
    <# Every entry below $Root: path relative to $Root ('/'-separated) -> 'dir' or the file's SHA-256; empty when $Root does not exist. Compare two with Compare-TreeMap. #>
    param([Parameter(Mandatory)] [string] $Root)
    $map = @{}
    if (-not (Test-Path -LiteralPath $Root)) { return $map }
    foreach ($item in Get-ChildItem -LiteralPath $Root -Recurse -Force) {
        $rel = [IO.Path]::GetRelativePath($Root, $item.FullName).Replace('\', '/')
        $map[$rel] = if ($item.PSIsContainer) { 'dir' } else { Get-FileHashText $item.FullName }
    }
    return $map
}

function Compare-TreeMap {
    <# Differences between two path -> description maps of a folder: 'added p', 'changed p', 'removed p' (sorted; prefixed with $Label when given). #>
    param([hashtable] $Before, [hashtable] $After, [string] $Label)
    $prefix = if ($Label) { "${Label}: " } else { '' }
    $changes = foreach ($key in $After.Keys) {
        if (-not $Before.ContainsKey($key)) { "${prefix}added $key" } elseif ($Before[$key] -ne $After[$key]) { "${prefix}changed $key" }
    }
    $changes += foreach ($key in $Before.Keys) { if (-not $After.ContainsKey($key)) { "${prefix}removed $key" } }
    return @($changes | Where-Object { $_ } | Sort-Object)
}

Export-ModuleMember -Function New-TestRepository, New-TestManifest, Get-FileHashText, Get-PwshInvocation, Invoke-TestProcess, Invoke-ChildPwsh, Get-TreeHashes, Compare-TreeMap

function Get-TestbedInfo {
    <#
    The testbed description tests/infra/up.sh writes ($AUTOLAB_TESTBED_DIR/testbed.json): the cluster,
    the loopback sshd, its client keys and known_hosts files. Tests read every path from here.
    #>
    $dir = if ($env:AUTOLAB_TESTBED_DIR) { $env:AUTOLAB_TESTBED_DIR } else { '/var/tmp/autolab-testbed' }
    $path = Join-Path $dir 'testbed.json'
    if (-not (Test-Path -LiteralPath $path)) { throw "No testbed description at '$path': run tests/infra/up.sh first." }
    return Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
}

function Get-FreeTcpPort {
    <# A loopback TCP port nothing listens on right now (the OS picks it). #>
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return ([Net.IPEndPoint]$listener.LocalEndpoint).Port } finally { $listener.Stop() }
}

Export-ModuleMember -Function Get-TestbedInfo, Get-FreeTcpPort
