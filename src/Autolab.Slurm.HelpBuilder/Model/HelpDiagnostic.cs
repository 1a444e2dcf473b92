using System.Globalization;

namespace Autolab.Slurm.HelpBuilder.Model;

/// <summary>
/// A problem in a help page. <see cref="Id"/> is a stable PascalCase word that tests assert; <see cref="Line"/>
/// counts from 1, and is 0 when the problem belongs to the file as a whole (it cannot be read).
/// </summary>
public sealed record HelpDiagnostic(string Id, string File, int Line, string Message)
{
    /// <summary>`file:line: error Id: message`, the layout editors and CI logs turn into links.</summary>
    public override string ToString() =>
        Line > 0
            ? string.Format(CultureInfo.InvariantCulture, "{0}:{1}: error {2}: {3}", File, Line, Id, Message)
            : string.Format(CultureInfo.InvariantCulture, "{0}: error {1}: {2}", File, Id, Message);
}
