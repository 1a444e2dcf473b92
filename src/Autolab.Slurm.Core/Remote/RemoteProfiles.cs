using System.Globalization;
using Autolab.Slurm.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Autolab.Slurm.Remote;

public static class ProfileMode
{
    public const string SharedFs = "shared_fs";
    public const string GitCheckout = "git_checkout";
    public const string VerifyOnly = "verify_only";
}

/// <summary>artifact_pull: whether and what to pull (patterns are repo-relative globs with placeholders).</summary>
public sealed record ArtifactPullPolicy(bool Enabled, IReadOnlyList<string> AllowPatterns, double MaxFileSizeMb);

/// <summary>data_policy: local_sync (allowed or forbidden) and the deny patterns.</summary>
public sealed record DataPolicy(string LocalSync, IReadOnlyList<string> DenyPatterns)
{
    public bool Forbidden => LocalSync == "forbidden";
}

/// <summary>One profile of .autolab/remote_profiles.yaml.</summary>
public sealed record RemoteProfile(
    string Name,
    string Mode,
    string? LoginHost,
    string? RemoteRepoRoot,
    ArtifactPullPolicy ArtifactPull,
    DataPolicy DataPolicy)
{
    public bool IsSharedFilesystem => Mode == ProfileMode.SharedFs;
}

/// <summary>
/// Reads <c>.autolab/remote_profiles.yaml</c> (YamlDotNet) with autolab's defaults: mode
/// <c>standalone</c> means git_checkout; artifact_pull is disabled unless enabled; max_file_size_mb 50
/// (0 = no cap); local_sync allowed.
/// </summary>
public static class RemoteProfiles
{
    public const string RelativePath = ".autolab/remote_profiles.yaml";

    public static string PathFor(string repositoryRoot) => Path.Combine(repositoryRoot, ".autolab", "remote_profiles.yaml");

    /// <summary>The named profile, else the file's default_profile.</summary>
    public static RemoteProfile Resolve(string repositoryRoot, string? profileName)
    {
        var path = PathFor(repositoryRoot);
        if (!File.Exists(path))
        {
            throw new AutolabException(
                ErrorIds.ProfileNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The run names the remote profile '{profileName ?? "(default)"}', but '{path}' does not exist. Restore .autolab/remote_profiles.yaml, or pass -Source.",
                path);
        }

        YamlMappingNode root;
        try
        {
            using var reader = new StreamReader(path);
            var stream = new YamlStream();
            stream.Load(reader);
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode mapping
                ? mapping
                : throw Invalid(path, null, "the file must hold a mapping");
        }
        catch (YamlException ex)
        {
            throw Invalid(path, ex.Start.Line, ex.Message, ex);
        }

        var profiles = root.Children.TryGetValue(new YamlScalarNode("profiles"), out var p) ? p as YamlMappingNode : null;
        var name = profileName;
        if (string.IsNullOrWhiteSpace(name))
        {
            name = Scalar(root, "default_profile", path);
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new AutolabException(
                    ErrorIds.ProfileNotFound,
                    AutolabErrorCategory.ObjectNotFound,
                    $"No remote profile is selected: the run names none and '{path}' has no default_profile. Set default_profile or the manifest's remote_execution.profile.",
                    path);
            }
        }

        if (profiles is null || !profiles.Children.TryGetValue(new YamlScalarNode(name), out var node))
        {
            throw new AutolabException(
                ErrorIds.ProfileNotFound,
                AutolabErrorCategory.ObjectNotFound,
                $"The remote profile '{name}' is not defined in '{path}'. Add it under 'profiles:', or fix the manifest's remote_execution.profile.",
                path);
        }

        if (node is not YamlMappingNode profile)
        {
            throw Invalid(path, node.Start.Line, $"remote profile '{name}' must be a mapping");
        }

        var mode = (Scalar(profile, "mode", path) ?? string.Empty).Trim().ToLowerInvariant();
        mode = mode switch
        {
            "" or "standalone" => ProfileMode.GitCheckout,
            ProfileMode.SharedFs or ProfileMode.GitCheckout or ProfileMode.VerifyOnly => mode,
            _ => throw Invalid(path, LineOf(profile, "mode"), $"unknown mode '{mode}' in profile '{name}'; use shared_fs, git_checkout, verify_only (or legacy standalone)"),
        };

        var pull = profile.Children.TryGetValue(new YamlScalarNode("artifact_pull"), out var pullNode) ? pullNode as YamlMappingNode : null;
        var policy = profile.Children.TryGetValue(new YamlScalarNode("data_policy"), out var policyNode) ? policyNode as YamlMappingNode : null;
        var enabled = pull is not null && Boolean(pull, "enabled", path, false);
        var allow = pull is null ? Array.Empty<string>() : List(pull, "allow_patterns", path);
        var cap = pull is null ? 50.0 : Number(pull, "max_file_size_mb", path, 50.0);
        var localSync = ((policy is null ? null : Scalar(policy, "local_sync", path)) ?? "allowed").Trim().ToLowerInvariant();
        if (localSync is not ("allowed" or "forbidden"))
        {
            throw Invalid(path, policy is null ? null : LineOf(policy, "local_sync"), $"data_policy.local_sync must be one of allowed, forbidden (profile '{name}' says '{localSync}')");
        }

        var deny = policy is null ? Array.Empty<string>() : List(policy, "deny_patterns", path);
        var loginHost = Scalar(profile, "login_host", path);
        var remoteRoot = Scalar(profile, "remote_repo_root", path);
        if (mode != ProfileMode.SharedFs && string.IsNullOrWhiteSpace(loginHost))
        {
            throw Invalid(path, profile.Start.Line, $"login_host must be configured for the remote profile '{name}' (mode {mode})");
        }

        return new RemoteProfile(name, mode, loginHost?.Trim(), remoteRoot?.Trim(), new ArtifactPullPolicy(enabled, allow, cap), new DataPolicy(localSync, deny));
    }

    /// <summary>The 1-based line of <paramref name="key"/>'s value, for messages that point at the bad value.</summary>
    private static long? LineOf(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node.Start.Line : map.Start.Line;

    private static string? Scalar(YamlMappingNode map, string key, string path)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return null;
        }

        return node switch
        {
            YamlScalarNode scalar => scalar.Value,
            _ => throw Invalid(path, node.Start.Line, $"'{key}' must be a single value"),
        };
    }

    private static bool Boolean(YamlMappingNode map, string key, string path, bool fallback)
    {
        var text = Scalar(map, key, path);
        return text is null
            ? fallback
            : text.Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => throw Invalid(path, LineOf(map, key), $"'{key}' must be true or false, not '{text}'"),
            };
    }

    private static double Number(YamlMappingNode map, string key, string path, double fallback)
    {
        var text = Scalar(map, key, path);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw Invalid(path, LineOf(map, key), $"'{key}' must be a number of megabytes (0 = no cap), not '{text}'");
    }

    private static IReadOnlyList<string> List(YamlMappingNode map, string key, string path)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return Array.Empty<string>();
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw Invalid(path, node.Start.Line, $"'{key}' must be a list of patterns");
        }

        return sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value?.Trim() ?? string.Empty).Where(s => s.Length > 0).ToArray();
    }

    private static AutolabException Invalid(string path, long? line, string detail, Exception? inner = null) =>
        new(
            ErrorIds.ProfileInvalid,
            AutolabErrorCategory.InvalidData,
            $"'{path}'{(line is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" (line {line})"))} is not a valid remote profiles file: {detail}. Fix the file and run again.",
            path,
            inner);
}
