using System.Runtime.InteropServices;

namespace Autolab.Slurm.IO;

/// <summary>
/// The few POSIX calls .NET does not expose: file owner (statx, whose layout is the same on every
/// architecture, unlike struct stat), chown, fsync of a directory so a rename survives a crash, and flock
/// on a directory.
/// </summary>
/// <summary>S_IFMT values.</summary>
public enum UnixFileType
{
    Fifo = 0x1000,
    CharacterDevice = 0x2000,
    Directory = 0x4000,
    BlockDevice = 0x6000,
    Regular = 0x8000,
    Symlink = 0xA000,
    Socket = 0xC000,
}

internal static partial class UnixFile
{
    private const int AtFdCwd = -100;
    private const int StatxUid = 0x0008;
    private const int StatxGid = 0x0010;
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // x86_64 and aarch64 share this value in glibc.

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Owner and group of <paramref name="path"/>, or null where statx is unavailable.</summary>
    public static (uint Uid, uint Gid)? GetOwner(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        // struct statx is 256 bytes; stx_uid is at offset 20 and stx_gid at 24 on every architecture.
        var buffer = new byte[256];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxUid | StatxGid, buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        return (BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24));
    }

    /// <summary>The file type bits (S_IFMT) of <paramref name="path"/> without following a final symlink; null where unknown.</summary>
    public static UnixFileType? GetFileType(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        var buffer = new byte[256];
        try
        {
            // AT_SYMLINK_NOFOLLOW = 0x100; STATX_TYPE = 0x0001. stx_mode is a u16 at offset 28.
            if (Statx(AtFdCwd, path, 0x100, 0x0001, buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        return (UnixFileType)(BitConverter.ToUInt16(buffer, 28) & 0xF000);
    }

    /// <summary>Gives <paramref name="path"/> the owner of the file it replaces; a user who may not chown keeps ownership (best effort).</summary>
    public static void CopyOwner((uint Uid, uint Gid)? owner, string path)
    {
        if (owner is not { } o || !IsSupported)
        {
            return;
        }

        var current = GetOwner(path);
        if (current is { } c && c.Uid == o.Uid && c.Gid == o.Gid)
        {
            return;
        }

        if (Chown(path, o.Uid, o.Gid) != 0 && current is { } now && now.Gid != o.Gid)
        {
            // Not root: the owner cannot be given away, but the group can be kept (a member may chgrp), which is
            // what keeps a group-shared file writable for the group.
            _ = Chown(path, uint.MaxValue, o.Gid);
        }
    }

    public static void FsyncDirectory(string directory)
    {
        if (!IsSupported)
        {
            return;
        }

        try
        {
            var fd = Open(directory, ORdOnly | ODirectory);
            if (fd >= 0)
            {
                _ = Fsync(fd);
                _ = Close(fd);
            }
        }
        catch (EntryPointNotFoundException)
        {
            // Durability of the directory entry is a bonus; the rename itself is already atomic.
        }
    }

    /// <summary>realpath(3): the path with every symlink resolved; null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (!IsSupported)
        {
            return Path.GetFullPath(path);
        }

        var result = Realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Free(result);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr Realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, int mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    /// <summary>
    /// Takes flock(2) LOCK_EX on a directory without waiting: the descriptor (to release with
    /// <see cref="Unlock"/>), -1 while another process holds it, or throws for a directory that cannot be opened.
    /// </summary>
    public static int TryLockDirectory(string directory)
    {
        var fd = Open(directory, ORdOnly | ODirectory | OCloexec);
        if (fd < 0)
        {
            throw new UnauthorizedAccessException($"open({directory}) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        if (Flock(fd, LockEx | LockNb) == 0)
        {
            return fd;
        }

        _ = Close(fd);
        return -1;
    }

    public static void Unlock(int fd)
    {
        _ = Flock(fd, LockUn);
        _ = Close(fd);
    }

    /// <summary>
    /// access(2) W_OK: whether this user may write <paramref name="path"/> (a folder: create files in it), as the
    /// kernel would decide it (a read-only file system says no even to root). True where unknown.
    /// </summary>
    public static bool CanWrite(string path)
    {
        if (!IsSupported)
        {
            return true;
        }

        try
        {
            return Access(path, 2) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return true;
        }
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    private const int OCloexec = 0x80000;
    private const int LockEx = 2;
    private const int LockNb = 4;
    private const int LockUn = 8;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
