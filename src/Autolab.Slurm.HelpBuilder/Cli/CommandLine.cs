using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Autolab.Slurm.HelpBuilder.Cli;

/// <summary>Reads the command line. Every page is named on it: the tool never looks through a folder.</summary>
public static class CommandLine
{
    public const string Usage =
        """
        Usage: Autolab.Slurm.HelpBuilder --out <dir>
                 [--cmdlet-help <Assembly>.dll-Help.xml <Command>.md...]
                 [--function-help <Name>-help.xml <Command>.md...]
                 [--about <about_Topic>.md...]

        Converts help pages in PlatyPS v1's markdown layout (schema 2.0.0) into MAML files and
        about_*.md pages into about_*.help.txt, all written to <dir>. Each --cmdlet-help or
        --function-help starts one MAML file; the pages after it go into that file. At least one
        output is required. Nothing is written unless every page converts without an error.

        Exit codes: 0 written; 1 a page has errors (each printed as file:line: error Id: message);
        2 the command line is wrong.
        """;

    /// <summary>Parses <paramref name="args"/>; returns null and sets <paramref name="error"/> when they are wrong.</summary>
    public static BuildRequest? Parse(IReadOnlyList<string> args, out string? error, out bool helpRequested)
    {
        ArgumentNullException.ThrowIfNull(args);
        error = null;
        helpRequested = false;
        string? output = null;
        var helpFiles = new List<(HelpFileKind Kind, string Name, List<string> Pages)>();
        var about = new List<string>();
        List<string>? current = null;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help" or "-?":
                    helpRequested = true;
                    return null;
                case "--out":
                    if (output is not null)
                    {
                        error = "--out is given more than once.";
                        return null;
                    }

                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        error = "--out needs a folder.";
                        return null;
                    }

                    output = args[++i];
                    current = null;
                    break;
                case "--cmdlet-help" or "--function-help":
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        error = $"{arg} needs the MAML file name, then its pages.";
                        return null;
                    }

                    var kind = arg == "--cmdlet-help" ? HelpFileKind.Cmdlet : HelpFileKind.Function;
                    var name = args[++i];
                    error = CheckHelpFileName(kind, name);
                    if (error is not null)
                    {
                        return null;
                    }

                    if (helpFiles.Any(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)))
                    {
                        error = $"'{name}' is given more than once; list all its pages after one {arg}.";
                        return null;
                    }

                    current = [];
                    helpFiles.Add((kind, name, current));
                    break;
                case "--about":
                    current = about;
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal))
                    {
                        error = $"unknown option '{arg}'.";
                        return null;
                    }

                    if (current is null)
                    {
                        error = $"'{arg}' is not after --cmdlet-help, --function-help or --about.";
                        return null;
                    }

                    current.Add(arg);
                    break;
            }
        }

        if (output is null)
        {
            error = "--out <dir> is required.";
            return null;
        }

        if (helpFiles.Count == 0 && about.Count == 0)
        {
            error = "nothing to build: give --cmdlet-help, --function-help or --about with pages.";
            return null;
        }

        var empty = helpFiles.FirstOrDefault(h => h.Pages.Count == 0);
        if (empty.Name is not null)
        {
            error = $"'{empty.Name}' has no pages listed after it.";
            return null;
        }

        var pages = helpFiles.SelectMany(h => h.Pages).Concat(about).ToList();
        // An unexpanded pattern means the caller expected globbing, which this tool deliberately never does.
        var pattern = pages.FirstOrDefault(p => p.IndexOfAny(['*', '?', '[']) >= 0);
        if (pattern is not null)
        {
            error = $"'{pattern}' is a wildcard pattern; list each page by name (the tool never expands patterns or reads folders).";
            return null;
        }

        var notMarkdown = pages.FirstOrDefault(p => !p.EndsWith(".md", StringComparison.OrdinalIgnoreCase));
        if (notMarkdown is not null)
        {
            error = $"'{notMarkdown}' is not a .md page; list each page by name (folders and wildcards are not read).";
            return null;
        }

        var repeated = pages.GroupBy(p => Path.GetFullPath(p), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            error = $"'{repeated.First()}' is listed more than once.";
            return null;
        }

        var badAbout = about.FirstOrDefault(p => !Path.GetFileName(p).StartsWith("about_", StringComparison.OrdinalIgnoreCase));
        if (badAbout is not null)
        {
            error = $"'{badAbout}' is listed after --about, but about pages are named about_<Topic>.md.";
            return null;
        }

        return new BuildRequest(
            output,
            helpFiles.Select(h => new HelpFileRequest(h.Kind, h.Name, h.Pages)).ToList(),
            about);
    }

    private static string? CheckHelpFileName(HelpFileKind kind, string name)
    {
        if (name.IndexOfAny(['/', '\\']) >= 0)
        {
            return $"'{name}' must be a file name, not a path; --out gives the folder.";
        }

        // PowerShell asks for "<assembly file name>-Help.xml" with exactly that case, which matters on Linux.
        if (kind == HelpFileKind.Cmdlet && !name.EndsWith(".dll-Help.xml", StringComparison.Ordinal))
        {
            return $"cmdlet help '{name}' must be named '<Assembly>.dll-Help.xml' (that exact case), the name PowerShell looks for.";
        }

        if (kind == HelpFileKind.Function && !name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
        {
            return $"function help '{name}' must be an .xml file named as the functions' '# .ExternalHelp' comment names it.";
        }

        return null;
    }
}
