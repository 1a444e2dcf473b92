using System;
using Autolab.Slurm.HelpBuilder.Cli;

namespace Autolab.Slurm.HelpBuilder;

internal static class Program
{
    private static int Main(string[] args) => HelpBuild.Run(args, Console.Out, Console.Error);
}
