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
        # The function composes the cmdlets; every decision is made by Autolab.Slurm.Stage.StageRules (C#).
        $root = if ($RepositoryRoot) { $PSCmdlet.GetUnresolvedProviderPathFromPSPath($RepositoryRoot) } else { $PSCmdlet.SessionState.Path.CurrentFileSystemLocation.ProviderPath }
        $stateSchema = [IO.Path]::Combine($ExecutionContext.SessionState.Module.ModuleBase, 'schemas', 'state.schema.json')
        $ssh = @{}
        foreach ($name in 'KeyFilePath', 'KeyPassphrase', 'KnownHostsPath', 'SshConfigPath', 'AcceptNewHostKey') {
            if ($PSBoundParameters.ContainsKey($name)) { $ssh[$name] = $PSBoundParameters[$name] }
        }

        try {
            $context = [Autolab.Slurm.Stage.StageContext]::Resolve($root, $RunId, $stateSchema)
            $backoff = [Autolab.Slurm.Stage.PollBackoff]::new([TimeSpan]::FromSeconds($PollIntervalSec))
            $started = [Diagnostics.Stopwatch]::StartNew()
            $previous = $null
            while ($true) {
                $result = Invoke-MonitorPass -Context $context -Ssh $ssh -MaxSyncAttempts $MaxSyncAttempts -SchedulerTimeoutSec $SchedulerTimeoutSec
                if ($UpdateState -and $PSCmdlet.ShouldProcess([Autolab.Slurm.Stage.AutolabState]::PathFor($root), 'Update sync_status, stage_attempt and stage')) {
                    $syncWord = [Autolab.Slurm.Stage.StageRules]::StateSyncStatus($result.SyncStatus)
                    if ($null -eq $syncWord) { $syncWord = [string]$context.State.Root.GetPathText('sync_status') }
                    if ($context.State.Update($syncWord, $result.CanAdvance, $stateSchema)) {
                        $result.ChangedFiles += '.autolab/state.json'
                    }
                    $context = [Autolab.Slurm.Stage.StageContext]::Resolve($root, $RunId, $stateSchema)
                }

                if (-not $Wait -or $result.CanAdvance) { break }
                $signature = "$($result.Status)|$($result.SchedulerState)|$($result.SyncStatus)"
                $delay = $backoff.Next($signature -ne $previous)
                $previous = $signature
                $remaining = [TimeSpan]::FromSeconds($TimeoutSec) - $started.Elapsed
                if ($remaining -le [TimeSpan]::Zero) {
                    $result.Message = "timed out after $TimeoutSec s of -Wait; $($result.Message)"
                    break
                }
                if ($delay -gt $remaining) { $delay = $remaining }
                Wait-NextPoll -Result $result -Delay $delay -Elapsed $started.Elapsed
            }
            if ($Wait) { Write-Progress -Activity 'Invoke-SlurmMonitorStage' -Completed }
            $result
        }
        catch {
            # Errors that stop the stage: the module's own (possibly wrapped by a .NET method call), or a
            # cmdlet of the pass that met one (schema violation, unreadable file...). Anything else is a bug.
            $exception = $_.Exception
            while ($null -ne $exception -and $exception -isnot [Autolab.Slurm.Errors.AutolabException]) { $exception = $exception.InnerException }
            if ($null -ne $exception) { $PSCmdlet.ThrowTerminatingError((New-AutolabErrorRecord $exception)) }
            if ($_.Exception -is [System.Management.Automation.ActionPreferenceStopException]) { $PSCmdlet.ThrowTerminatingError($_.Exception.ErrorRecord) }
            throw
        }
    }
}

function Invoke-MonitorPass {
    # One pass of the stage over the base run (and its replicates). Returns the MonitorStageResult.
    [CmdletBinding(SupportsShouldProcess)]
    param($Context, [hashtable] $Ssh, [int] $MaxSyncAttempts, [int] $SchedulerTimeoutSec)

    $rules = [Autolab.Slurm.Stage.StageRules]
    $changed = [Collections.Generic.List[string]]::new()
    $notes = @{}
    $probe = [Collections.Generic.List[string]]::new()
    $schedulerState = @{}
    $state = $Context.State

    if ($null -eq $Context.RunId) {
        $decision = [Autolab.Slurm.Stage.StageDecision]::new('extract_results', $true, 'no run to monitor (the state names no run id): passing through')
        return New-StageResult -Context $Context -Decision $decision -Changed $changed
    }

    $Context.RequireManifestsAndSchema()
    $base = [Autolab.Slurm.Manifest.RunManifestDocument]::Load($Context.BaseRun.ManifestPath)
    $group = @($Context.Replicates)
    if ($group.Count -eq 0 -and -not $base.IsSlurmRun) {
        $decision = [Autolab.Slurm.Stage.StageDecision]::new('extract_results', $true, 'a local run: nothing to monitor, passing through')
        return New-StageResult -Context $Context -Decision $decision -Changed $changed -Manifest $base
    }

    $runs = if ($group.Count -gt 0) { $group } else { @($Context.BaseRun) }
    $paths = @($runs | ForEach-Object { $_.ManifestPath })

    # An interactive allocation that already completed with a good sync becomes synced (row 5), unpolled.
    foreach ($path in $paths) {
        $manifest = [Autolab.Slurm.Manifest.RunManifestDocument]::Load($path)
        if ($rules::IsCompletedInteractive($manifest)) {
            Add-Update (Update-RunManifest -Path $path -SyncStatus ok -PassThru -ErrorAction Stop) $changed $notes $Context
        }
    }

    # One Get-SlurmJobState for every run still in flight: one sacct call, at most one squeue call.
    $toPoll = @($paths | Where-Object {
            $m = [Autolab.Slurm.Manifest.RunManifestDocument]::Load($_)
            $m.IsSlurmRun -and $rules::NeedsPolling($m)
        })
    # Grouped by login host ('' = this machine) with a dictionary, not Group-Object: the Utility module
    # that cmdlet lives in costs about 100 ms to autoload in a cold stage process.
    $byHost = [ordered]@{}
    foreach ($path in $toPoll) {
        $hostName = [string]$Context.RemoteHostFor([Autolab.Slurm.Manifest.RunManifestDocument]::Load($path))
        if (-not $byHost.Contains($hostName)) { $byHost[$hostName] = [Collections.Generic.List[string]]::new() }
        $byHost[$hostName].Add($path)
    }
    foreach ($hostName in @($byHost.Keys)) {
        $remote = @{}
        if ($hostName) { $remote = @{ ComputerName = $hostName } + $Ssh }
        $query = Invoke-Contained 'Get-SlurmJobState' (@{ ManifestPath = $byHost[$hostName].ToArray(); TimeoutSec = $SchedulerTimeoutSec } + $remote)
        $states = $query.Output
        foreach ($failure in $query.Errors) {
            if ($failure.FullyQualifiedErrorId -notlike 'Scheduler*') { $PSCmdlet.ThrowTerminatingError($failure) }
            # Row 2: the scheduler could not be asked. Keep the status; say so in the ledger and the result,
            # in words that stay the same from pass to pass (so the ledger note is not repeated).
            $target = [string]$failure.TargetObject
            $jobId = if (Test-Path -LiteralPath $target -PathType Leaf) { [Autolab.Slurm.Manifest.RunManifestDocument]::Load($target).PollJobId } else { $target }
            $detail = if ($failure.Exception -is [Autolab.Slurm.Errors.AutolabException] -and $failure.Exception.Detail) { $failure.Exception.Detail } else { $failure.Exception.Message }
            $sentence = $rules::ProbeLimitation([string[]]@($jobId), $failure.FullyQualifiedErrorId.Split(',')[0] + ': ' + $detail)
            if (-not $probe.Contains($sentence)) { $probe.Add($sentence) }
            if ($target -and -not $notes.ContainsKey($target)) { $notes[$target] = $sentence }
        }
        foreach ($jobState in $states) {
            $schedulerState[$jobState.ManifestPath] = $jobState.State
            Add-Update ($jobState | Update-RunManifest -MaxSyncAttempts $MaxSyncAttempts -PassThru -ErrorAction Stop) $changed $notes $Context
        }
    }

    # Bring the artifacts home where the rules say so (a COMPLETED job, a failed job's logs).
    foreach ($path in $paths) {
        $manifest = [Autolab.Slurm.Manifest.RunManifestDocument]::Load($path)
        if (-not $rules::NeedsSync($manifest)) { continue }
        $syncErrors = $null
        $syncResult = Sync-RunArtifacts -ManifestPath $path @Ssh -ErrorAction SilentlyContinue -ErrorVariable syncErrors
        foreach ($failure in @($syncErrors)) {
            if (-not $notes.ContainsKey($path)) { $notes[$path] = "artifact sync could not run: $($failure.Exception.Message)" }
        }
        if ($syncResult) {
            foreach ($pulled in $syncResult.PulledPaths) { $changed.Add($pulled) }
            Add-Update ($syncResult | Update-RunManifest -MaxSyncAttempts $MaxSyncAttempts -PassThru -ErrorAction Stop) $changed $notes $Context
        }
    }

    # A run_group's base run gets the roll-up of its replicates, and nothing else.
    $final = @($paths | ForEach-Object { [Autolab.Slurm.Manifest.RunManifestDocument]::Load($_) })
    if ($group.Count -gt 0) {
        $pairs = [Collections.Generic.List[System.ValueTuple[string, string]]]::new()
        foreach ($m in $final) { $pairs.Add([System.ValueTuple[string, string]]::new($m.RawStatus, $m.RawSyncStatus)) }
        $rollup = $rules::Rollup($pairs)
        $arguments = @{ Path = $Context.BaseRun.ManifestPath; Status = $rollup.Status; PassThru = $true; ErrorAction = 'Stop' }
        if ($rollup.SyncStatus) { $arguments.SyncStatus = $rollup.SyncStatus }
        if ($base.RawStatus -ne $rollup.Status -or ($rollup.SyncStatus -and $base.RawSyncStatus -ne $rollup.SyncStatus)) {
            Add-Update (Update-RunManifest @arguments) $changed $notes $Context
        }
    }

    # The ledger: each SLURM run's line equals the line built from its final manifest, notes under it.
    $ledgerPaths = @($paths)
    if ($group.Count -gt 0 -and $base.IsSlurmRun -and $base.LedgerJobId) { $ledgerPaths += $Context.BaseRun.ManifestPath }
    foreach ($path in $ledgerPaths) {
        $note = $notes[$path]
        $entry = Update-SlurmJobList -ManifestPath $path -Note $note -ErrorAction Stop
        if ($entry -and ($entry.Action -ne 'Unchanged' -or $entry.NoteAdded)) {
            $relative = $Context.RepoRelative($entry.LedgerPath)
            if (-not $changed.Contains($relative)) { $changed.Add($relative) }
        }
    }

    $baseFinal = [Autolab.Slurm.Manifest.RunManifestDocument]::Load($Context.BaseRun.ManifestPath)
    $decision = $rules::Decide($baseFinal.RawStatus)
    $probeText = if ($probe.Count) { $probe -join '; ' } else { $null }
    if ($group.Count -gt 0) {
        $jobIds = ($final | ForEach-Object { $_.PollJobId }) -join ', '
        $schedulerText = $rules::CountStates([string[]]@($final | ForEach-Object { $rules::RecordedState($_) }))
    }
    else {
        $jobIds = $baseFinal.PollJobId
        $schedulerText = if ($schedulerState.ContainsKey($baseFinal.Path)) { $schedulerState[$baseFinal.Path] } else { $rules::RecordedState($baseFinal) }
    }

    # One line per SLURM pass in the run's own log (not under -WhatIf).
    $log = [IO.Path]::Combine([IO.Path]::GetDirectoryName($Context.BaseRun.ManifestPath), 'logs', 'slurm_monitor.log')
    if ($PSCmdlet.ShouldProcess($log, 'Append one line to the monitor log')) {
        $line = $rules::LogLine([DateTimeOffset]::UtcNow, $Context.RunId, $jobIds, $schedulerText, $baseFinal.RawStatus, $baseFinal.RawSyncStatus, $decision, $probeText)
        [Autolab.Slurm.IO.AtomicFile]::AppendLine($log, $line)
        $changed.Add($Context.RepoRelative($log))
    }

    $result = New-StageResult -Context $Context -Decision $decision -Changed $changed -Manifest $baseFinal -JobId $jobIds -SchedulerState $schedulerText
    $result.ProbeLimitation = $probeText
    if ($probeText) { $result.Message = "$($decision.Message) (the scheduler could not be asked this time)" }
    return $result
}

function Invoke-Contained {
    # Runs a cmdlet in a nested pipeline of this runspace, so the errors it reports (a scheduler that
    # cannot be asked) come back here instead of reaching the caller's error stream and $Error: the stage
    # handles them itself. Verbose and warning records are passed on.
    param([string] $Command, [hashtable] $Parameters)
    $shell = [powershell]::Create([System.Management.Automation.RunspaceMode]::CurrentRunspace)
    try {
        # Continue, whatever the caller's preference: the errors are collected, never thrown here.
        $null = $shell.AddCommand($Command).AddParameters($Parameters).AddParameter('ErrorAction', 'Continue')
        if ($VerbosePreference -ne 'SilentlyContinue') { $null = $shell.AddParameter('Verbose') }
        $output = $shell.Invoke()
        foreach ($record in $shell.Streams.Verbose) { Write-Verbose $record.Message }
        foreach ($record in $shell.Streams.Warning) { Write-Warning $record.Message }
        $errors = @($shell.Streams.Error)
        foreach ($record in $errors) { $global:Error.Remove($record) }
        [pscustomobject]@{ Output = @($output); Errors = $errors }
    }
    finally {
        $shell.Dispose()
    }
}

function Add-Update {
    # Collects what an Update-RunManifest changed, and the ledger note it carries.
    param($Update, $Changed, $Notes, $Context)
    foreach ($u in @($Update)) {
        if ($null -eq $u) { continue }
        if ($u.Changed) {
            $relative = $Context.RepoRelative($u.ManifestPath)
            if (-not $Changed.Contains($relative)) { $Changed.Add($relative) }
        }
        if ($u.Note) { $Notes[$u.ManifestPath] = $u.Note }
    }
}

function New-StageResult {
    param($Context, $Decision, $Changed, $Manifest, $JobId, $SchedulerState)
    [pscustomobject]@{
        PSTypeName      = 'Autolab.Slurm.MonitorStageResult'
        RunId           = $Context.RunId
        IterationId     = $Context.IterationId
        JobId           = if ($JobId) { $JobId } elseif ($Manifest) { $Manifest.PollJobId } else { $null }
        HostMode        = if ($Manifest) { [Autolab.Slurm.Stage.ManifestText]::HostMode($Manifest) } else { $null }
        SchedulerState  = $SchedulerState
        Status          = if ($Manifest) { $Manifest.RawStatus } else { $null }
        SyncStatus      = if ($Manifest) { $Manifest.RawSyncStatus } else { $null }
        NextStage       = $Decision.NextStage
        CanAdvance      = $Decision.CanAdvance
        Message         = $Decision.Message
        ChangedFiles    = [string[]]@($Changed)
        ProbeLimitation = $null
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

function New-AutolabErrorRecord {
    param([Autolab.Slurm.Errors.AutolabException] $Exception)
    $category = [System.Management.Automation.ErrorCategory]::NotSpecified
    $null = [Enum]::TryParse([System.Management.Automation.ErrorCategory], $Exception.Category.ToString(), [ref] $category)
    [System.Management.Automation.ErrorRecord]::new($Exception, $Exception.ErrorId, $category, $Exception.Target)
}
