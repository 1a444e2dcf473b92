using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Autolab.Slurm.Schema;

/// <summary>
/// Validates documents against a JSON Schema file through <see cref="SchemaLowering"/> and NJsonSchema.
/// Compiled schemas are cached per file (path, size, write time) so a warm session validates in microseconds.
/// </summary>
public static class JsonSchemaValidator
{
    private static readonly ConcurrentDictionary<string, (DateTime Stamp, long Length, JsonSchema Schema)> Cache = new(StringComparer.Ordinal);

    // No format validators: lowering drops "format" (autolab treats it as an annotation), and NJsonSchema's
    // default set costs tens of milliseconds to build on a cold start for nothing.
    private static readonly NJsonSchema.Validation.JsonSchemaValidator Validator = new(new JsonSchemaValidatorSettings
    {
        FormatValidators = Array.Empty<NJsonSchema.Validation.FormatValidators.IFormatValidator>(),
    });

    public static JsonSchema Load(string schemaPath)
    {
        var full = Path.GetFullPath(schemaPath);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new AutolabException(
                ErrorIds.SchemaNotFound,
                AutolabErrorCategory.ResourceUnavailable,
                $"The schema '{full}' does not exist. Restore it (autolab's scaffold ships .autolab/schemas/run_manifest.schema.json) or pass -SchemaPath.",
                full);
        }

        if (Cache.TryGetValue(full, out var cached) && cached.Stamp == info.LastWriteTimeUtc && cached.Length == info.Length)
        {
            return cached.Schema;
        }

        JToken document;
        try
        {
            document = ParseStrict(File.ReadAllText(full));
        }
        catch (JsonException ex)
        {
            throw new AutolabException(
                ErrorIds.SchemaNotFound,
                AutolabErrorCategory.InvalidData,
                $"The schema '{full}' is not valid JSON: {ErrorText.Clause(ex.Message)}. Restore it from autolab's scaffold or version control.",
                full,
                ex);
        }

        var lowered = SchemaLowering.Lower(document, full);
        var schema = SchemaCompiler.Compile(lowered, full);
        Cache[full] = (info.LastWriteTimeUtc, info.Length, schema);
        return schema;
    }

    /// <summary>Validation messages (empty when valid), one per problem, each with its JSON path.</summary>
    public static IReadOnlyList<string> Validate(JsonSchema schema, RawNode document) => Validate(schema, document, prune: true);

    /// <summary>With <paramref name="prune"/> false the whole document is converted (what tests compare the pruned validation with).</summary>
    internal static IReadOnlyList<string> Validate(JsonSchema schema, RawNode document, bool prune)
    {
        var errors = Validator.Validate(prune ? ToJToken(document, new[] { schema }) : ToJToken(document), schema, SchemaType.JsonSchema);
        var messages = new List<string>();
        Flatten(errors, messages, 0);
        return messages;
    }

    /// <summary>
    /// Converts the tree for validation, leaving out what no schema can look at. <paramref name="schemas"/> are
    /// every schema that may apply to <paramref name="node"/> (the ones reached through $ref, allOf, anyOf, oneOf,
    /// not and the lowered if/then/else are all included, whichever branch would be taken). A member's value is
    /// replaced by null when none of them constrains it (it is named by no properties and matched by no
    /// patternProperties, and additionalProperties allows anything): the lowered keyword set cannot see such a
    /// value, so the result is the same, and a large manifest's bulk (pulled_paths, metrics) is never copied.
    /// Below an enum or uniqueItems, which compare whole values, everything is kept.
    /// </summary>
    private static JToken ToJToken(RawNode node, IReadOnlyCollection<JsonSchema> schemas)
    {
        var applying = Expand(schemas);
        if (applying.Any(s => s.Enumeration.Count > 0 || s.UniqueItems))
        {
            return ToJToken(node);
        }

        switch (node)
        {
            case RawObject obj:
                {
                    var result = new JObject();
                    foreach (var property in obj.Properties)
                    {
                        var member = MemberSchemas(applying, property.Name);
                        result[property.Name] = member is null ? JValue.CreateNull() : ToJToken(property.Value, member);
                    }

                    return result;
                }

            case RawArray array:
                {
                    var items = applying.Where(s => s.Item is not null).Select(s => s.Item!).ToArray();
                    return items.Length == 0 || Expand(items).All(IsUnconstrained)
                        ? new JArray(array.Items.Select(_ => JValue.CreateNull()))
                        : new JArray(array.Items.Select(item => ToJToken(item, items)));
                }

            default:
                return ToJToken(node);
        }
    }

    /// <summary>The schemas that may apply to member <paramref name="name"/> of an object; null when none constrains its value.</summary>
    private static List<JsonSchema>? MemberSchemas(IReadOnlyCollection<JsonSchema> applying, string name)
    {
        var member = new List<JsonSchema>();
        foreach (var schema in applying)
        {
            if (schema.Properties.TryGetValue(name, out var named))
            {
                member.Add(named);
            }

            // Every pattern is taken as matching: a superset only keeps more of the document.
            member.AddRange(schema.PatternProperties.Values);
            // additionalProperties false refuses the key whatever its value; a schema refuses or checks the value.
            if (!schema.Properties.ContainsKey(name) && schema.AdditionalPropertiesSchema is { } additional)
            {
                member.Add(additional);
            }
        }

        return member.Count == 0 || Expand(member).All(IsUnconstrained) ? null : member;
    }

    /// <summary>The schemas together with every schema they reach at the same place in the document.</summary>
    private static List<JsonSchema> Expand(IEnumerable<JsonSchema> schemas)
    {
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<JsonSchema>(schemas);
        var result = new List<JsonSchema>();
        while (pending.Count > 0)
        {
            var schema = pending.Pop();
            if (!seen.Add(schema))
            {
                continue;
            }

            result.Add(schema);
            if (schema.Reference is { } reference)
            {
                pending.Push(reference);
            }

            if (schema.Not is { } not)
            {
                pending.Push(not);
            }

            foreach (var child in schema.AllOf.Concat(schema.AnyOf).Concat(schema.OneOf))
            {
                pending.Push(child);
            }
        }

        return result;
    }

    /// <summary>Whether the schema accepts every value: none of the keywords the compiler sets is present.</summary>
    private static bool IsUnconstrained(JsonSchema s) =>
        s.Type == JsonObjectType.None
        && s.Enumeration.Count == 0
        && s.RequiredProperties.Count == 0
        && s.Properties.Count == 0
        && s.PatternProperties.Count == 0
        && s.AllowAdditionalProperties
        && s.AdditionalPropertiesSchema is null
        && s.Item is null
        && s.AllOf.Count == 0
        && s.AnyOf.Count == 0
        && s.OneOf.Count == 0
        && s.Not is null
        && s.Reference is null
        && s.MinLength is null
        && s.MaxLength is null
        && s.Minimum is null
        && s.Maximum is null
        && s.MultipleOf is null
        && s.Pattern is null
        && s.MinItems == 0
        && s.MaxItems == 0
        && !s.UniqueItems;

    /// <summary>
    /// Converts the text-preserving tree to a Newtonsoft token for validation. An integral number
    /// written as <c>1.0</c> becomes an integer: in draft 2020-12 (and autolab's Python validator)
    /// 1.0 is an integer.
    /// </summary>
    public static JToken ToJToken(RawNode node)
    {
        switch (node)
        {
            case RawObject obj:
                {
                    var result = new JObject();
                    foreach (var property in obj.Properties)
                    {
                        result[property.Name] = ToJToken(property.Value);
                    }

                    return result;
                }

            case RawArray array:
                return new JArray(array.Items.Select(ToJToken));
            case RawScalar scalar:
                return scalar.Kind switch
                {
                    RawScalarKind.String => new JValue(scalar.StringValue),
                    RawScalarKind.True => new JValue(true),
                    RawScalarKind.False => new JValue(false),
                    RawScalarKind.Null => JValue.CreateNull(),
                    _ => NumberToken(scalar.Text),
                };
            default:
                throw new ArgumentException("Unknown node " + node.GetType().Name, nameof(node));
        }
    }

    private static JValue NumberToken(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return new JValue(l);
        }

        if (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
        {
            return new JValue(big);
        }

        var d = text switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        if (Math.Floor(d) == d && Math.Abs(d) < 9.2e18)
        {
            return new JValue((long)d);
        }

        return new JValue(d);
    }

    private static JToken ParseStrict(string text)
    {
        using var reader = new JsonTextReader(new StringReader(text))
        {
            DateParseHandling = DateParseHandling.None,
            FloatParseHandling = FloatParseHandling.Double,
        };
        var token = JToken.ReadFrom(reader);
        while (reader.Read())
        {
            if (reader.TokenType != JsonToken.Comment)
            {
                throw new JsonReaderException("Unexpected text after the JSON value");
            }
        }

        return token;
    }

    private static void Flatten(IEnumerable<ValidationError> errors, List<string> messages, int depth)
    {
        foreach (var error in errors)
        {
            var path = string.IsNullOrEmpty(error.Path) ? "#" : error.Path;
            var what = error.Property is { Length: > 0 } p && error.Kind is ValidationErrorKind.PropertyRequired
                ? $"required property '{p}' is missing"
                : Describe(error.Kind);
            messages.Add(new string(' ', depth * 2) + path + ": " + what);
            if (error is ChildSchemaValidationError child && depth < 4)
            {
                foreach (var nested in child.Errors.Values)
                {
                    Flatten(nested, messages, depth + 1);
                }
            }
        }
    }

    private static string Describe(ValidationErrorKind kind) => kind switch
    {
        ValidationErrorKind.NotInEnumeration => "value is not one of the allowed values",
        ValidationErrorKind.NotAnyOf => "matches none of the allowed alternatives (a conditional rule such as a SLURM job id or completed_at may be unmet)",
        ValidationErrorKind.ExcludedSchemaValidates => "matches a schema it must not match",
        ValidationErrorKind.StringTooShort => "string is too short (empty?)",
        _ => kind.ToString(),
    };
}
