using Autolab.Slurm.Artifacts;
using Autolab.Slurm.Errors;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Autolab.Slurm.Ssh;

/// <summary>A run directory on a login node, read over SFTP through the pooled session.</summary>
public sealed class SftpArtifactSource : IArtifactSource
{
    private readonly SshSession _session;
    private readonly string _root;
    private string? _canonicalRoot;

    public SftpArtifactSource(SshSession session, string remoteRoot)
    {
        _session = session;
        _root = remoteRoot.Length > 1 ? remoteRoot.TrimEnd('/') : remoteRoot;
    }

    public string Display => $"{_session.Target.UserName}@{_session.Target.Alias}:{_root}";

    public int MaxConcurrency => 16;

    public IReadOnlyList<SourceEntry> List(CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            try
            {
                var root = client.Get(_root);
                if (!root.IsDirectory)
                {
                    throw Missing($"'{_root}' on {_session.Target} is not a directory");
                }

                _canonicalRoot = root.FullName.TrimEnd('/');
            }
            catch (SftpPathNotFoundException ex)
            {
                throw Missing($"The remote run directory '{_root}' does not exist on {_session.Target}", ex);
            }

            var entries = new List<SourceEntry>();
            Walk(client, _root, string.Empty, entries, cancellationToken);
            return entries;
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    private static void Walk(SftpClient client, string directory, string prefix, List<SourceEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var file in client.ListDirectory(directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Name is "." or "..")
            {
                continue;
            }

            var relative = prefix + file.Name;
            var modified = new DateTimeOffset(DateTime.SpecifyKind(file.LastWriteTimeUtc, DateTimeKind.Utc));
            if (file.IsSymbolicLink)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Symlink, 0, modified));
            }
            else if (file.IsDirectory)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Directory, 0, modified));
                Walk(client, directory + "/" + file.Name, relative + "/", entries, cancellationToken);
            }
            else if (file.IsRegularFile)
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.File, file.Length, modified));
            }
            else
            {
                entries.Add(new SourceEntry(relative, SourceEntryKind.Other, 0, modified, KindName(file)));
            }
        }
    }

    public SymlinkResolution Resolve(SourceEntry link, CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            // Get resolves the path on the server (SSH_FXP_REALPATH follows every link), then reads the
            // target's attributes: its FullName says where the link really leads.
            ISftpFile target;
            try
            {
                target = client.Get(_root + "/" + link.RelativePath);
            }
            catch (SftpPathNotFoundException)
            {
                return new SymlinkResolution(null, "dangling symlink");
            }

            var root = _canonicalRoot ?? _root;
            if (!target.FullName.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return new SymlinkResolution(null, $"symlink leads outside the run directory (to {target.FullName})", Escapes: true);
            }

            if (target.IsDirectory)
            {
                return new SymlinkResolution(null, "symlink to a directory (its target is synced as itself)");
            }

            if (!target.IsRegularFile)
            {
                return new SymlinkResolution(null, target.IsSymbolicLink ? "dangling symlink" : $"symlink to a {KindName(target)}, not a regular file");
            }

            return new SymlinkResolution(new SourceEntry(link.RelativePath, SourceEntryKind.File, target.Length, new DateTimeOffset(DateTime.SpecifyKind(target.LastWriteTimeUtc, DateTimeKind.Utc))), null);
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    public async Task CopyToAsync(string relativePath, long offset, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        var client = _session.RentSftp();
        try
        {
            await using var source = await client.OpenAsync(_root + "/" + relativePath, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            if (offset > 0)
            {
                source.Seek(offset, SeekOrigin.Begin);
            }

            var buffer = new byte[256 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                progress(read);
            }
        }
        finally
        {
            _session.ReturnSftp(client);
        }
    }

    public void Dispose()
    {
    }

    private static string KindName(ISftpFile file) =>
        file.IsNamedPipe ? "FIFO" : file.IsSocket ? "socket" : file.IsBlockDevice ? "block device" : file.IsCharacterDevice ? "character device" : "special file";

    private AutolabException Missing(string message, Exception? inner = null) =>
        new(
            ErrorIds.RemotePathNotFound,
            AutolabErrorCategory.ObjectNotFound,
            message + ". Check remote_repo_root (or -Source), and that the job has started writing its run directory.",
            Display,
            inner);
}
