using System.Collections.Generic;
using Autolab.Slurm.HelpBuilder.Model;

namespace Autolab.Slurm.HelpBuilder.Markdown;

/// <summary>What parsing one page produced: the value when there were no errors, and every error found.</summary>
public sealed record PageResult<T>(T? Value, IReadOnlyList<HelpDiagnostic> Diagnostics)
    where T : class
{
    public bool Succeeded => Value is not null && Diagnostics.Count == 0;
}
