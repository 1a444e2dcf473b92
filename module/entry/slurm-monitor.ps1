<#
.SYNOPSIS
    Argv-only entry point: autolab's two hooks (-Hook Poll, -Hook Sync), or a whole standalone stage pass.

.DESCRIPTION
    autolab's command templates allow no shell (no ';', '|', '$' ...), so `pwsh -Command "Import-Module ...; ..."`
    cannot be used there. This script takes plain arguments and imports the module it ships in.

    With -Hook (autolab's slurm.monitor.poll_command_template / sync_command_template; see README, "Using it
    from autolab"): autolab owns the run manifest and state.json and this script never writes them; it keeps
    the run's ledger line, its notes and its monitor log.
      -Hook Poll  asks the scheduler about the run's job and prints one line, `<status>|<slurm state>|<job id>`
                  (status pending, running, completed, failed, or unknown when the job is not known yet or the
                  scheduler could not be asked). Exit 0; 1 only for a stage error (its id on stderr).
      -Hook Sync  brings the run's artifacts home (or verifies them in place). Exit 0 only when the sync is ok;
                  else exit 1 with the failures on stderr.
    Stdout carries only that line (plain ASCII), stderr stays empty on exit 0; warnings go to the run's
    logs/slurm_monitor.log.

    SIGTERM or SIGINT ends the scheduler commands it started (with their children), says so on stderr and
    exits 143 or 130.

    Without -Hook: one Invoke-SlurmMonitorStage pass (or -Wait), printed as one JSON object. Exit 0 for a
    normal pass, waiting included; 1 for a stage error, whose id and message go to stderr.

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File <module folder>/bin/slurm-monitor.ps1 -Hook Poll -RunDirectory {run_dir} -RepositoryRoot {repo_root}

.EXAMPLE
    pwsh -NoProfile -File <module folder>/bin/slurm-monitor.ps1 -RepositoryRoot . -UpdateState
#>
[CmdletBinding()]
param(
    [string] $Hook,
    [string] $RunDirectory,
    [string] $RepositoryRoot = '.',
    [string] $RunId,
    [switch] $Wait,
    [int] $PollIntervalSec = 30,
    [int] $TimeoutSec = 86400,
    [switch] $UpdateState,
    [int] $MaxSyncAttempts = 3,
    [int] $SchedulerTimeoutSec = 60,
    [string] $ComputerName,
    [string] $KeyFilePath,
    [string] $KnownHostsPath,
    [string] $SshConfigPath,
    [switch] $AcceptNewHostKey,
    # Anything else on the command line: refused with one clear line (pwsh's own message would not name our id).
    [Parameter(ValueFromRemainingArguments)] [string[]] $Unexpected
)
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
$stdout = [Console]::Out

function Stop-Entry([string] $Id, [string] $Message) {
    # One line on stderr, the error id first; nothing on stdout.
    $line = ($Message -split '\r?\n' | ForEach-Object { $_.Trim() } | Where-Object { $_ }) -join ' '
    [Console]::Error.WriteLine("slurm-monitor: ${Id}: $line")
    exit 1
}

if ($Unexpected) { Stop-Entry 'InvalidArgument' "unexpected argument(s) '$($Unexpected -join ' ')'. See Get-Help $PSCommandPath." }
$mode = if ($PSBoundParameters.ContainsKey('Hook')) { $Hook } else { $null }
if ($null -ne $mode -and $mode -notin 'Poll', 'Sync') {
    Stop-Entry 'HookInvalid' "-Hook '$Hook' is not a hook; use -Hook Poll (autolab's poll_command_template) or -Hook Sync (its sync_command_template). Nothing was written."
}

try {
    # A hook needs only the compiled cmdlets: importing their assembly alone skips the formatting data (whose
    # first load costs a cold pwsh about 200 ms) and the script half; the standalone pass needs the whole module.
    $moduleFile = if ($mode) { 'Autolab.Slurm.dll' } else { 'Autolab.Slurm.psd1' }
    Import-Module ([IO.Path]::Combine($PSScriptRoot, '..', $moduleFile)) -ErrorAction Stop
    # SIGTERM or SIGINT: end the scheduler commands (and their children) first, say why, exit 143 / 130.
    [Autolab.Slurm.Execution.ChildProcesses]::ExitCleanlyOnSignals('slurm-monitor')
    $ssh = @{}
    foreach ($name in 'KeyFilePath', 'KnownHostsPath', 'SshConfigPath', 'AcceptNewHostKey') {
        if ($PSBoundParameters.ContainsKey($name)) { $ssh[$name] = $PSBoundParameters[$name] }
    }

    if ($mode) {
        if (-not $RunDirectory) {
            Stop-Entry 'RunDirectoryMissing' "-Hook $mode needs -RunDirectory {run_dir} (the run's folder, which autolab substitutes). Nothing was written."
        }
        if ($ComputerName) { $ssh['ComputerName'] = $ComputerName }
        $warnings = [Collections.Generic.List[string]]::new()
        $pass = New-SlurmMonitorPass -Hook $mode -RunDirectory $RunDirectory -RepositoryRoot $RepositoryRoot -ErrorAction Stop
        if ($mode -eq 'Poll') {
            $null = Get-SlurmJobState -MonitorPass $pass @ssh -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable +warnings
            # The answer first: autolab reads stdout's first line.
            $stdout.Write($pass.HookLine + "`n")
            $stdout.Flush()
        }
        else {
            $null = Sync-RunArtifacts -MonitorPass $pass @ssh -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable +warnings
        }
        $null = Complete-SlurmMonitorPass -MonitorPass $pass -LogDetail @($warnings | ForEach-Object { "warning: $_" }) -ErrorAction Stop
        # The ledger line last: it is the line autolab's manifest will give once autolab has written it.
        $null = Update-SlurmJobList -MonitorPass $pass -ErrorAction Stop -WarningAction SilentlyContinue
        if ($pass.HookSucceeded) {
            if ($mode -eq 'Sync') { $stdout.Write($pass.HookLine + "`n") }
            exit 0
        }
        foreach ($line in $pass.HookFailures) { [Console]::Error.WriteLine("slurm-monitor: $line") }
        exit 1
    }

    $stage = @{}
    foreach ($name in $PSBoundParameters.Keys) {
        if ($name -notin 'Hook', 'RunDirectory', 'ComputerName', 'Unexpected') { $stage[$name] = $PSBoundParameters[$name] }
    }
    if (-not $stage.ContainsKey('RepositoryRoot')) { $stage['RepositoryRoot'] = $RepositoryRoot }
    $result = Invoke-SlurmMonitorStage @stage -ErrorAction Stop
    # The module's own JSON writer, not ConvertTo-Json: autoloading the Utility module that cmdlet lives
    # in costs about 150 ms in a cold process. The result holds strings, booleans and string lists.
    $json = [Autolab.Slurm.Json.RawObject]::new()
    foreach ($name in 'RunId', 'IterationId', 'JobId', 'HostMode', 'SchedulerState', 'Status', 'SyncStatus', 'NextStage', 'CanAdvance', 'Message', 'ChangedFiles', 'ProbeLimitation') {
        $value = $result.$name
        $node = if ($null -eq $value) { [Autolab.Slurm.Json.RawScalar]::Null }
        elseif ($value -is [bool]) { [Autolab.Slurm.Json.RawScalar]::FromBool($value) }
        elseif ($value -is [Collections.IEnumerable] -and $value -isnot [string]) { [Autolab.Slurm.Json.RawArray]::OfStrings([string[]]@($value)) }
        else { [Autolab.Slurm.Json.RawScalar]::FromString([string]$value) }
        $json.Set($name, $node)
    }
    $stdout.Write([Autolab.Slurm.Json.RawJson]::Write($json))
    exit 0
}
catch {
    $record = if ($_.Exception -is [System.Management.Automation.ActionPreferenceStopException]) { $_.Exception.ErrorRecord } else { $_ }
    Stop-Entry ($record.FullyQualifiedErrorId -split ',')[0] $record.Exception.Message
}
