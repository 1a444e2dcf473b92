using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Autolab.Slurm.Stage;

/// <summary>
/// What the hooks read from autolab's <c>.autolab/verifier_policy.yaml</c> (<c>slurm.monitor</c>): whether a
/// sync template is set (then autolab calls it after a completed poll), and the two timeouts autolab kills
/// the commands after (defaults 30 s and 180 s, as autolab's own). A missing or unreadable file gives the
/// defaults and no sync template: the hooks must still answer.
/// </summary>
public sealed record AutolabPolicy(string? PollCommandTemplate, TimeSpan PollTimeout, string? SyncCommandTemplate, TimeSpan SyncTimeout)
{
    public static readonly TimeSpan DefaultPollTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultSyncTimeout = TimeSpan.FromSeconds(180);

    public static AutolabPolicy Defaults { get; } = new(null, DefaultPollTimeout, null, DefaultSyncTimeout);

    public bool SyncTemplateSet => !string.IsNullOrWhiteSpace(SyncCommandTemplate);

    public static string PathFor(string repositoryRoot) => Path.Combine(repositoryRoot, ".autolab", "verifier_policy.yaml");

    public static AutolabPolicy Load(string repositoryRoot)
    {
        var path = PathFor(repositoryRoot);
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path)) : Defaults;
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            return Defaults;
        }
    }

    /// <summary>The slurm.monitor settings of a policy file's text (throws YamlException for text that is not YAML).</summary>
    public static AutolabPolicy Parse(string text)
    {
        using var reader = new StringReader(text);
        var stream = new YamlStream();
        stream.Load(reader);
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        var monitor = Child(Child(root, "slurm"), "monitor");
        return new AutolabPolicy(
            Text(monitor, "poll_command_template"),
            Seconds(monitor, "poll_timeout_seconds", DefaultPollTimeout),
            Text(monitor, "sync_command_template"),
            Seconds(monitor, "sync_timeout_seconds", DefaultSyncTimeout));
    }

    private static YamlMappingNode? Child(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node as YamlMappingNode : null;

    private static string? Text(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { } value } && value.Trim().Length > 0
            ? value.Trim()
            : null;

    private static TimeSpan Seconds(YamlMappingNode? map, string key, TimeSpan fallback) =>
        Text(map, key) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : fallback;
}
