using System.Collections.Generic;

namespace Autolab.Slurm.HelpBuilder.Cli;

public enum HelpFileKind
{
    /// <summary>`&lt;Assembly&gt;.dll-Help.xml`, found by PowerShell from the cmdlet's assembly name.</summary>
    Cmdlet,

    /// <summary>Any `.xml` name, found because the function's `# .ExternalHelp` comment names it.</summary>
    Function,
}

public sealed record HelpFileRequest(HelpFileKind Kind, string FileName, IReadOnlyList<string> Pages);

public sealed record BuildRequest(string OutputDirectory, IReadOnlyList<HelpFileRequest> HelpFiles, IReadOnlyList<string> AboutPages);
