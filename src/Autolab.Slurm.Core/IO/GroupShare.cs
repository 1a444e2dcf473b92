namespace Autolab.Slurm.IO;

/// <summary>
/// Group-shared repositories (a group-writable, setgid repository used by several members of a group): what
/// one member creates there must stay writable by the others, whatever that member's umask. A file or folder
/// created in a group-writable folder gets the group's read and write bits (and a folder the setgid bit, so
/// its files keep the group).
/// </summary>
public static class GroupShare
{
    private const UnixFileMode FileBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode FolderBits = FileBits | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;

    /// <summary>Creates <paramref name="directory"/> and its missing parents, each with the group bits where its parent is group-writable.</summary>
    public static void CreateDirectory(string directory)
    {
        var missing = new Stack<string>();
        for (var d = Path.GetFullPath(directory); !Directory.Exists(d); d = Path.GetDirectoryName(d)!)
        {
            missing.Push(d);
            if (Path.GetDirectoryName(d) is null)
            {
                break;
            }
        }

        Directory.CreateDirectory(directory);
        while (missing.Count > 0)
        {
            LikeParent(missing.Pop());
        }
    }

    /// <summary>
    /// The advice for a member denied <paramref name="path"/> in a group-shared repository: the chmod that lets
    /// the group write it (a folder also gets the setgid bit, so its new files keep the group) and the chgrp.
    /// </summary>
    public static string GroupWriteAdvice(string path, bool folder) =>
        $"{(folder ? "chmod g+rwx,g+s" : "chmod g+rw")} '{path}' (and chgrp <group> '{path}' to the repository's group)";

    /// <summary>Gives <paramref name="path"/> (just created by this process) the group bits when its parent folder is group-writable; best effort.</summary>
    public static void LikeParent(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            if (parent is null || (File.GetUnixFileMode(parent) & UnixFileMode.GroupWrite) == 0)
            {
                return;
            }

            var mode = File.GetUnixFileMode(path);
            var wanted = mode | (Directory.Exists(path) ? FolderBits : FileBits);
            if (wanted != mode)
            {
                File.SetUnixFileMode(path, wanted);
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            // Only the owner may change a mode; a later write by the owner will.
        }
    }
}
