using System.Globalization;
using System.Text;
using Autolab.Slurm.Errors;

namespace Autolab.Slurm.IO;

/// <summary>
/// Every writer goes through here: the new content goes to a temporary file in the same directory,
/// is flushed to disk, gets the old file's mode and owner, and replaces the target with one rename.
/// A reader therefore sees the old file or the new one, never a torn one.
/// </summary>
public static class AtomicFile
{
    private const UnixFileMode AnyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Where a symlinked target really lives: the rename must replace the file, not the link.</summary>
    public static string ResolveTarget(string path)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.Exists && info.LinkTarget is not null)
        {
            var final = info.ResolveLinkTarget(returnFinalTarget: true);
            if (final is not null)
            {
                return final.FullName;
            }
        }

        return full;
    }

    /// <summary>Refuses a target whose mode has no write bit (honoured even for root, who could write anyway).</summary>
    public static void EnsureWritable(string path, string what)
    {
        if (!File.Exists(path) || OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & AnyWrite) == 0)
        {
            throw new AutolabException(
                ErrorIds.FileReadOnly,
                AutolabErrorCategory.PermissionDenied,
                string.Create(CultureInfo.InvariantCulture, $"The {what} '{path}' is read-only (mode {ToOctal(mode)}); it was left unchanged. Give it a write bit (chmod u+w) if it should be updated."),
                path);
        }
    }

    public static void WriteAllText(string path, string content) => WriteAllBytes(path, Utf8NoBom.GetBytes(content));

    public static void WriteAllBytes(string path, byte[] content)
    {
        var target = ResolveTarget(path);
        var directory = Path.GetDirectoryName(target) ?? throw new ArgumentException("No directory for " + target, nameof(path));
        var exists = File.Exists(target);
        UnixFileMode? mode = null;
        (uint, uint)? owner = null;
        if (exists && !OperatingSystem.IsWindows())
        {
            mode = File.GetUnixFileMode(target);
            EnsureWritable(target, "file");

            owner = UnixFile.GetOwner(target);
        }

        var temp = TempPathFor(target);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: true);
            }

            if (mode is { } m && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, m);
            }
            else
            {
                // A new file in a group-shared folder is the group's to rewrite too, whatever the umask.
                GroupShare.LikeParent(temp);
            }

            UnixFile.CopyOwner(owner, temp);
            File.Move(temp, target, overwrite: true);
            UnixFile.FsyncDirectory(directory);
        }
        catch (UnauthorizedAccessException ex)
        {
            TryDelete(temp);
            throw new AutolabException(
                ErrorIds.FileAccessDenied,
                AutolabErrorCategory.PermissionDenied,
                $"Could not write '{target}': this user may not create files in '{directory}' ({ErrorText.Clause(ex.Message)}). The file was left as it was. In a repository shared by a group, let the group write the folder: {GroupShare.GroupWriteAdvice(directory, folder: true)}.",
                target,
                ex);
        }
        catch (IOException ex)
        {
            TryDelete(temp);
            throw new AutolabException(
                ErrorIds.FileWriteFailed,
                AutolabErrorCategory.WriteError,
                $"Could not write '{target}': {ErrorText.Clause(ex.Message)}. The file was left as it was; check the folder's permissions and free space.",
                target,
                ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Appends one line (the single accepted exception to "every write is atomic": a log line).
    /// </summary>
    public static void AppendLine(string path, string line)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        try
        {
            GroupShare.CreateDirectory(folder);

            var created = !File.Exists(full);
            using var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            if (created)
            {
                GroupShare.LikeParent(full);
            }

            var bytes = Utf8NoBom.GetBytes(line + "\n");
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new AutolabException(
                ErrorIds.FileAccessDenied,
                AutolabErrorCategory.PermissionDenied,
                $"Could not append to '{full}': this user may not write it ({ErrorText.Clause(ex.Message)}). In a repository shared by a group, let the group write it: {GroupShare.GroupWriteAdvice(full, folder: false)} and its folder: {GroupShare.GroupWriteAdvice(folder, folder: true)}.",
                full,
                ex);
        }
    }

    /// <summary>
    /// Removes temporary files a killed writer left beside <paramref name="path"/>. Call it only
    /// while holding the target's lock: then no other writer can own a temp file for it.
    /// </summary>
    public static int RemoveStaleTemps(string path)
    {
        var target = ResolveTarget(path);
        var directory = Path.GetDirectoryName(target);
        if (directory is null || !Directory.Exists(directory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var stale in Directory.EnumerateFiles(directory, TempPrefix(target) + "*" + TempSuffix))
        {
            if (TryDelete(stale))
            {
                removed++;
            }
        }

        return removed;
    }

    public static bool IsTempFileName(string fileName) =>
        fileName.StartsWith('.') && fileName.EndsWith(TempSuffix, StringComparison.Ordinal);

    private const string TempSuffix = ".autolab-tmp";

    private static string TempPrefix(string target) => "." + Path.GetFileName(target) + ".";

    private static string TempPathFor(string target) =>
        Path.Combine(
            Path.GetDirectoryName(target)!,
            TempPrefix(target) + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8] + TempSuffix);

    internal static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string ToOctal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
