using System.Collections.Concurrent;
using System.Text.Json;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Models;

namespace Autolab.Slurm.Slurm;

/// <summary>One row of schemas/slurm_states.json.</summary>
public sealed record SlurmStateRule(string State, string Code, string Status, bool Terminal, bool RefineWithSqueue);

/// <summary>
/// The Slurm state table, shipped as data (schemas/slurm_states.json) so a new Slurm state is one line,
/// loaded once per file. Lookup accepts long names, short codes, <c>CANCELLED by 1234</c> and the
/// truncated <c>CANCELLED+</c>; anything unlisted is unknown.
/// </summary>
public sealed class SlurmStateTable
{
    public const string FileName = "slurm_states.json";
    public const string UnknownState = "UNKNOWN";

    private static readonly ConcurrentDictionary<string, SlurmStateTable> Loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SlurmStateRule> _byName;

    public SlurmStateTable(int version, IEnumerable<SlurmStateRule> rules)
    {
        Version = version;
        Rules = rules.ToArray();
        _byName = new Dictionary<string, SlurmStateRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in Rules)
        {
            _byName[rule.State] = rule;
            _byName[rule.Code] = rule;
        }
    }

    public int Version { get; }

    public IReadOnlyList<SlurmStateRule> Rules { get; }

    public static SlurmStateTable Load(string path)
    {
        var full = Path.GetFullPath(path);
        return Loaded.GetOrAdd(full, static p => Parse(p));
    }

    private static SlurmStateTable Parse(string path)
    {
        if (!File.Exists(path))
        {
            throw new AutolabException(
                ErrorIds.SchemaNotFound,
                AutolabErrorCategory.ResourceUnavailable,
                $"The Slurm state table '{path}' is missing. Reinstall the module (it ships schemas/{FileName}).",
                path);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var version = root.GetProperty("version").GetInt32();
            var rules = new List<SlurmStateRule>();
            foreach (var item in root.GetProperty("states").EnumerateArray())
            {
                var status = item.GetProperty("status").GetString()!;
                if (!JobStatus.All.Contains(status))
                {
                    throw new FormatException($"state '{item.GetProperty("state").GetString()}' maps to '{status}', which is not a job status");
                }

                rules.Add(new SlurmStateRule(
                    item.GetProperty("state").GetString()!.ToUpperInvariant(),
                    item.GetProperty("code").GetString()!.ToUpperInvariant(),
                    status,
                    item.GetProperty("terminal").GetBoolean(),
                    item.TryGetProperty("refineWithSqueue", out var refine) && refine.GetBoolean()));
            }

            return new SlurmStateTable(version, rules);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new AutolabException(
                ErrorIds.SchemaNotFound,
                AutolabErrorCategory.InvalidData,
                $"The Slurm state table '{path}' is malformed: {ErrorText.Clause(ex.Message)}. Reinstall the module.",
                path,
                ex);
        }
    }

    /// <summary>The upper-case base token of a raw state: <c>CANCELLED by 0</c> and <c>CANCELLED+</c> give <c>CANCELLED</c>.</summary>
    public static string BaseToken(string? rawState)
    {
        if (string.IsNullOrWhiteSpace(rawState))
        {
            return UnknownState;
        }

        var text = rawState.Trim();
        var end = 0;
        while (end < text.Length && (char.IsLetter(text[end]) || text[end] == '_'))
        {
            end++;
        }

        return end == 0 ? UnknownState : text[..end].ToUpperInvariant();
    }

    /// <summary>The rule for a raw state, or null when the state is not listed (then the job is unknown).</summary>
    public SlurmStateRule? Find(string? rawState)
    {
        var token = BaseToken(rawState);
        return _byName.TryGetValue(token, out var rule) ? rule : null;
    }

    public string StatusOf(string? rawState) => Find(rawState)?.Status ?? JobStatus.Unknown;

    public bool IsTerminal(string? rawState) => Find(rawState)?.Terminal ?? false;
}
