function Invoke-SlurmMonitorStage {
    # .ExternalHelp Autolab.Slurm-help.xml
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Autolab.Slurm.MonitorStageResult')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('PSPath', 'FullName')]
        [ValidateNotNullOrEmpty()]
        [string] $RepositoryRoot,

        [ValidateNotNullOrEmpty()]
        [string] $RunId,

        [switch] $Wait,

        [ValidateRange(1, 3600)]
        [int] $PollIntervalSec = 30,

        [ValidateRange(1, 2592000)]
        [int] $TimeoutSec = 86400,

        [switch] $UpdateState,

        [ValidateRange(1, 1000)]
        [int] $MaxSyncAttempts = 3,

        [ValidateRange(1, 3600)]
        [int] $SchedulerTimeoutSec = 60,

        [ValidateNotNullOrEmpty()]
        [string] $KeyFilePath,

        [securestring] $KeyPassphrase,

        [ValidateNotNullOrEmpty()]
        [string] $KnownHostsPath,

        [ValidateNotNullOrEmpty()]
        [string] $SshConfigPath,

        [switch] $AcceptNewHostKey
    )

    process {
        # The stage as a pipeline of the module's cmdlets around one pass (New-SlurmMonitorPass): poll, apply,
        # sync, apply, settle (the pass's own decisions), the ledger, then the log and state. Every decision is the
        # pass's (C#); the cmdlets write, each under its file's lock and ShouldProcess.
        $ssh = @{}
        foreach ($name in 'KeyFilePath', 'KeyPassphrase', 'KnownHostsPath', 'SshConfigPath', 'AcceptNewHostKey') {
            if ($PSBoundParameters.ContainsKey($name)) { $ssh[$name] = $PSBoundParameters[$name] }
        }
        $open = @{ MaxSyncAttempts = $MaxSyncAttempts; SchedulerTimeoutSec = $SchedulerTimeoutSec; PollIntervalSec = $PollIntervalSec; UpdateState = $UpdateState }
        if ($RepositoryRoot) { $open.RepositoryRoot = $RepositoryRoot }
        if ($RunId) { $open.RunId = $RunId }

        try {
            $started = [Diagnostics.Stopwatch]::StartNew()
            $result = $null
            while ($true) {
                $pass = New-SlurmMonitorPass @open -Previous $result -ErrorAction Stop
                if (-not $pass.IsPassThrough) {
                    Get-SlurmJobState -MonitorPass $pass @ssh -ErrorAction Stop | Update-RunManifest -MonitorPass $pass -ErrorAction Stop
                    Sync-RunArtifacts -MonitorPass $pass @ssh -ErrorAction Stop | Update-RunManifest -MonitorPass $pass -ErrorAction Stop
                    Update-RunManifest -MonitorPass $pass -Settle -ErrorAction Stop
                    $null = Update-SlurmJobList -MonitorPass $pass -ErrorAction Stop
                }
                $result = Complete-SlurmMonitorPass -MonitorPass $pass -ErrorAction Stop

                if (-not $Wait -or $result.CanAdvance) { break }
                $remaining = [TimeSpan]::FromSeconds($TimeoutSec) - $started.Elapsed
                if ($remaining -le [TimeSpan]::Zero) {
                    $result.Message = "timed out after $TimeoutSec s of -Wait; $($result.Message)"
                    break
                }
                $delay = if ($result.NextPollDelay -gt $remaining) { $remaining } else { $result.NextPollDelay }
                Wait-NextPoll -Result $result -Delay $delay -Elapsed $started.Elapsed
            }
            if ($Wait) { Write-Progress -Activity 'Invoke-SlurmMonitorStage' -Completed }
            $result
        }
        catch {
            # A cmdlet of the pass met an error that stops the stage (a missing manifest, a schema violation...):
            # it stops the function with the cmdlet's own error id. With -ErrorAction Stop the record arrives
            # wrapped; unwrap it so the caller sees the original id.
            $record = if ($_.Exception -is [System.Management.Automation.ActionPreferenceStopException]) { $_.Exception.ErrorRecord } else { $_ }
            $PSCmdlet.ThrowTerminatingError($record)
        }
    }
}

function Wait-NextPoll {
    # Sleeps until the next poll in one-second steps (so Ctrl+C is prompt), showing where things stand.
    param($Result, [TimeSpan] $Delay, [TimeSpan] $Elapsed)
    $until = [DateTime]::UtcNow + $Delay
    while ([DateTime]::UtcNow -lt $until) {
        $left = [int][Math]::Ceiling(($until - [DateTime]::UtcNow).TotalSeconds)
        $status = 'job {0}: {1} ({2}); waited {3:hh\:mm\:ss}; next poll in {4} s' -f $Result.JobId, $Result.SchedulerState, $Result.Status, $Elapsed, $left
        Write-Progress -Activity 'Invoke-SlurmMonitorStage' -Status $status -SecondsRemaining $left
        Start-Sleep -Milliseconds ([Math]::Min(1000, [Math]::Max(1, ($until - [DateTime]::UtcNow).TotalMilliseconds)))
    }
}
