using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Autolab.Slurm.HelpBuilder.About;
using Autolab.Slurm.HelpBuilder.Maml;
using Autolab.Slurm.HelpBuilder.Markdown;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Cli;

/// <summary>
/// Plans every output first (parse and convert all pages), then writes only if no page had an error, so a
/// broken page never leaves a half-updated en-US folder behind.
/// </summary>
public static class HelpBuild
{
    public const int Success = 0;
    public const int PageErrors = 1;
    public const int UsageError = 2;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var request = CommandLine.Parse(args, out var error, out var helpRequested);
        if (helpRequested)
        {
            stdout.WriteLine(CommandLine.Usage);
            return Success;
        }

        if (request is null)
        {
            stderr.WriteLine($"error: {error}");
            stderr.WriteLine(CommandLine.Usage);
            return UsageError;
        }

        var (outputs, diagnostics) = Plan(request);
        if (diagnostics.Count > 0)
        {
            foreach (var diagnostic in diagnostics)
            {
                stderr.WriteLine(diagnostic);
            }

            stderr.WriteLine($"{diagnostics.Count} error(s); nothing written to {request.OutputDirectory}.");
            return PageErrors;
        }

        Directory.CreateDirectory(request.OutputDirectory);
        foreach (var (name, content, summary) in outputs)
        {
            var path = Path.Combine(request.OutputDirectory, name);
            File.WriteAllBytes(path, content);
            stdout.WriteLine($"wrote {path} ({summary})");
        }

        return Success;
    }

    /// <summary>Every file the request would write, or every error that stops it.</summary>
    public static (IReadOnlyList<(string Name, byte[] Content, string Summary)> Outputs, IReadOnlyList<HelpDiagnostic> Diagnostics) Plan(BuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var outputs = new List<(string, byte[], string)>();
        var diagnostics = new List<HelpDiagnostic>();
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        foreach (var helpFile in request.HelpFiles)
        {
            var commands = new List<CommandHelp>();
            foreach (var page in helpFile.Pages)
            {
                var text = Read(page, diagnostics);
                if (text is null)
                {
                    continue;
                }

                var result = CommandPageParser.Parse(page, text, helpFile.FileName);
                diagnostics.AddRange(result.Diagnostics);
                if (result.Value is not { } help)
                {
                    continue;
                }

                if (seen.TryGetValue(help.Name, out var other))
                {
                    diagnostics.Add(new HelpDiagnostic("DuplicateCommand", page, 0, $"'{help.Name}' is already documented by {other}."));
                    continue;
                }

                seen[help.Name] = page;
                commands.Add(help);
            }

            outputs.Add((helpFile.FileName, MamlWriter.Serialize(MamlWriter.Build(commands)), $"{commands.Count} command(s)"));
        }

        foreach (var page in request.AboutPages)
        {
            var text = Read(page, diagnostics);
            if (text is null)
            {
                continue;
            }

            var result = AboutPageConverter.Convert(page, text);
            diagnostics.AddRange(result.Diagnostics);
            if (result.Value is not null)
            {
                outputs.Add((AboutPageConverter.OutputFileName(page), new UTF8Encoding(false).GetBytes(result.Value), "about topic"));
            }
        }

        return (diagnostics.Count == 0 ? outputs : [], diagnostics);
    }

    private static string? Read(string page, List<HelpDiagnostic> diagnostics)
    {
        try
        {
            return File.ReadAllText(page, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new HelpDiagnostic("PageUnreadable", page, 0, $"cannot read the page: {e.Message}"));
            return null;
        }
    }
}
