# Helpers for the Pester files that drive the REAL autolab (`python3 -m autolab`, source in
# ../shared/autolab/src relative to the repository root, where CI has it too) in fresh repositories made
# by `autolab init`, on the real test cluster. What each edit of a test repository is for is written in
# New-AutolabTestRepository's help.
#
# The YAML files autolab reads (.autolab/verifier_policy.yaml, design.yaml) are edited through python3
# with PyYAML: autolab itself needs both, so wherever autolab runs they are there. No autolab code is
# copied here: where a test needs autolab's own answer (the ledger line of a manifest), autolab's
# function is called.
Set-StrictMode -Version Latest

Import-Module (Join-Path $PSScriptRoot 'SlurmTestHelpers.psm1')
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

# autolab refuses these anywhere in a monitor command after substitution (launch_runtime.py,
# _SHELL_META_PATTERN), so a repository path holding one can never run a hook.
$script:ShellMetaPattern = '[|&;<>()$`]'
$script:PythonExecutable = $null
$script:InitTemplate = $null
$ExecutionContext.SessionState.Module.OnRemove = {
    if ($script:InitTemplate) { Remove-Item -LiteralPath $script:InitTemplate -Recurse -Force -ErrorAction SilentlyContinue }
}

function Get-AutolabSourcePath {
    <#
    .SYNOPSIS
        The folder to put on PYTHONPATH for `python3 -m autolab`: $env:AUTOLAB_SOURCE_DIR when set, else the
        first shared/autolab/src found beside the repository or beside one of its parent folders
        (../shared/autolab/src for a checkout next to it, ../../shared/autolab/src for a clone one level down).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $repositoryRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    if ($env:AUTOLAB_SOURCE_DIR) {
        $source = [IO.Path]::GetFullPath($env:AUTOLAB_SOURCE_DIR)
        if (-not (Test-Path -LiteralPath (Join-Path $source 'autolab/__main__.py'))) {
            throw "AUTOLAB_SOURCE_DIR is '$source', which holds no autolab/__main__.py: point it at autolab's src folder."
        }
        return $source
    }
    $folder = [IO.Directory]::GetParent($repositoryRoot)
    while ($folder) {
        $source = Join-Path $folder.FullName 'shared/autolab/src'
        if (Test-Path -LiteralPath (Join-Path $source 'autolab/__main__.py')) { return $source }
        $folder = $folder.Parent
    }
    throw "autolab's source was not found: no shared/autolab/src beside '$repositoryRoot' or any folder above it. Put autolab's src folder at ../shared/autolab/src, or set AUTOLAB_SOURCE_DIR to it."
}

function Get-AutolabPython {
    <#
    .SYNOPSIS
        The python3 that runs autolab (the first on PATH); autolab needs Python 3.10+, PyYAML 6, jsonschema 4.18+.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($script:PythonExecutable) { return $script:PythonExecutable }
    $python = Get-Command python3 -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $python) { throw 'python3 is not on PATH: autolab needs Python 3.10+ with PyYAML 6 and jsonschema 4.18+.' }
    # The interpreter itself rather than a version-manager shim in front of it (pyenv's costs ~0.5 s a start).
    $executable = & $python.Source -c 'import sys; print(sys.executable)' 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $executable) { throw "'$($python.Source) -c ...' did not start (exit code $LASTEXITCODE)." }
    $script:PythonExecutable = "$executable".Trim()
    return $script:PythonExecutable
}

function Invoke-Autolab {
    <#
    .SYNOPSIS
        Runs `python3 -m autolab <ArgumentList>` in a repository, with a deadline.
    .DESCRIPTION
        The process starts in -RepositoryRoot (autolab's default state file is .autolab/state.json there)
        with an argument list (no shell), PYTHONPATH set to autolab's source (Get-AutolabSourcePath) and
        PYTHONDONTWRITEBYTECODE=1 (nothing is written into the shared source folder). When the deadline
        passes its whole process tree is killed (hooks included) and the run lock it leaves in
        .autolab/lock is removed, so later runs in the repository are not refused for 30 minutes.

        Returns ExitCode, TimedOut, Stdout, Stderr, Output (stdout then stderr), Fields (the `key: value`
        lines of stdout, first occurrence wins) and, from those, StageBefore, StageAfter, Transitioned
        ($null unless autolab printed them: `autolab run` does) and Message.
    .PARAMETER Environment
        Extra environment variables for autolab and everything it starts (hooks included); a $null
        value removes the variable.
    .PARAMETER PrependPath
        Folders put in front of PATH (for a stand-in command autolab or a hook should find first).
    .EXAMPLE
        $result = Invoke-Autolab -RepositoryRoot $repo.RepositoryRoot run
        $result.StageAfter | Should -Be 'extract_results'
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [Parameter(Mandatory, Position = 0, ValueFromRemainingArguments)] [string[]] $ArgumentList,
        [int] $TimeoutSec = 120,
        [System.Collections.IDictionary] $Environment = @{},
        [string[]] $PrependPath = @()
    )
    $processEnvironment = [ordered]@{ PYTHONPATH = (Get-AutolabSourcePath); PYTHONDONTWRITEBYTECODE = '1' }
    if ($PrependPath.Count -gt 0) {
        $processEnvironment['PATH'] = (@($PrependPath) + @($env:PATH)) -join [IO.Path]::PathSeparator
    }
    foreach ($key in $Environment.Keys) { $processEnvironment[[string]$key] = $Environment[$key] }
    $run = Invoke-TestProcess -FilePath (Get-AutolabPython) -ArgumentList (@('-m', 'autolab') + $ArgumentList) -WorkingDirectory $RepositoryRoot -Environment $processEnvironment -TimeoutSec $TimeoutSec
    if ($run.TimedOut) {
        # A killed run leaves autolab's run lock behind, and every later run in this repository would be
        # refused ("active lock exists") until it is 30 minutes stale: break it when it is the killed one's.
        $lockPath = Join-Path $RepositoryRoot '.autolab/lock'
        if (Test-Path -LiteralPath $lockPath) {
            $holder = try { (Get-Content -LiteralPath $lockPath -Raw | ConvertFrom-Json).pid } catch { $null }
            if ($holder -eq $run.ProcessId) { Remove-Item -LiteralPath $lockPath -Force }
        }
    }
    $stdout = $run.Stdout
    $stderr = $run.Stderr

    $fields = [ordered]@{}
    foreach ($line in ($stdout -split "`r?`n")) {
        if ($line -match '^([a-z_]+): (.*)$' -and -not $fields.Contains($Matches[1])) { $fields[$Matches[1]] = $Matches[2] }
    }
    $transitioned = if ($fields.Contains('transitioned')) { $fields['transitioned'] -eq 'True' } else { $null }
    [pscustomobject]@{
        PSTypeName   = 'AutolabTest.AutolabResult'
        Command      = "python3 -m autolab $($ArgumentList -join ' ')"
        ExitCode     = $run.ExitCode
        TimedOut     = $run.TimedOut
        Stdout       = $stdout
        Stderr       = $stderr
        Output       = $stdout + $stderr
        Fields       = $fields
        StageBefore  = $fields['stage_before']
        StageAfter   = $fields['stage_after']
        Transitioned = $transitioned
        Message      = $fields['message']
    }
}

function Invoke-AutolabPython {
    # Runs a python3 script (text) with autolab's source on PYTHONPATH and JSON on stdin; returns stdout.
    param([Parameter(Mandatory)] [string] $Script, [string] $InputJson = '{}', [string[]] $Argument = @())
    $psi = [Diagnostics.ProcessStartInfo]::new((Get-AutolabPython))
    foreach ($a in @('-c', $Script) + $Argument) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $psi.Environment['PYTHONPATH'] = Get-AutolabSourcePath
    $psi.Environment['PYTHONDONTWRITEBYTECODE'] = '1'
    $process = [Diagnostics.Process]::Start($psi)
    $stdoutTask = $process.StandardOutput.ReadToEndAsync()
    $stderrTask = $process.StandardError.ReadToEndAsync()
    $process.StandardInput.Write($InputJson)
    $process.StandardInput.Close()
    if (-not $process.WaitForExit(60000)) { $process.Kill($true); throw 'python3 did not finish within 60 s.' }
    if ($process.ExitCode -ne 0) { throw "python3 failed (exit code $($process.ExitCode)): $($stderrTask.Result)" }
    return $stdoutTask.Result
}

function Update-AutolabYaml {
    <#
    .SYNOPSIS
        Sets keys (dotted paths) in a YAML mapping file autolab reads, keeping its mode.
    .DESCRIPTION
        `autolab init` writes .autolab/verifier_policy.yaml read-only (0444): the new text goes to a temp
        file in the same folder that gets the original mode and then replaces the file by rename, so the
        mode is kept and no write bit is needed. Values are written as given (strings, numbers, booleans,
        lists, maps); a $null value removes the key. Keys not named keep their values and order (comments
        are not kept; the files init writes have none).
    .EXAMPLE
        Update-AutolabYaml -Path $policy -Setting @{ 'slurm.monitor.poll_timeout_seconds' = 10 }
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Setting
    )
    if (-not (Test-Path -LiteralPath $Path)) { throw "No YAML file at '$Path'." }
    $script = @'
import json, os, sys, tempfile, yaml
path = sys.argv[1]
settings = json.load(sys.stdin)
with open(path, encoding="utf-8") as handle:
    document = yaml.safe_load(handle) or {}
for dotted, value in settings.items():
    keys = dotted.split(".")
    node = document
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    if value is None:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
mode = os.stat(path).st_mode & 0o7777
fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
with os.fdopen(fd, "w", encoding="utf-8") as handle:
    yaml.safe_dump(document, handle, sort_keys=False, allow_unicode=True)
os.chmod(temp, mode)
os.replace(temp, path)
'@
    $json = ConvertTo-Json -InputObject $Setting -Depth 20 -Compress
    $null = Invoke-AutolabPython -Script $script -InputJson $json -Argument @((Resolve-Path -LiteralPath $Path).Path)
}

function Set-AutolabPolicy {
    <#
    .SYNOPSIS
        Sets keys (dotted paths) in a repository's .autolab/verifier_policy.yaml (read-only after init: handled).
    .EXAMPLE
        Set-AutolabPolicy -RepositoryRoot $root -Setting @{ 'retry_policy_by_stage.slurm_monitor.max_retries' = 3 }
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Setting
    )
    Update-AutolabYaml -Path (Join-Path $RepositoryRoot '.autolab/verifier_policy.yaml') -Setting $Setting
}

function Set-AutolabMonitorTemplate {
    <#
    .SYNOPSIS
        Writes autolab's two slurm_monitor hooks (`slurm.monitor.poll_command_template`,
        `sync_command_template`) and, when given, their timeouts into verifier_policy.yaml.
    .DESCRIPTION
        An empty template turns that hook off (autolab strips the value; both empty = autolab's
        no-progress guard applies). Templates are argv, not shell: autolab substitutes `{job_id} {run_id}
        {iteration_id} {iteration_path} {run_dir} {repo_root}` (each shlex-quoted, so leave them unquoted),
        then refuses the command if any of | & ; < > ( ) $ or a backtick appears anywhere in it, paths
        included; the program is found on PATH or taken relative to the repository root (autolab's cwd).
        This refuses such a template (or repository path) before autolab would, with the reason.
    .PARAMETER PollTimeoutSec
        `slurm.monitor.poll_timeout_seconds` (autolab's default 30; <= 0 means the default).
    .PARAMETER SyncTimeoutSec
        `slurm.monitor.sync_timeout_seconds` (autolab's default 180; <= 0 means the default).
    .EXAMPLE
        Set-AutolabMonitorTemplate -RepositoryRoot $root -Poll "/bin/sh $poll {job_id} {run_dir}" -Sync "/bin/sh $sync {run_dir}"
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [AllowEmptyString()] [string] $Poll = '',
        [AllowEmptyString()] [string] $Sync = '',
        [double] $PollTimeoutSec,
        [double] $SyncTimeoutSec
    )
    foreach ($pair in @(@('poll', $Poll), @('sync', $Sync), @('repository path', $RepositoryRoot))) {
        if ($pair[1] -match $script:ShellMetaPattern) {
            throw "The $($pair[0]) '$($pair[1])' holds '$($Matches[0])', which autolab refuses in a monitor command (| & ; < > ( ) `$ and backtick): use an argv-only command and a path without them."
        }
    }
    $setting = [ordered]@{
        'slurm.monitor.poll_command_template' = $Poll
        'slurm.monitor.sync_command_template' = $Sync
    }
    if ($PSBoundParameters.ContainsKey('PollTimeoutSec')) { $setting['slurm.monitor.poll_timeout_seconds'] = $PollTimeoutSec }
    if ($PSBoundParameters.ContainsKey('SyncTimeoutSec')) { $setting['slurm.monitor.sync_timeout_seconds'] = $SyncTimeoutSec }
    Set-AutolabPolicy -RepositoryRoot $RepositoryRoot -Setting $setting
}

function Read-JsonFile([string] $Path) {
    Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json -AsHashtable -DateKind String
}

function Write-JsonFile([string] $Path, $Value) {
    # Like autolab's own writer (json.dumps indent=2 plus a newline), replaced atomically.
    $temp = Join-Path (Split-Path $Path) ('.tmp-' + [guid]::NewGuid().ToString('N'))
    [IO.File]::WriteAllText($temp, ($Value | ConvertTo-Json -Depth 30) + "`n")
    Move-Item -LiteralPath $temp -Destination $Path -Force
}

function Get-AutolabState {
    <#
    .SYNOPSIS
        The repository's .autolab/state.json as an ordered hashtable (dates stay text).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $RepositoryRoot)
    Read-JsonFile (Join-Path $RepositoryRoot '.autolab/state.json')
}

function Set-AutolabState {
    <#
    .SYNOPSIS
        Sets top-level keys of .autolab/state.json (others kept, in order); a $null value removes the key.
    .EXAMPLE
        Set-AutolabState -RepositoryRoot $root -Setting @{ stage = 'slurm_monitor'; last_run_id = 'run_001' }
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Setting
    )
    $path = Join-Path $RepositoryRoot '.autolab/state.json'
    $state = Read-JsonFile $path
    foreach ($key in $Setting.Keys) {
        if ($null -eq $Setting[$key]) { $state.Remove($key) } else { $state[$key] = $Setting[$key] }
    }
    Write-JsonFile $path $state
}

function Get-AutolabIterationDirectory {
    <#
    .SYNOPSIS
        experiments/<type>/<iteration_id> of the state's iteration: the first that exists of plan,
        in_progress, done (autolab's order when the backlog names no type), else plan.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $RepositoryRoot, [string] $IterationId)
    if (-not $IterationId) { $IterationId = (Get-AutolabState -RepositoryRoot $RepositoryRoot).iteration_id }
    foreach ($type in 'plan', 'in_progress', 'done') {
        $candidate = Join-Path $RepositoryRoot "experiments/$type/$IterationId"
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    return (Join-Path $RepositoryRoot "experiments/plan/$IterationId")
}

function Get-AutolabLedgerLine {
    <#
    .SYNOPSIS
        The ledger line autolab itself builds for a manifest (its canonical_slurm_job_bullet), so a test
        compares with autolab's rule rather than with a copy of it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $ManifestPath)
    $script = 'import json, sys; from autolab.slurm_job_list import canonical_slurm_job_bullet; print(canonical_slurm_job_bullet(json.load(open(sys.argv[1], encoding="utf-8"))))'
    return (Invoke-AutolabPython -Script $script -Argument @($ManifestPath)).TrimEnd("`r", "`n")
}

function Get-AutolabRun {
    <#
    .SYNOPSIS
        One run of the repository: RunId, IterationId, RunDirectory, ManifestPath, Manifest (hashtable or
        $null), JobId (autolab's polling order: job_id, slurm.job_id, resource_request.job_id,
        resource_request.slurm.job_id), Status, SyncStatus and LedgerLines (the ledger lines whose
        `run_id=` and `iteration_id=` tokens are exactly this run's).
    .PARAMETER RunId
        Default: the state's pending_run_id, else last_run_id (the run autolab's monitor takes).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $RepositoryRoot, [string] $RunId)
    $state = Get-AutolabState -RepositoryRoot $RepositoryRoot
    if (-not $RunId) { $RunId = if ($state.pending_run_id) { $state.pending_run_id } else { $state.last_run_id } }
    if (-not $RunId) { throw "The state in '$RepositoryRoot' names no run (pending_run_id and last_run_id are empty)." }
    $runDirectory = Join-Path (Get-AutolabIterationDirectory -RepositoryRoot $RepositoryRoot -IterationId $state.iteration_id) "runs/$RunId"
    $manifestPath = Join-Path $runDirectory 'run_manifest.json'
    $manifest = if (Test-Path -LiteralPath $manifestPath) { Read-JsonFile $manifestPath } else { $null }
    $jobId = $null
    $syncStatus = $null
    if ($manifest) {
        $candidates = @(
            $manifest['job_id'],
            $(if ($manifest['slurm'] -is [System.Collections.IDictionary]) { $manifest['slurm']['job_id'] }),
            $(if ($manifest['resource_request'] -is [System.Collections.IDictionary]) { $manifest['resource_request']['job_id'] }),
            $(if ($manifest['resource_request'] -is [System.Collections.IDictionary] -and $manifest['resource_request']['slurm'] -is [System.Collections.IDictionary]) { $manifest['resource_request']['slurm']['job_id'] })
        )
        $jobId = $candidates | Where-Object { "$_".Trim() } | Select-Object -First 1
        if ($manifest['artifact_sync_to_local'] -is [System.Collections.IDictionary]) { $syncStatus = $manifest['artifact_sync_to_local']['status'] }
    }
    $ledgerPath = Join-Path $RepositoryRoot 'docs/slurm_job_list.md'
    $lines = @()
    if (Test-Path -LiteralPath $ledgerPath) {
        $runToken = '| run_id=' + $RunId
        $iterationToken = '| iteration_id=' + $state.iteration_id
        $lines = @(Get-Content -LiteralPath $ledgerPath | Where-Object {
                ($_ + ' |').Contains($runToken + ' |') -and ($_ + ' |').Contains($iterationToken + ' |')
            })
    }
    [pscustomobject]@{
        PSTypeName   = 'AutolabTest.Run'
        RunId        = $RunId
        IterationId  = $state.iteration_id
        RunDirectory = $runDirectory
        ManifestPath = $manifestPath
        Manifest     = $manifest
        JobId        = $(if ($null -ne $jobId) { "$jobId" })
        Status       = $(if ($manifest) { $manifest['status'] })
        SyncStatus   = $syncStatus
        LedgerLines  = $lines
    }
}

function Test-AutolabLedger {
    <#
    .SYNOPSIS
        Runs `autolab slurm-job-list verify --manifest <run manifest> --doc docs/slurm_job_list.md` and
        reports Passed (exit code 0 and a PASS line), ExitCode, Output, Actual (the run's lines in the
        ledger) and, when it did not pass, Expected (autolab's line for the manifest), so a failure
        message can show both.
    .DESCRIPTION
        autolab's verify passes when some line of the ledger, stripped, equals the line autolab builds
        from the current manifest (status included); a FAIL goes to stdout with exit code 1; a manifest
        that is not a SLURM run passes ("verify skipped").
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $RepositoryRoot,
        [string] $RunId,
        [string] $ManifestPath
    )
    if (-not $ManifestPath) { $ManifestPath = (Get-AutolabRun -RepositoryRoot $RepositoryRoot -RunId $RunId).ManifestPath }
    $result = Invoke-Autolab -RepositoryRoot $RepositoryRoot -TimeoutSec 60 slurm-job-list verify --manifest $ManifestPath --doc docs/slurm_job_list.md
    $passed = $result.ExitCode -eq 0 -and $result.Stdout -match 'autolab slurm-job-list: PASS'
    $runId = (Read-JsonFile $ManifestPath)['run_id']
    $expected = if ($passed) { $null } else {
        try { Get-AutolabLedgerLine -ManifestPath $ManifestPath } catch { "(autolab builds no line: $_)" }
    }
    $actual = @((Get-AutolabRun -RepositoryRoot $RepositoryRoot -RunId $runId).LedgerLines)
    [pscustomobject]@{
        PSTypeName = 'AutolabTest.LedgerCheck'
        Passed     = $passed
        ExitCode   = $result.ExitCode
        Output     = $result.Output.Trim()
        Expected   = $expected
        Actual     = $actual
    }
}

function Invoke-AutolabLaunch {
    <#
    .SYNOPSIS
        Runs `autolab run` at stage launch (autolab's own sbatch submission) and returns the run it made.
    .DESCRIPTION
        autolab picks the run id itself (`<UTC yyyyMMddTHHmmssZ>_<6 hex>`, replicates `<id>_r1..rN`),
        submits `sbatch --export=ALL,RUN_ID=..,AUTOLAB_RUN_ID=..,AUTOLAB_ITERATION_ID=.. launch/run_slurm.sbatch`
        from the iteration folder, writes the manifest (status submitted, sync pending) and appends the
        ledger line, then moves the stage to slurm_monitor. Throws with autolab's output unless that happened.
        Returns the base run (Get-AutolabRun) plus Result (the autolab run), RunGroup and JobIds (all
        jobs submitted: the replicates' for a run group).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $RepositoryRoot, [int] $TimeoutSec = 120)
    $stage = (Get-AutolabState -RepositoryRoot $RepositoryRoot).stage
    if ($stage -ne 'launch') { throw "The state in '$RepositoryRoot' is at stage '$stage', not launch." }
    $result = Invoke-Autolab -RepositoryRoot $RepositoryRoot -TimeoutSec $TimeoutSec run --no-run-agent
    if ($result.ExitCode -ne 0 -or $result.StageAfter -ne 'slurm_monitor') {
        throw "autolab's launch did not reach slurm_monitor (exit code $($result.ExitCode)):`n$($result.Output)"
    }
    $state = Get-AutolabState -RepositoryRoot $RepositoryRoot
    $run = Get-AutolabRun -RepositoryRoot $RepositoryRoot
    $group = @($state['run_group'] | Where-Object { $_ })
    $jobIds = if ($group.Count -gt 0) {
        @($group | ForEach-Object { (Get-AutolabRun -RepositoryRoot $RepositoryRoot -RunId $_).JobId })
    }
    else { @($run.JobId) }
    $run | Add-Member -NotePropertyMembers ([ordered]@{ Result = $result; RunGroup = $group; JobIds = $jobIds }) -PassThru
}

function Initialize-GitRepository([string] $Path) {
    # Its own repository, so every git call autolab makes (auto-commit, workspace revision) stays inside.
    $null = & git -C $Path init -q 2>&1
    if ($LASTEXITCODE -ne 0) { throw "git init '$Path' failed (exit code $LASTEXITCODE)." }
    $null = & git -C $Path config user.email 'autolab-test@localhost'
    $null = & git -C $Path config user.name 'autolab test'
}

function New-AutolabInitializedDirectory {
    # A new temp git repository with `autolab init --no-interactive` and the edits every test repository
    # gets (policy: no commits, no LLM summary, no agent; both launch scripts left to launch to generate;
    # review_result.json passing).
    param([int] $TimeoutSec = 120)
    $root = New-TestDirectory
    Initialize-GitRepository $root
    $init = Invoke-Autolab -RepositoryRoot $root -TimeoutSec $TimeoutSec init --no-interactive
    if ($init.ExitCode -ne 0) { throw "autolab init in '$root' failed (exit code $($init.ExitCode)):`n$($init.Output)" }
    Set-AutolabPolicy -RepositoryRoot $root -Setting ([ordered]@{
            'autorun.auto_commit.mode'     = 'disabled'
            'extract_results.summary.mode' = 'none'
            'agent_runner.enabled'         = $false
        })
    $iterationDir = Get-AutolabIterationDirectory -RepositoryRoot $root
    foreach ($placeholder in 'launch/run_local.sh', 'launch/run_slurm.sbatch') {
        Remove-Item -LiteralPath (Join-Path $iterationDir $placeholder) -Force -ErrorAction SilentlyContinue
    }
    $reviewPath = Join-Path $iterationDir 'review_result.json'
    $review = Read-JsonFile $reviewPath
    foreach ($check in @($review.required_checks.Keys)) { $review.required_checks[$check] = 'pass' }
    Write-JsonFile $reviewPath $review
    return $root
}

function Get-AutolabInitTemplate {
    # The cached New-AutolabInitializedDirectory of this session (removed with the module).
    param([int] $TimeoutSec = 120)
    if (-not $script:InitTemplate -or -not (Test-Path -LiteralPath (Join-Path $script:InitTemplate '.autolab/state.json'))) {
        $script:InitTemplate = New-AutolabInitializedDirectory -TimeoutSec $TimeoutSec
    }
    return $script:InitTemplate
}

function New-AutolabTestRepository {
    <#
    .SYNOPSIS
        A fresh temp repository made by the real `autolab init`, edited so that `autolab run` drives the
        SLURM stages deterministically on the local test cluster, with the state at stage launch.
    .DESCRIPTION
        Steps (each one is what autolab's own code requires):
        - a new directory (/tmp), `git init` with a local identity, so every git call autolab makes
          (auto-commit, workspace revision) stays inside it; `autolab init --no-interactive` (run once per
          session into a template that is copied: inits differ only in timestamps);
        - policy: `autorun.auto_commit.mode: disabled` (no commits), `extract_results.summary.mode: none`
          (no LLM summary should a test go that far), agent_runner stays disabled (launch and
          slurm_monitor bypass it anyway; Invoke-AutolabLaunch also passes --no-run-agent);
        - design.yaml (schema-valid): `compute.location: slurm`, a small walltime and memory (the node has
          ~21 GB; the scaffold's 64GB would be refused), `entrypoint.cli` = -JobCommand (the line autolab
          puts at the end of its generated launch/run_slurm.sbatch; it runs in the iteration folder
          with RUN_ID and RUN_DIR=runs/<run_id> set), `replicates.count` when -Replicates > 1;
        - the scaffold's placeholder launch scripts removed, so launch generates both from the design;
        - review_result.json: every required check `pass` (launch's gate checks the checks the
          implementation_review policy requires, and the scaffold leaves env_smoke/docs_target_update `skip`);
        - .autolab/remote_profiles.yaml with a `shared_fs` default profile: on a host where sinfo/squeue/
          sbatch answer, launch refuses to submit without a compatible profile, and shared_fs means plain
          local sbatch;
        - state.json: stage launch (Invoke-AutolabLaunch then lets autolab's launch submit the job(s)).
    .OUTPUTS
        RepositoryRoot, IterationId, IterationDirectory, StatePath, PolicyPath, LedgerPath, and RunId,
        RunDirectory, ManifestPath, JobId, RunGroup, JobIds left empty for the caller to fill from
        Invoke-AutolabLaunch's result (Remove-AutolabTestRepository cancels the JobIds).
    .EXAMPLE
        $repo = New-AutolabTestRepository -JobCommand 'echo ok > "${RUN_DIR}/result.txt"'
        $run = Invoke-AutolabLaunch -RepositoryRoot $repo.RepositoryRoot
    #>
    [CmdletBinding()]
    param(
        [string] $JobCommand = 'echo done > "${RUN_DIR}/result.txt"',
        [ValidatePattern('^\d{2}:\d{2}:\d{2}$')] [string] $Walltime = '00:01:00',
        [ValidatePattern('^\d+[KMGT]?B$')] [string] $Memory = '100MB',
        [ValidateRange(1, 100)] [int] $Replicates = 1,
        [System.Collections.IDictionary] $Policy = @{},
        [int] $TimeoutSec = 120
    )
    # A copy of a cached `autolab init` (+ the fixed edits): init is the slowest step, and two inits
    # of the same autolab differ only in timestamps (todo_state.json, todo_focus.json, the log).
    $template = Get-AutolabInitTemplate -TimeoutSec $TimeoutSec
    $root = New-TestDirectory
    foreach ($item in Get-ChildItem -LiteralPath $template -Force) {
        if ($item.Name -ne '.git') { Copy-Item -LiteralPath $item.FullName -Destination $root -Recurse -Force }
    }
    Initialize-GitRepository $root
    if ($root -match $script:ShellMetaPattern) { throw "The temp path '$root' holds '$($Matches[0])', which autolab refuses in monitor commands: set TMPDIR to a plain path." }

    $state = Get-AutolabState -RepositoryRoot $root
    $iterationId = $state.iteration_id
    $iterationDir = Get-AutolabIterationDirectory -RepositoryRoot $root -IterationId $iterationId
    if ($Policy.Count -gt 0) { Set-AutolabPolicy -RepositoryRoot $root -Setting $Policy }

    $design = [ordered]@{
        'entrypoint' = [ordered]@{ module = 'autolab_test_job'; cli = $JobCommand }
        'compute'    = [ordered]@{ location = 'slurm'; walltime_estimate = $Walltime; memory_estimate = $Memory; gpu_count = 0 }
        'replicates' = $(if ($Replicates -gt 1) { [ordered]@{ count = $Replicates } } else { $null })
    }
    Update-AutolabYaml -Path (Join-Path $iterationDir 'design.yaml') -Setting $design
    $profiles = "schema_version: `"1.0`"`ndefault_profile: local`nprofiles:`n  local:`n    mode: shared_fs`n    remote_repo_root: `"$root`"`n"
    [IO.File]::WriteAllText((Join-Path $root '.autolab/remote_profiles.yaml'), $profiles)
    Set-AutolabState -RepositoryRoot $root -Setting @{ stage = 'launch' }

    [pscustomobject]@{
        PSTypeName         = 'AutolabTest.Repository'
        RepositoryRoot     = $root
        IterationId        = $iterationId
        IterationDirectory = $iterationDir
        StatePath          = Join-Path $root '.autolab/state.json'
        PolicyPath         = Join-Path $root '.autolab/verifier_policy.yaml'
        LedgerPath         = Join-Path $root 'docs/slurm_job_list.md'
        RunId              = $null
        RunDirectory       = $null
        ManifestPath       = $null
        JobId              = $null
        RunGroup           = @()
        JobIds             = @()
    }
}

function New-RestrictedPathDirectory {
    <#
    .SYNOPSIS
        A directory of symbolic links to every executable on PATH except the commands named, to use as
        the whole PATH of autolab (and so of its hooks): a scheduler whose commands are absent.
    .DESCRIPTION
        The Slurm commands live in /usr/bin beside git, sh and everything else autolab and a hook need, so
        dropping a folder from PATH is not an option. The first executable of each name wins, as on PATH.
        Remove the directory when done.
    .EXAMPLE
        $path = New-RestrictedPathDirectory -Exclude sacct, squeue, sinfo, sbatch
        Invoke-Autolab -RepositoryRoot $root -Environment @{ PATH = $path } run
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string[]] $Exclude)
    $directory = New-TestDirectory
    $seen = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
    foreach ($name in $Exclude) { $null = $seen.Add($name) }
    $executeBits = [IO.UnixFileMode]::UserExecute -bor [IO.UnixFileMode]::GroupExecute -bor [IO.UnixFileMode]::OtherExecute
    foreach ($folder in ($env:PATH -split [IO.Path]::PathSeparator)) {
        if (-not $folder -or -not [IO.Directory]::Exists($folder)) { continue }
        foreach ($file in [IO.Directory]::EnumerateFiles($folder)) {
            $name = [IO.Path]::GetFileName($file)
            if ($seen.Contains($name)) { continue }
            try { if (([IO.File]::GetUnixFileMode($file) -band $executeBits) -eq 0) { continue } } catch { continue }
            $null = $seen.Add($name)
            $null = [IO.File]::CreateSymbolicLink((Join-Path $directory $name), $file)
        }
    }
    return $directory
}

function Remove-AutolabTestRepository {
    <#
    .SYNOPSIS
        Cancels the repository's jobs that may still run (scancel; finished ids are fine) and deletes it.
    #>
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)] [object] $Repository)
    process {
        if (-not $Repository) { return }
        Stop-TestSlurmJob -JobId @($Repository.JobIds)
        if ($Repository.RepositoryRoot -and (Test-Path -LiteralPath $Repository.RepositoryRoot)) {
            Remove-Item -LiteralPath $Repository.RepositoryRoot -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

Export-ModuleMember -Function Get-AutolabSourcePath, Get-AutolabPython, Invoke-Autolab, Update-AutolabYaml, Set-AutolabPolicy,
    Set-AutolabMonitorTemplate, Get-AutolabState, Set-AutolabState, Get-AutolabIterationDirectory,
    Get-AutolabLedgerLine, Get-AutolabRun, Test-AutolabLedger, Invoke-AutolabLaunch, New-AutolabTestRepository,
    New-RestrictedPathDirectory, Remove-AutolabTestRepository
