using System.Text.RegularExpressions;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Manifest;
using Autolab.Slurm.Remote;
using Autolab.Slurm.Repository;

namespace Autolab.Slurm.Artifacts;

public enum SyncSourceKind
{
    /// <summary>The job wrote into the run directory itself: verify in place.</summary>
    SharedFilesystem,

    /// <summary>A local directory elsewhere (-Source /path).</summary>
    LocalDirectory,

    /// <summary>A run directory on a login node, over SSH/SFTP.</summary>
    Remote,

    /// <summary>Nothing is pulled (pull disabled, verify_only): the sync is ok with no paths.</summary>
    NoPull,

    /// <summary>The policy forbids the pull: the sync fails with <see cref="SyncSourcePlan.FailureReason"/>.</summary>
    Refused,
}

/// <summary>Where a run's artifacts come from and under which policy, decided before anything is touched.</summary>
public sealed record SyncSourcePlan
{
    public required SyncSourceKind Kind { get; init; }

    public required SyncRequest Request { get; init; }

    /// <summary>Local source directory, or the remote directory on <see cref="Host"/>.</summary>
    public string? Path { get; init; }

    /// <summary>The SSH target as written (an ssh config alias, or a host name).</summary>
    public string? Host { get; init; }

    public string? User { get; init; }

    public RemoteProfile? Profile { get; init; }

    public string? FailureReason { get; init; }

    public string Display => Kind switch
    {
        SyncSourceKind.Remote => (User is null ? string.Empty : User + "@") + Host + ":" + Path,
        _ => Path ?? Request.RunDirectory,
    };
}

/// <summary>Options the cmdlet passes on.</summary>
public sealed record SyncOptions
{
    public string? Source { get; init; }

    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    public int? MaxFileSizeMb { get; init; }

    public int ThrottleLimit { get; init; } = 4;
}

/// <summary>
/// Decides the source: -Source (a local folder or [user@]host:/path), else the manifest's
/// remote_execution resolved through .autolab/remote_profiles.yaml, else the shared filesystem.
/// Applies the profile's policy (allow and deny patterns with placeholders, the size cap, local_sync).
/// </summary>
public static partial class SyncSourceResolver
{
    public static SyncSourcePlan Resolve(RunManifestDocument manifest, SyncOptions options)
    {
        var runDirectory = System.IO.Path.GetDirectoryName(manifest.Path)!;
        var repositoryRoot = RepositoryLocator.FindRoot(manifest.Path);
        var pathBase = repositoryRoot ?? runDirectory;
        var runRelative = RepositoryLocator.ToRepoRelative(pathBase, runDirectory);
        var iterationPath = runRelative.EndsWith("/runs/" + System.IO.Path.GetFileName(runDirectory), StringComparison.Ordinal)
            ? runRelative[..runRelative.LastIndexOf("/runs/", StringComparison.Ordinal)]
            : System.IO.Path.GetDirectoryName(runRelative)?.Replace('\\', '/') ?? string.Empty;
        var placeholders = new Dictionary<string, string>
        {
            ["iteration_id"] = manifest.IterationId ?? string.Empty,
            ["run_id"] = manifest.RunId ?? System.IO.Path.GetFileName(runDirectory),
            ["iteration_path"] = iterationPath,
            ["run_dir"] = runRelative,
        };

        var remoteExecution = manifest.Root.GetObject("remote_execution");
        RemoteProfile? profile = null;
        if (remoteExecution is not null && repositoryRoot is not null)
        {
            profile = RemoteProfiles.Resolve(repositoryRoot, remoteExecution.GetPathText("profile") is { Length: > 0 } name ? name : null);
        }

        var request = new SyncRequest
        {
            ManifestPath = manifest.Path,
            RunDirectory = runDirectory,
            PathBase = pathBase,
            RunId = manifest.RunId,
            RunIsTerminal = Models.RunStatus.IsTerminal(Models.RunStatus.Canonicalize(manifest.RawStatus)),
            Include = options.Include.Select(p => new GlobPattern(p)).ToArray(),
            Exclude = options.Exclude.Select(p => new GlobPattern(p)).ToArray(),
            ThrottleLimit = options.ThrottleLimit,
            MaxFileBytes = options.MaxFileSizeMb is { } mb ? (mb == 0 ? null : mb * 1024L * 1024L) : null,
        };

        if (profile is not null)
        {
            var allow = profile.ArtifactPull.AllowPatterns.Count == 0 ? new[] { "{run_dir}/**" } : profile.ArtifactPull.AllowPatterns;
            var cap = profile.ArtifactPull.MaxFileSizeMb <= 0 ? (long?)null : (long)(profile.ArtifactPull.MaxFileSizeMb * 1024 * 1024);
            request = request with
            {
                AllowPatterns = allow.Select(p => new GlobPattern(GlobPattern.Expand(p, placeholders))).ToArray(),
                DenyPatterns = profile.DataPolicy.DenyPatterns.Select(p => new GlobPattern(GlobPattern.Expand(p, placeholders))).ToArray(),
                MaxFileBytes = options.MaxFileSizeMb is null ? cap : request.MaxFileBytes,
            };
        }

        // The data policy holds whatever the source: local_sync forbidden without allow patterns refuses any pull.
        if (profile is not null && profile.DataPolicy.Forbidden && profile.ArtifactPull.AllowPatterns.Count == 0
            && (!string.IsNullOrWhiteSpace(options.Source) || (profile.ArtifactPull.Enabled && profile.Mode != ProfileMode.VerifyOnly && !profile.IsSharedFilesystem)))
        {
            return Refused(request, profile, "artifact pull allow_patterns must be configured when data_policy.local_sync is forbidden");
        }

        if (!string.IsNullOrWhiteSpace(options.Source))
        {
            return FromExplicitSource(options.Source!, request, profile);
        }

        if (profile is null || profile.IsSharedFilesystem)
        {
            return new SyncSourcePlan { Kind = SyncSourceKind.SharedFilesystem, Request = request, Profile = profile, Path = runDirectory };
        }

        if (profile.Mode == ProfileMode.VerifyOnly || !profile.ArtifactPull.Enabled)
        {
            return profile.DataPolicy.Forbidden
                ? Refused(request, profile, "artifact pull is disabled while local_sync is forbidden")
                : new SyncSourcePlan { Kind = SyncSourceKind.NoPull, Request = request, Profile = profile };
        }

        if (profile.DataPolicy.Forbidden && profile.ArtifactPull.AllowPatterns.Count == 0)
        {
            return Refused(request, profile, "artifact pull allow_patterns must be configured when data_policy.local_sync is forbidden");
        }

        return new SyncSourcePlan
        {
            Kind = SyncSourceKind.Remote,
            Request = request,
            Profile = profile,
            Host = profile.LoginHost,
            Path = RemoteRunDirectory(profile, remoteExecution!, runRelative, iterationPath, manifest),
        };
    }

    /// <summary>
    /// The run's directory on the login node: remote_repo_root plus the run directory's repo-relative path,
    /// or remote_execution.remote_iteration_dir (absolute) in place of the iteration part.
    /// </summary>
    public static string RemoteRunDirectory(RemoteProfile profile, RawObject remoteExecution, string runRelative, string iterationPath, RunManifestDocument manifest)
    {
        var iterationDir = remoteExecution.GetPathText("remote_iteration_dir");
        if (!string.IsNullOrEmpty(iterationDir))
        {
            var suffix = runRelative.StartsWith(iterationPath + "/", StringComparison.Ordinal) ? runRelative[(iterationPath.Length + 1)..] : "runs/" + manifest.RunId;
            return iterationDir.TrimEnd('/') + "/" + suffix;
        }

        var root = remoteExecution.GetPathText("remote_repo_root") is { Length: > 0 } fromManifest ? fromManifest : profile.RemoteRepoRoot;
        if (string.IsNullOrEmpty(root))
        {
            throw new AutolabException(
                ErrorIds.ProfileInvalid,
                AutolabErrorCategory.InvalidData,
                $"The remote profile '{profile.Name}' has no remote_repo_root, so the run's remote directory is unknown. Set remote_repo_root in .autolab/remote_profiles.yaml.",
                profile.Name);
        }

        return root.TrimEnd('/') + "/" + runRelative;
    }

    private static SyncSourcePlan FromExplicitSource(string source, SyncRequest request, RemoteProfile? profile)
    {
        var match = RemoteSpec().Match(source);
        if (match.Success)
        {
            return new SyncSourcePlan
            {
                Kind = SyncSourceKind.Remote,
                Request = request,
                Profile = profile,
                User = match.Groups["user"].Success ? match.Groups["user"].Value : null,
                Host = match.Groups["host"].Value,
                Path = match.Groups["path"].Value,
            };
        }

        var full = System.IO.Path.GetFullPath(source);
        return string.Equals(System.IO.Path.TrimEndingDirectorySeparator(full), System.IO.Path.TrimEndingDirectorySeparator(request.RunDirectory), StringComparison.Ordinal)
            ? new SyncSourcePlan { Kind = SyncSourceKind.SharedFilesystem, Request = request, Profile = profile, Path = full }
            : new SyncSourcePlan { Kind = SyncSourceKind.LocalDirectory, Request = request, Profile = profile, Path = full };
    }

    private static SyncSourcePlan Refused(SyncRequest request, RemoteProfile profile, string reason) =>
        new() { Kind = SyncSourceKind.Refused, Request = request, Profile = profile, FailureReason = reason };

    /// <summary><c>[user@]host:/absolute/path</c>; the host may be an ssh config alias.</summary>
    [GeneratedRegex(@"^(?:(?<user>[A-Za-z0-9._-]+)@)?(?<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?<path>/.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex RemoteSpec();
}
