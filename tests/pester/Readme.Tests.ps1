#Requires -Version 7.4
Describe 'README and CI' {
    BeforeAll {
        $script:root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $readme = Get-Content -LiteralPath (Join-Path $root 'README.md') -Raw
        # The commands are the first two fenced shell blocks of the README: main job, then tests.
        $script:blocks = [regex]::Matches($readme, '(?ms)^```(?:bash|sh)\r?\n(.*?)\r?\n```') | ForEach-Object { $_.Groups[1].Value.Trim() }
        $script:ciRun = Get-Content -LiteralPath (Join-Path $root '.ci/run')
    }

    It 'opens with two commands, the main job then the tests' {
        $blocks.Count | Should -BeGreaterOrEqual 2
        $blocks[0] | Should -Match 'Demo'
        $blocks[1] | Should -Match '-Task Test'
    }

    It '.ci/run runs exactly the README test command' {
        $commands = $ciRun | Where-Object { $_ -and $_ -notmatch '^\s*(#|set |cd |export )' }
        @($commands) | Should -Be @($blocks[1])
    }
}
