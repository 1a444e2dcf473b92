#Requires -Version 7.4
BeforeAll {
    Import-Module $env:AUTOLAB_SLURM_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'Update-RunManifest' {
    BeforeEach {
        $script:repo = New-TestRepository
        $script:manifest = New-TestManifest -RepositoryRoot $repo
    }
    AfterEach {
        Get-ChildItem -LiteralPath $repo -Recurse -File | ForEach-Object { $_.UnixFileMode = 'UserRead, UserWrite' }
        Remove-Item -LiteralPath $repo -Recurse -Force
    }

    It 'writes an explicit status and reports the change' {
        $update = Update-RunManifest -Path $manifest -Status running -PassThru
        $update | Should -BeOfType ([Autolab.Slurm.Models.RunManifestUpdate])
        $update.PreviousStatus | Should -Be 'submitted'
        $update.Status | Should -Be 'running'
        $update.Changed | Should -BeTrue
        $update.RunId | Should -Be 'run_001'
        $update.JobId | Should -Be '12345'
        (Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json).status | Should -Be 'running'
    }

    It 'writes 2-space JSON with one trailing newline and no BOM' {
        Update-RunManifest -Path $manifest -Status running
        $bytes = [IO.File]::ReadAllBytes($manifest)
        $bytes[0] | Should -Be ([byte][char]'{')
        $text = [Text.Encoding]::UTF8.GetString($bytes)
        $text | Should -Match '\n  "schema_version": "1.0",\n'
        $text.EndsWith("}`n") | Should -BeTrue
        $text.EndsWith("`n`n") | Should -BeFalse
    }

    It 'fills completed_at when -Status makes the run terminal' {
        Update-RunManifest -Path $manifest -Status failed
        $json = Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
        $json.timestamps.completed_at | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $json.completed_at | Should -Be $json.timestamps.completed_at
    }

    It 'does not rewrite a file when nothing changes' {
        Update-RunManifest -Path $manifest -Status running
        $before = Get-Item -LiteralPath $manifest
        $hash = Get-FileHashText $manifest
        Start-Sleep -Milliseconds 20
        $update = Update-RunManifest -Path $manifest -Status running -PassThru
        $update.Changed | Should -BeFalse
        Get-FileHashText $manifest | Should -Be $hash
        (Get-Item -LiteralPath $manifest).LastWriteTimeUtc | Should -Be $before.LastWriteTimeUtc
    }

    It 'changes nothing under -WhatIf' {
        $hash = Get-FileHashText $manifest
        $output = Update-RunManifest -Path $manifest -Status failed -WhatIf -PassThru
        $output | Should -BeNullOrEmpty
        Get-FileHashText $manifest | Should -Be $hash
    }

    It 'writes the canonical word for a sync synonym' {
        Update-RunManifest -Path $manifest -SyncStatus success
        (Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json).artifact_sync_to_local.status | Should -Be 'ok'
    }

    It 'applies a job state piped in by value, with -Path by property name' {
        $state = [Autolab.Slurm.Models.SlurmJobState]@{
            JobId = '12345'; State = 'RUNNING'; RawState = 'RUNNING'; Status = 'running'; Source = 'sacct'
            ManifestPath = $manifest; ObservedAt = [DateTimeOffset]::UtcNow
        }
        $update = $state | Update-RunManifest -PassThru
        $update.Status | Should -Be 'running'
        $json = Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json
        $json.slurm.state | Should -Be 'RUNNING'
        $json.slurm.source | Should -Be 'sacct'
    }

    It 'keeps unowned values byte-for-byte' {
        $text = (Get-Content -LiteralPath $manifest -Raw).TrimEnd() -replace '\}$', ",`n  `"ratio`": 1.0,`n  `"label`": `"caf\u00e9 & <b> +1 é`"`n}`n"
        [IO.File]::WriteAllText($manifest, $text)
        Update-RunManifest -Path $manifest -Status running
        $after = Get-Content -LiteralPath $manifest -Raw
        $after | Should -Match '"ratio": 1\.0,'
        $after | Should -Match ([regex]::Escape('"label": "caf\u00e9 & <b> +1 é"'))
    }

    Context 'bad input' {
        It 'reports ManifestNotFound for a missing file' {
            Update-RunManifest -Path (Join-Path $repo 'missing.json') -Status running -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound,*'
            $err[0].Exception.Message | Should -Match 'missing\.json'
        }

        It 'reports ManifestInvalidJson for <Case> and leaves the file alone' -ForEach @(
            @{ Case = 'broken JSON'; Text = '{"run_id": "run_001",' }
            @{ Case = 'a JSON array'; Text = '[1, 2, 3]' }
        ) {
            [IO.File]::WriteAllText($manifest, $Text)
            $hash = Get-FileHashText $manifest
            Update-RunManifest -Path $manifest -Status running -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ManifestInvalidJson,*'
            $err[0].Exception.Message | Should -Match 'run_manifest\.json'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'refuses a result that breaks the schema (<Case>) and leaves the file byte-for-byte' -ForEach @(
            @{ Case = 'schema_version const'; Edit = { param($j) $j.schema_version = '2.0' }; Apply = @{ Status = 'running' } }
            @{ Case = 'SLURM job id required'; Edit = { param($j) $j.Remove('job_id'); $j.Remove('slurm'); $j.resource_request.Remove('job_id'); $j.resource_request.Remove('slurm') }; Apply = @{ Status = 'running' } }
            @{ Case = 'completed needs completed_at'; Edit = { param($j) $j.status = 'completed' }; Apply = @{ SyncStatus = 'failed' } }
        ) {
            $json = Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            & $Edit $json
            [IO.File]::WriteAllText($manifest, ($json | ConvertTo-Json -Depth 10))
            $hash = Get-FileHashText $manifest
            Update-RunManifest -Path $manifest @Apply -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ManifestSchemaViolation,*'
            $err[0].Exception.Message | Should -Match 'run_manifest\.json'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'validates against the repository schema when it has one' {
            $schema = Join-Path $repo '.autolab/schemas/run_manifest.schema.json'
            $strict = Get-Content -LiteralPath $schema -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $strict.properties.status.enum = @('submitted', 'pending')
            [IO.File]::WriteAllText($schema, ($strict | ConvertTo-Json -Depth 20))
            Update-RunManifest -Path $manifest -Status running -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ManifestSchemaViolation,*'
        }

        It 'refuses a schema keyword it cannot enforce' {
            $schema = Join-Path $repo '.autolab/schemas/run_manifest.schema.json'
            $json = Get-Content -LiteralPath $schema -Raw | ConvertFrom-Json -AsHashtable -DateKind String
            $json.dependentRequired = @{ job_id = @('slurm') }
            [IO.File]::WriteAllText($schema, ($json | ConvertTo-Json -Depth 20))
            $hash = Get-FileHashText $manifest
            Update-RunManifest -Path $manifest -Status running -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SchemaKeywordUnsupported,*'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'refuses a non-canonical -Status before touching anything' {
            $hash = Get-FileHashText $manifest
            { Update-RunManifest -Path $manifest -Status queued -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,Autolab.Slurm.Commands.UpdateRunManifestCommand'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'refuses a job state of another job with JobIdMismatch' {
            $state = [Autolab.Slurm.Models.SlurmJobState]@{ JobId = '999'; State = 'FAILED'; Status = 'failed'; Source = 'sacct' }
            $hash = Get-FileHashText $manifest
            $state | Update-RunManifest -Path $manifest -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'JobIdMismatch,*'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'reports JobIdMissing for a SLURM manifest without a job id' {
            $bare = New-TestManifest -RepositoryRoot $repo -RunId run_002 -JobId '' -Extra @{ slurm = @{ partition = 'debug' } }
            $state = [Autolab.Slurm.Models.SlurmJobState]@{ JobId = '12345'; State = 'RUNNING'; Status = 'running'; Source = 'sacct' }
            $state | Update-RunManifest -Path $bare -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'JobIdMissing,*'
        }

        It 'refuses a read-only manifest with FileReadOnly, even as root' {
            (Get-Item -LiteralPath $manifest).UnixFileMode = 'UserRead, GroupRead, OtherRead'
            $hash = Get-FileHashText $manifest
            Update-RunManifest -Path $manifest -Status running -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FileReadOnly,*'
            $err[0].Exception.Message | Should -Match 'chmod'
            Get-FileHashText $manifest | Should -Be $hash
        }

        It 'keeps the mode of the file it rewrites' {
            (Get-Item -LiteralPath $manifest).UnixFileMode = 'UserRead, UserWrite, GroupRead'
            Update-RunManifest -Path $manifest -Status running
            (Get-Item -LiteralPath $manifest).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead')
        }

        It 'goes on with the other manifests after a bad one' {
            $second = New-TestManifest -RepositoryRoot $repo -RunId run_002
            $results = @(
                [pscustomobject]@{ ManifestPath = (Join-Path $repo 'missing.json') }
                [pscustomobject]@{ ManifestPath = $second }
            ) | Update-RunManifest -Status running -PassThru -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            @($results).Count | Should -Be 1
            $results[0].RunId | Should -Be 'run_002'
        }
    }
}

Describe 'A folder given as a manifest path (<Command>)' -ForEach @(
    @{ Command = 'Update-RunManifest'; Call = { [CmdletBinding()] param($Path) Update-RunManifest -Path $Path -Status running -PassThru } }
    @{ Command = 'Get-SlurmJobState'; Call = { [CmdletBinding()] param($Path) Get-SlurmJobState -ManifestPath $Path } }
    @{ Command = 'Update-SlurmJobList'; Call = { [CmdletBinding()] param($Path) Update-SlurmJobList -ManifestPath $Path } }
    @{ Command = 'Sync-RunArtifacts'; Call = { [CmdletBinding()] param($Path) Sync-RunArtifacts -ManifestPath $Path } }
) {
    BeforeEach {
        $script:repo = New-TestRepository
        $script:manifest = New-TestManifest -RepositoryRoot $repo
        # Every entry below the repository with its write time: a lock folder or a rewrite shows up.
        function script:Get-Tree { (Get-ChildItem -LiteralPath $repo -Recurse -Force | ForEach-Object { '{0}|{1}' -f $_.FullName, $_.LastWriteTimeUtc.Ticks } | Sort-Object) -join "`n" }
        $script:before = Get-Tree
    }
    AfterEach { Remove-Item -LiteralPath $repo -Recurse -Force }

    It 'says the run folder is a folder and names the manifest file in it (ManifestNotFound), writing nothing' {
        $runDir = Split-Path $manifest
        $out = & $Call $runDir -ErrorVariable err -ErrorAction SilentlyContinue
        @($out | Where-Object { $_ -isnot [Autolab.Slurm.Models.ArtifactSyncResult] -or $_.Status -ne 'failed' }) | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "ManifestNotFound,*"
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $runDir
        $err[0].Exception.Message | Should -BeExactly "'$runDir' is a folder, not a run manifest. Give the manifest file in it: '$manifest'."
        Get-Tree | Should -BeExactly $before
    }

    It 'says how to find the manifests below a folder that holds none itself' {
        $folder = Join-Path $repo 'experiments'
        $null = & $Call $folder -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "ManifestNotFound,*"
        $err[0].Exception.Message | Should -Match "^'$([regex]::Escape($folder))' is a folder, not a run manifest\. "
        $err[0].Exception.Message | Should -Match ([regex]::Escape("Get-ChildItem '$folder' -Recurse -Filter run_manifest.json"))
        $err[0].Exception.Message | Should -Not -Match 'denied|permission'
    }
}

Describe 'Messages that quote another error' {
    It 'end the quoted sentence once (a schema that is not JSON)' {
        $repo = New-TestRepository
        try {
            $manifest = New-TestManifest -RepositoryRoot $repo
            $schema = Join-Path $repo 'broken.schema.json'
            [IO.File]::WriteAllText($schema, "{ `"type`": `n")
            Update-RunManifest -Path $manifest -Status running -SchemaPath $schema -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SchemaNotFound,*'
            # Newtonsoft's own message ends with a period ("... line 2, position 0.").
            $err[0].Exception.InnerException.Message | Should -Match '\.$'
            $err[0].Exception.Message | Should -Not -Match '[^.]\.\.(\s|$)'
            $err[0].Exception.Message | Should -Match 'position \d+\. Restore it'
        }
        finally { Remove-Item -LiteralPath $repo -Recurse -Force }
    }
}
