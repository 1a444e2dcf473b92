using System.Text;
using System.Text.RegularExpressions;
using Autolab.Slurm.Errors;
using Autolab.Slurm.IO;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Stage;

/// <summary>
/// The two command templates that make autolab call our hooks (slurm.monitor.poll_command_template and
/// sync_command_template in .autolab/verifier_policy.yaml), and the edit that writes them into the policy
/// file's text: only those two values change, every other byte (comments, order, the other settings) stays.
/// </summary>
public static partial class MonitorHookTemplates
{
    /// <summary>The characters autolab refuses anywhere in a rendered template (it runs no shell).</summary>
    private const string ShellMeta = "|&;<>()$`";

    /// <summary>
    /// The template for one hook: <c>&lt;pwsh&gt; -NoProfile -NonInteractive -File &lt;entry&gt; -Hook Poll -RunDirectory {run_dir} -RepositoryRoot {repo_root}</c>.
    /// <paramref name="pwsh"/> is the absolute program (and arguments, e.g. dotnet and pwsh.dll) that starts pwsh.
    /// </summary>
    public static string Build(IReadOnlyList<string> pwsh, string entryScript, string hook)
    {
        var words = pwsh.Concat(new[] { "-NoProfile", "-NonInteractive", "-File", entryScript }).Select(Word);
        return string.Join(' ', words) + $" -Hook {hook} -RunDirectory {{run_dir}} -RepositoryRoot {{repo_root}}";
    }

    /// <summary>One word of a template: bare when plain, else single-quoted for autolab's shlex.split; braces doubled for its str.format.</summary>
    private static string Word(string value)
    {
        if (value.IndexOfAny(ShellMeta.ToCharArray()) >= 0)
        {
            throw new AutolabException(
                ErrorIds.HookInvalid,
                AutolabErrorCategory.InvalidArgument,
                $"'{value}' holds one of {ShellMeta}, which autolab refuses anywhere in a command template (it runs no shell). Install pwsh or the module under a path without them.",
                value);
        }

        var escaped = value.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
        return PlainWord().IsMatch(value) ? escaped : "'" + escaped.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// The policy text with slurm.monitor's two templates set (a null template is left as it is): the value on
    /// an existing key's line is replaced in place; a missing key goes under <c>monitor:</c>, a missing
    /// <c>monitor:</c> under <c>slurm:</c>, a missing <c>slurm:</c> at the end.
    /// </summary>
    public static string Apply(string policyText, string? pollTemplate, string? syncTemplate)
    {
        var newline = policyText.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = policyText.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var trailing = policyText.EndsWith('\n');
        if (trailing)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var slurm = FindKey(lines, 0, lines.Count, indent: 0, "slurm");
        if (slurm < 0)
        {
            lines.Add("slurm:");
            slurm = lines.Count - 1;
        }

        var slurmEnd = BlockEnd(lines, slurm, 0);
        var childIndent = ChildIndent(lines, slurm, slurmEnd) ?? 2;
        var monitor = FindKey(lines, slurm + 1, slurmEnd, childIndent, "monitor");
        if (monitor < 0)
        {
            lines.Insert(slurmEnd, new string(' ', childIndent) + "monitor:");
            monitor = slurmEnd;
            slurmEnd++;
        }

        var monitorEnd = BlockEnd(lines, monitor, childIndent);
        var keyIndent = ChildIndent(lines, monitor, monitorEnd) ?? childIndent * 2;
        foreach (var (key, value) in new[] { ("poll_command_template", pollTemplate), ("sync_command_template", syncTemplate) })
        {
            if (value is null)
            {
                continue;
            }

            var line = new string(' ', keyIndent) + key + ": " + Quote(value);
            var at = FindKey(lines, monitor + 1, monitorEnd, keyIndent, key);
            if (at >= 0)
            {
                lines[at] = line;
            }
            else
            {
                lines.Insert(monitorEnd, line);
                monitorEnd++;
            }
        }

        return string.Join(newline, lines) + (trailing ? newline : string.Empty);
    }

    /// <summary>
    /// The templates placed in the policy file as it is now: the settings autolab will read back (Changed when
    /// the text differs) and the new text. A placement autolab would not read back as written is HookInvalid.
    /// </summary>
    public static (MonitorHookSettings Settings, string Text) Plan(string policy, string? pollTemplate, string? syncTemplate)
    {
        string before;
        try
        {
            before = File.ReadAllText(policy);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AutolabException(ErrorIds.FileAccessDenied, AutolabErrorCategory.PermissionDenied, $"'{policy}' cannot be read: {ErrorText.Clause(ex.Message)}. Check its permissions (autolab and the hooks need to read it).", policy, ex);
        }

        var text = Apply(before, pollTemplate, syncTemplate);
        var check = AutolabPolicy.Parse(text);
        if ((pollTemplate is not null && check.PollCommandTemplate != pollTemplate) || (syncTemplate is not null && check.SyncCommandTemplate != syncTemplate))
        {
            throw new AutolabException(ErrorIds.HookInvalid, AutolabErrorCategory.InvalidData, $"The templates could not be placed in '{policy}' so that autolab reads them back; it was left as it was. Set slurm.monitor.poll_command_template and sync_command_template by hand: {pollTemplate} / {syncTemplate}", policy);
        }

        return (new MonitorHookSettings(policy, check.PollCommandTemplate, check.SyncCommandTemplate, !string.Equals(before, text, StringComparison.Ordinal)), text);
    }

    /// <summary>
    /// Writes the templates into the policy file of <paramref name="repositoryRoot"/> atomically, planned again on the
    /// file as it is under its lock (an edit made since <see cref="Plan"/> is kept). autolab init leaves it read-only
    /// (0444): without <paramref name="force"/> that is FileReadOnly; with it the file is written and keeps its mode.
    /// </summary>
    public static void WritePolicy(string repositoryRoot, string? pollTemplate, string? syncTemplate, bool force, CancellationToken cancellationToken)
    {
        var policy = AutolabPolicy.PathFor(repositoryRoot);
        using var held = FileLock.Acquire(FileLock.LockPathFor(policy, repositoryRoot), FileLock.DefaultTimeout, $"'{policy}'", cancellationToken);
        var (settings, text) = Plan(policy, pollTemplate, syncTemplate);
        if (!settings.Changed)
        {
            return;
        }

        if (OperatingSystem.IsWindows() || !force)
        {
            AtomicFile.EnsureWritable(policy, "autolab policy file (autolab init makes it read-only; -Force writes it and keeps the mode)");
            AtomicFile.WriteAllText(policy, text);
            return;
        }

        var mode = File.GetUnixFileMode(policy);
        var readOnly = (mode & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;
        if (readOnly)
        {
            File.SetUnixFileMode(policy, mode | UnixFileMode.UserWrite);
        }

        try
        {
            AtomicFile.WriteAllText(policy, text);
        }
        finally
        {
            if (readOnly)
            {
                File.SetUnixFileMode(policy, mode);
            }
        }
    }

    /// <summary>A YAML double-quoted scalar.</summary>
    private static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch { '"' => "\\\"", '\\' => "\\\\", _ => c.ToString() });
        }

        return sb.Append('"').ToString();
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    private static bool IsContent(string line) => line.Trim().Length > 0 && !line.TrimStart().StartsWith('#');

    private static int FindKey(List<string> lines, int from, int to, int indent, string key)
    {
        for (var i = from; i < to; i++)
        {
            if (IsContent(lines[i]) && Indent(lines[i]) == indent && lines[i].TrimStart().StartsWith(key + ":", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The index after the last line of the block under <paramref name="start"/> (comments after it belong to what follows).</summary>
    private static int BlockEnd(List<string> lines, int start, int indent)
    {
        var end = start + 1;
        for (var i = start + 1; i < lines.Count; i++)
        {
            if (!IsContent(lines[i]))
            {
                continue;
            }

            if (Indent(lines[i]) <= indent)
            {
                break;
            }

            end = i + 1;
        }

        return end;
    }

    private static int? ChildIndent(List<string> lines, int start, int end)
    {
        for (var i = start + 1; i < end; i++)
        {
            if (IsContent(lines[i]))
            {
                return Indent(lines[i]);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_@%+=:,./-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainWord();
}
