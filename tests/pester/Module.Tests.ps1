#Requires -Version 7.4
BeforeDiscovery {
    # The documented surface (interface.md): the export list must be exactly this.
    $script:expectedCmdlets = @('Get-SlurmJobState', 'Sync-RunArtifacts', 'Update-RunManifest', 'Update-SlurmJobList',
        'New-SlurmMonitorPass', 'Complete-SlurmMonitorPass', 'Set-SlurmMonitorHook')
    $script:expectedFunctions = @('Invoke-SlurmMonitorStage')
    $script:commandCases = @($expectedCmdlets + $expectedFunctions | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    $script:module = Get-Module Autolab.Slurm
}

Describe 'The module manifest' {
    It 'exports exactly the documented commands' -ForEach @(@{ Cmdlets = $expectedCmdlets; Functions = $expectedFunctions }) {
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($Cmdlets | Sort-Object)
        @($module.ExportedFunctions.Keys | Sort-Object) | Should -Be @($Functions | Sort-Object)
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It 'declares Core edition and PowerShell 7.4, matching net8.0' {
        $data = Import-PowerShellDataFile -LiteralPath $env:AUTOLAB_SLURM_MODULE
        $data.CompatiblePSEditions | Should -Be @('Core')
        $data.PowerShellVersion | Should -Be '7.4'
        $data.CmdletsToExport | Should -Not -Contain '*'
        $data.FunctionsToExport | Should -Not -Contain '*'
    }

    It 'ships the cold path precompiled (ReadyToRun) and still targeting net8.0' -ForEach @(
        @{ Assembly = 'Autolab.Slurm.Core.dll' }, @{ Assembly = 'NJsonSchema.dll' }, @{ Assembly = 'Namotion.Reflection.dll' }) {
        $path = Join-Path $module.ModuleBase $Assembly
        $stream = [IO.File]::OpenRead($path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size | Should -BeGreaterThan 0 -Because "$Assembly should carry ReadyToRun code (build.ps1's Use-ReadyToRun)"
        }
        finally { $stream.Dispose() }
        if ($Assembly -eq 'Autolab.Slurm.Core.dll') {
            $loaded = [Autolab.Slurm.Models.SlurmJobState].Assembly
            $loaded.Location | Should -Be $path
            $framework = $loaded.GetCustomAttributes([Runtime.Versioning.TargetFrameworkAttribute], $false)[0].FrameworkName
            $framework | Should -Be '.NETCoreApp,Version=v8.0' -Because 'pwsh 7.4 runs on .NET 8'
        }
    }

    It 'loads its model types for scripts: <Name> resolves by name from the Core assembly' -ForEach @(
        @{ Name = 'Autolab.Slurm.Models.SlurmJobState' }, @{ Name = 'Autolab.Slurm.Models.RunManifestUpdate' },
        @{ Name = 'Autolab.Slurm.Models.ArtifactSyncResult' }, @{ Name = 'Autolab.Slurm.Models.JobListEntry' },
        @{ Name = 'Autolab.Slurm.Models.MonitorStageResult' }, @{ Name = 'Autolab.Slurm.Stage.MonitorPass' }) {
        # -as returns $null (rather than throwing) for a name that does not resolve, so this can fail.
        $type = $Name -as [type]
        $type | Should -Not -BeNullOrEmpty -Because "scripts name $Name in casts and parameter types"
        $type.Assembly.GetName().Name | Should -Be 'Autolab.Slurm.Core'
    }
}

Describe 'Help' {
    It '<Name> has a synopsis, a description and at least two examples' -ForEach $commandCases {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*(Get|Update|Sync|Invoke|New|Complete|Set)-' # an auto-generated synopsis is just the syntax
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every parameter of <Name>' -ForEach $commandCases {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $parameters = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($parameter in $parameters) {
            $parameterHelp = Get-Help $Name -Parameter $parameter
            ($parameterHelp.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
    }

    It 'ships the about topic' {
        (Get-Help about_Autolab.Slurm | Out-String) | Should -Match 'slurm_monitor'
    }
}

Describe 'Format views' {
    It 'has a default table view for <TypeName>' -ForEach @(
        @{ TypeName = 'Autolab.Slurm.Models.SlurmJobState' }
        @{ TypeName = 'Autolab.Slurm.Models.RunManifestUpdate' }
        @{ TypeName = 'Autolab.Slurm.Models.JobListEntry' }
        @{ TypeName = 'Autolab.Slurm.Models.ArtifactSyncResult' }
        @{ TypeName = 'Autolab.Slurm.MonitorStageResult' }
        @{ TypeName = 'Autolab.Slurm.Stage.MonitorPass' }
    ) {
        $format = Get-FormatData -TypeName $TypeName
        $format | Should -Not -BeNullOrEmpty
        $format.FormatViewDefinition.Control | Should -BeOfType ([System.Management.Automation.TableControl])
        $format.FormatViewDefinition.Control.Headers.Count | Should -BeLessOrEqual 8
    }
}

Describe 'Error ids in the help' {
    BeforeAll {
        # The module's own ids: the constants of Autolab.Slurm.Errors.ErrorIds (every error the module writes takes its id from there).
        $script:codeIds = @([Autolab.Slurm.Errors.ErrorIds].GetFields([Reflection.BindingFlags] 'Public, Static') |
                Where-Object IsLiteral | ForEach-Object { $_.GetRawConstantValue() } | Sort-Object)
        $script:docs = Join-Path $PSScriptRoot '../../docs'
    }

    It 'knows the module''s ids by reflection (the test itself can fail)' {
        $codeIds.Count | Should -BeGreaterThan 30
        $codeIds | Should -Contain 'ManifestNotFound'
        $codeIds | Should -Contain 'FileAccessDenied'
    }

    It 'about_Autolab.Slurm, as Get-Help shows it, lists every id once with one line of meaning, and nothing else' {
        $text = (Get-Help about_Autolab.Slurm | Out-String) -replace "`r", ''
        $section = [regex]::Match($text, '(?ms)^\s*Errors\s*$(.*?)^\S').Groups[1].Value
        $section | Should -Not -BeNullOrEmpty -Because 'the about topic has an Errors section'
        $listed = @([regex]::Matches($section, '(?m)^\s*- ([A-Za-z]+): (\S.*)$') | ForEach-Object { $_.Groups[1].Value })
        @($listed | Group-Object | Where-Object Count -gt 1 | ForEach-Object Name) | Should -BeNullOrEmpty -Because 'each id is listed once'
        @($listed | Sort-Object) | Should -Be $codeIds
    }

    It 'points to nothing that does not ship with the module' {
        $text = Get-Help about_Autolab.Slurm | Out-String
        $text | Should -Not -Match 'interface\.md|autolab-contract\.md|slurm-facts\.md|STYLE\.md|README'
    }

    It '<Page>: its "Error ids:" line names only ids the module has' -ForEach @(
        Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot '../../docs') -Filter '*.md' |
            Where-Object { (Get-Content -LiteralPath $_.FullName -Raw) -match '(?m)^(Terminating e|E)rror ids: ' } |
            ForEach-Object { @{ Page = $_.Name; Path = $_.FullName } }
    ) {
        $line = @(Get-Content -LiteralPath $Path | Where-Object { $_ -match '^(Terminating e|E)rror ids: ' })[0]
        # The list runs to the first full stop; what follows is prose, and so is a remark in parentheses.
        $list = ($line -replace '^(Terminating e|E)rror ids: ', '') -replace '\. .*$', '' -replace '\.$', '' -replace '\s*\([^)]*\)', ''
        $named = @($list -split ',\s*')
        $named.Count | Should -BeGreaterThan 0
        foreach ($id in $named) { $codeIds | Should -Contain $id -Because "$Page names '$id'" }
    }
}
