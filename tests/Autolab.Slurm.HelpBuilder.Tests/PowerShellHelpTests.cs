using System.Diagnostics;
using Autolab.Slurm.HelpBuilder.Cli;

namespace Autolab.Slurm.HelpBuilder.Tests;

/// <summary>
/// The real reader: builds the sample pages, compiles the sample cmdlet with Add-Type, loads both into
/// PowerShell (the repo's `dotnet pwsh` tool) and checks what Get-Help prints. One pwsh run serves every test.
/// </summary>
[Trait("Category", "PowerShell")]
public sealed class PowerShellHelpTests : IClassFixture<PowerShellHelpTests.HelpOutput>
{
    private readonly HelpOutput output;

    public PowerShellHelpTests(HelpOutput output) => this.output = output;

    [Fact]
    public void GetHelpFull_Cmdlet_ShowsSynopsisSyntaxAndParametersFromMaml()
    {
        var text = output.Section("cmdlet-full");

        Assert.Contains("Gets demo jobs by id or by name.", text, StringComparison.Ordinal);
        Assert.Contains("Get-DemoJob [-JobId] <String[]> [-State {Pending | Running | Completed}] [-IncludeSteps] [<CommonParameters>]", text, StringComparison.Ordinal);
        Assert.Contains("Get-DemoJob -Name <String> [-State {Pending | Running | Completed}] [-IncludeSteps] [<CommonParameters>]", text, StringComparison.Ordinal);
        Assert.Contains("One or more job ids, as sacct prints them.", text, StringComparison.Ordinal);
        Assert.Matches(@"Accept pipeline input\?\s+True \(ByPropertyName\)", text);
        Assert.Matches(@"Aliases\s+JobIdRaw", text);
        Assert.Contains("Demo jobs are not real jobs.", text, StringComparison.Ordinal);
        Assert.Contains("Slurm sacct https://slurm.schedmd.com/sacct.html", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GetHelpExamples_Cmdlet_ShowsTitleCodeAndRemarks()
    {
        var text = output.Section("cmdlet-examples");

        Assert.Contains("---------- Example 1: Get one job ----------", text, StringComparison.Ordinal);
        Assert.Contains("PS> Get-DemoJob -JobId 42", text, StringComparison.Ordinal);
        Assert.Contains("Gets job 42 in the Running state.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PARAMETERS", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GetHelpParameter_Cmdlet_ShowsOnlyThatParameter()
    {
        var text = output.Section("cmdlet-parameter");

        Assert.Contains("-State <String>", text, StringComparison.Ordinal);
        Assert.Contains("Only jobs in this state.", text, StringComparison.Ordinal);
        Assert.Matches(@"Default value\s+Running", text);
        Assert.DoesNotContain("-JobId", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GetHelpFull_ExternalHelpFunction_ShowsMamlText()
    {
        var text = output.Section("function-full");

        Assert.Contains("Runs one demo stage.", text, StringComparison.Ordinal);
        Assert.Contains("Invoke-DemoStage [-Path] <String> [-Retry <Int32>] [-WhatIf] [-Confirm] [<CommonParameters>]", text, StringComparison.Ordinal);
        Assert.Contains("2. Submit the job. Wait for it to finish.", text, StringComparison.Ordinal);
        Assert.Contains("Text before the code introduces the example.", text, StringComparison.Ordinal);
        Assert.Contains("How many times to resubmit a failed job.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GetHelp_AboutTopic_ShowsTextAndSynopsis()
    {
        Assert.StartsWith("TOPIC\n    about_HbDemo\n\nSHORT DESCRIPTION", output.Section("about").TrimStart(), StringComparison.Ordinal);
        Assert.Equal("Explains the demo module used to check the help builder.", output.Section("about-synopsis").Trim());
    }

    public sealed class HelpOutput : IDisposable
    {
        private const string CmdletSource =
            """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Get, "DemoJob", DefaultParameterSetName = "ById")]
            public sealed class GetDemoJobCommand : PSCmdlet
            {
                [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ById", ValueFromPipelineByPropertyName = true)]
                [Alias("JobIdRaw")]
                public string[] JobId { get; set; }

                [Parameter(Mandatory = true, ParameterSetName = "ByName")]
                [SupportsWildcards]
                public string Name { get; set; }

                [Parameter]
                [ValidateSet("Pending", "Running", "Completed")]
                public string State { get; set; }

                [Parameter]
                public SwitchParameter IncludeSteps { get; set; }

                protected override void ProcessRecord() { WriteObject(ParameterSetName); }
            }
            """;

        private const string Module =
            """
            function Invoke-DemoStage {
                # .ExternalHelp HbDemo-help.xml
                [CmdletBinding(SupportsShouldProcess)]
                param(
                    [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
                    [Alias('FullName')]
                    [string] $Path,
                    [int] $Retry
                )
                process { if ($PSCmdlet.ShouldProcess($Path)) { $Path } }
            }
            Export-ModuleMember -Function Invoke-DemoStage -Cmdlet Get-DemoJob
            """;

        private const string Manifest =
            """
            @{
                ModuleVersion = '0.0.1'
                GUID = '5d0f4c8e-3b7a-4c1e-9a55-0e2f6b8d1a01'
                RootModule = 'HbDemo.psm1'
                NestedModules = @('HbDemo.dll')
                FunctionsToExport = @('Invoke-DemoStage')
                CmdletsToExport = @('Get-DemoJob')
            }
            """;

        private const string Script =
            """
            $ErrorActionPreference = 'Stop'
            $dir = $args[0]
            Add-Type -TypeDefinition (Get-Content -Raw "$dir/GetDemoJob.cs") -OutputAssembly "$dir/HbDemo.dll"
            Import-Module "$dir/HbDemo.psd1"
            "=== cmdlet-full"; Get-Help Get-DemoJob -Full | Out-String -Width 250
            "=== cmdlet-examples"; Get-Help Get-DemoJob -Examples | Out-String -Width 250
            "=== cmdlet-parameter"; Get-Help Get-DemoJob -Parameter State | Out-String -Width 250
            "=== function-full"; Get-Help Invoke-DemoStage -Full | Out-String -Width 250
            "=== about"; Get-Help about_HbDemo | Out-String -Width 250
            "=== about-synopsis"; (Get-Help about_HbDem* -Category HelpFile | Select-Object -First 1).Synopsis
            "=== end"
            """;

        private readonly TempFolder temp = new();
        private readonly Dictionary<string, string> sections = new(StringComparer.Ordinal);

        public HelpOutput()
        {
            var moduleDir = temp.Combine("HbDemo");
            Directory.CreateDirectory(moduleDir);
            File.WriteAllText(Path.Combine(moduleDir, "GetDemoJob.cs"), CmdletSource);
            File.WriteAllText(Path.Combine(moduleDir, "HbDemo.psm1"), Module);
            File.WriteAllText(Path.Combine(moduleDir, "HbDemo.psd1"), Manifest);
            var script = temp.Write("check.ps1", Script);

            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = HelpBuild.Run(
                [
                    "--out", Path.Combine(moduleDir, "en-US"),
                    "--cmdlet-help", Fixtures.CmdletHelpFile, Fixtures.PathOf(Fixtures.CmdletPage),
                    "--function-help", Fixtures.FunctionHelpFile, Fixtures.PathOf(Fixtures.FunctionPage),
                    "--about", Fixtures.PathOf(Fixtures.AboutPage),
                ],
                stdout,
                stderr);
            Assert.True(code == 0, stderr.ToString());

            var repoRoot = FindRepoRoot();
            RunDotnet(repoRoot, ["tool", "restore"]);
            var text = RunDotnet(repoRoot, ["pwsh", "-NoProfile", "-NonInteractive", "-File", script, moduleDir]);

            string? current = null;
            foreach (var line in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
            {
                if (line.StartsWith("=== ", StringComparison.Ordinal))
                {
                    current = line[4..].Trim();
                    sections[current] = string.Empty;
                }
                else if (current is not null)
                {
                    sections[current] += line + "\n";
                }
            }

            Assert.True(sections.ContainsKey("end"), "pwsh stopped early:\n" + text);
        }

        public string Section(string name) => sections[name];

        public void Dispose() => temp.Dispose();

        private static string FindRepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("no .config/dotnet-tools.json above " + AppContext.BaseDirectory);
        }

        private static string RunDotnet(string workingDirectory, string[] args)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            var stderrTask = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 3 minutes");
            }

            var stdout = stdoutTask.GetAwaiter().GetResult();
            var stderr = stderrTask.GetAwaiter().GetResult();
            Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}:\n{stdout}\n{stderr}");
            return stdout;
        }
    }
}
