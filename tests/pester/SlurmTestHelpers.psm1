# Helpers for the Pester files that talk to the real test cluster (tests/infra/up.sh): submitting
# jobs, waiting for a state with a deadline (never a bare sleep), and fake scheduler commands for the
# few cases the real cluster cannot produce on demand.
Set-StrictMode -Version Latest

function Submit-TestSlurmJob {
    <#
    Submits a 1-CPU batch job and returns its id. Output goes to /dev/null from /tmp so no slurm-N.out
    lands in the working tree. -Component adds het job components (`sbatch ... : ...`).
    #>
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $Wrap,
        [string] $Time = '2',
        [string[]] $ExtraArgs = @(),
        [string[]] $Component = @()
    )
    $arguments = @('--parsable', "--job-name=$Name", '--output=/dev/null', '--chdir=/tmp') + $ExtraArgs +
        @("--time=$Time", '--cpus-per-task=1', '--wrap', $Wrap)
    foreach ($wrap in $Component) {
        $arguments += @(':', "--time=$Time", '--cpus-per-task=1', '--wrap', $wrap)
    }
    $output = & sbatch @arguments 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "sbatch $($arguments -join ' ') failed with exit code ${LASTEXITCODE}: $output"
    }
    # --parsable prints "<id>" or "<id>;<cluster>".
    $id = ("$output".Trim() -split ';')[0]
    if ($id -notmatch '^\d+$') { throw "sbatch printed '$output', not a job id." }
    return $id
}

function Stop-TestSlurmJob {
    <# scancel for the given ids; finished or unknown ids are fine. #>
    param([string[]] $JobId)
    $ids = @($JobId | Where-Object { $_ })
    if ($ids.Count -gt 0) { & scancel @ids 2>&1 | Out-Null }
}

function Get-SacctState {
    <#
    Asks sacct directly (not the module under test) for the allocation rows of the given ids and
    returns a hashtable: printed JobID (7, 7_0, 7_[0-2], 4+1) -> State text ("CANCELLED by 0").
    #>
    param([Parameter(Mandatory)] [string[]] $JobId)
    $lines = & sacct --noheader --parsable2 --allocations --format=JobID,State "--jobs=$($JobId -join ',')" 2>$null
    $map = @{}
    foreach ($line in @($lines)) {
        if (-not $line) { continue }
        $id, $state = "$line" -split '\|', 2
        $map[$id] = $state
    }
    return $map
}

function Get-SqueueReason {
    <# The controller's pending reason of one job (squeue %r), or $null. #>
    param([Parameter(Mandatory)] [string] $JobId)
    $line = & squeue --noheader --states=all "--jobs=$JobId" --format=%r 2>$null | Select-Object -First 1
    if ($LASTEXITCODE -ne 0 -or -not $line) { return $null }
    return "$line".Trim()
}

function Wait-Until {
    <# Polls $Condition until it returns something truthy (returned) or the deadline passes (throws). #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [int] $TimeoutSec = 60,
        [int] $IntervalMs = 500,
        [string] $Because = 'the condition'
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        $value = & $Condition
        if ($value) { return $value }
        if ([DateTime]::UtcNow -ge $deadline) { throw "Timed out after $TimeoutSec s waiting for $Because." }
        Start-Sleep -Milliseconds $IntervalMs
    }
}

function New-TestDirectory {
    <# An empty temp directory. #>
    $path = Join-Path ([IO.Path]::GetTempPath()) ('autolab-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $path -Force
    return $path
}

function New-FakeCommand {
    <# Writes an executable /bin/sh script named $Name into $Directory and returns its path. #>
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [AllowEmptyString()] [string] $Body
    )
    $path = Join-Path $Directory $Name
    [IO.File]::WriteAllText($path, "#!/bin/sh`n$Body`n")
    (Get-Item -LiteralPath $path).UnixFileMode = 'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute'
    return $path
}

function Test-ProcessAlive {
    <# True while a process exists and is not a zombie (PID 1 of a container may never reap it). #>
    param([Parameter(Mandatory)] [int] $Id)
    $stat = "/proc/$Id/stat"
    try { $text = [IO.File]::ReadAllText($stat) } catch { return $false }
    # Field 3 follows the ')' that closes the command name (which may itself hold spaces).
    $state = $text.Substring($text.LastIndexOf(')') + 2, 1)
    return $state -notin 'Z', 'X'
}

function Split-CmdletOutput {
    <#
    Sorts merged output (run the command with 3>&1 4>&1) into the objects of $Type, the verbose
    messages and the warning messages.
    #>
    param([object[]] $InputObject, [Parameter(Mandatory)] [type] $Type)
    $items = @($InputObject)
    [pscustomobject]@{
        Objects  = @($items | Where-Object { $_ -is $Type })
        Verbose  = @($items | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        Warnings = @($items | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
    }
}

Export-ModuleMember -Function Submit-TestSlurmJob, Stop-TestSlurmJob, Get-SacctState, Get-SqueueReason, Wait-Until,
    New-TestDirectory, New-FakeCommand, Test-ProcessAlive, Split-CmdletOutput
