using System.Globalization;
using Autolab.Slurm.Errors;
using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace Autolab.Slurm.Schema;

/// <summary>
/// Builds NJsonSchema's object model straight from a lowered schema (see <see cref="SchemaLowering"/>),
/// instead of NJsonSchema's own JSON reader: the reader sets up Newtonsoft contracts by reflection and
/// costs about 300 ms in a cold process, where the stage has to stay quick. The lowering step has already
/// reduced the schema to the keywords handled here; local references (<c>#/definitions/x</c>, any
/// <c>#/...</c> pointer) resolve to the compiled target.
/// </summary>
public sealed class SchemaCompiler
{
    private readonly JToken _root;
    private readonly string _path;
    private readonly Dictionary<JToken, JsonSchema> _compiled = new(ReferenceEqualityComparer.Instance);

    private SchemaCompiler(JToken root, string path)
    {
        _root = root;
        _path = path;
    }

    public static JsonSchema Compile(JToken lowered, string schemaPath) => new SchemaCompiler(lowered, schemaPath).CompileRoot();

    private JsonSchema CompileRoot()
    {
        var schema = new JsonSchema();
        Fill(schema, (JObject)_root);
        return schema;
    }

    private T Compile<T>(JToken token)
        where T : JsonSchema, new()
    {
        if (token is not JObject obj)
        {
            throw Unsupported("#", "a schema must be an object");
        }

        if (typeof(T) == typeof(JsonSchema) && _compiled.TryGetValue(token, out var done))
        {
            return (T)done;
        }

        var schema = new T();
        if (typeof(T) == typeof(JsonSchema))
        {
            // Registered before its children so recursive references end up on this object.
            _compiled[token] = schema;
        }

        Fill(schema, obj);
        return schema;
    }

    private void Fill(JsonSchema schema, JObject obj)
    {
        foreach (var property in obj.Properties())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "$schema":
                case "$id":
                case "$comment":
                case "$anchor":
                case "title":
                case "description":
                case "default":
                case "examples":
                case "deprecated":
                case "readOnly":
                case "writeOnly":
                case "contentMediaType":
                case "contentEncoding":
                case "definitions":
                    // Annotations; definitions are compiled when a reference reaches them.
                    break;
                case "type":
                    schema.Type = TypeOf(value);
                    break;
                case "enum":
                    foreach (var item in (JArray)value)
                    {
                        schema.Enumeration.Add(item is JValue v ? v.Value : item.ToString(Newtonsoft.Json.Formatting.None));
                    }

                    break;
                case "required":
                    foreach (var name in (JArray)value)
                    {
                        schema.RequiredProperties.Add((string)name!);
                    }

                    break;
                case "properties":
                    foreach (var entry in ((JObject)value).Properties())
                    {
                        schema.Properties[entry.Name] = Compile<JsonSchemaProperty>(entry.Value);
                    }

                    break;
                case "patternProperties":
                    foreach (var entry in ((JObject)value).Properties())
                    {
                        schema.PatternProperties[entry.Name] = Compile<JsonSchemaProperty>(entry.Value);
                    }

                    break;
                case "additionalProperties":
                    if (value.Type == JTokenType.Boolean)
                    {
                        schema.AllowAdditionalProperties = (bool)value;
                    }
                    else
                    {
                        schema.AdditionalPropertiesSchema = Compile<JsonSchema>(value);
                    }

                    break;
                case "items":
                    schema.Item = Compile<JsonSchema>(value);
                    break;
                case "allOf":
                    foreach (var item in (JArray)value)
                    {
                        schema.AllOf.Add(Compile<JsonSchema>(item));
                    }

                    break;
                case "anyOf":
                    foreach (var item in (JArray)value)
                    {
                        schema.AnyOf.Add(Compile<JsonSchema>(item));
                    }

                    break;
                case "oneOf":
                    foreach (var item in (JArray)value)
                    {
                        schema.OneOf.Add(Compile<JsonSchema>(item));
                    }

                    break;
                case "not":
                    schema.Not = Compile<JsonSchema>(value);
                    break;
                case "minLength":
                    schema.MinLength = (int)value;
                    break;
                case "maxLength":
                    schema.MaxLength = (int)value;
                    break;
                case "minimum":
                    schema.Minimum = (decimal)value;
                    break;
                case "maximum":
                    schema.Maximum = (decimal)value;
                    break;
                case "multipleOf":
                    schema.MultipleOf = (decimal)value;
                    break;
                case "pattern":
                    schema.Pattern = (string)value!;
                    break;
                case "minItems":
                    schema.MinItems = (int)value;
                    break;
                case "maxItems":
                    schema.MaxItems = (int)value;
                    break;
                case "uniqueItems":
                    schema.UniqueItems = (bool)value;
                    break;
                case "$ref":
                    schema.Reference = Resolve((string)value!);
                    break;
                default:
                    throw Unsupported("#", $"the keyword '{property.Name}' reached the compiler");
            }
        }
    }

    private JsonSchema Resolve(string reference)
    {
        if (!reference.StartsWith('#'))
        {
            throw Unsupported(reference, "only local references (#/...) are supported");
        }

        var token = _root;
        foreach (var raw in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            token = token switch
            {
                JObject obj when obj[segment] is { } child => child,
                JArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => throw Unsupported(reference, "the reference points at nothing"),
            };
        }

        return ReferenceEquals(token, _root) ? CompileRootReference() : Compile<JsonSchema>(token);
    }

    private JsonSchema CompileRootReference() =>
        _compiled.TryGetValue(_root, out var root) ? root : Compile<JsonSchema>(_root);

    private JsonObjectType TypeOf(JToken value)
    {
        var names = value is JArray array ? array.Select(t => (string)t!) : new[] { (string)value! };
        var type = JsonObjectType.None;
        foreach (var name in names)
        {
            type |= name switch
            {
                "string" => JsonObjectType.String,
                "integer" => JsonObjectType.Integer,
                "number" => JsonObjectType.Number,
                "boolean" => JsonObjectType.Boolean,
                "object" => JsonObjectType.Object,
                "array" => JsonObjectType.Array,
                "null" => JsonObjectType.Null,
                _ => throw Unsupported("#", $"unknown type '{name}'"),
            };
        }

        return type;
    }

    private AutolabException Unsupported(string pointer, string detail) =>
        new(
            ErrorIds.SchemaKeywordUnsupported,
            AutolabErrorCategory.InvalidData,
            $"The schema '{_path}' cannot be enforced: at {pointer}, {detail}. Nothing was validated or written; simplify the schema to the keywords listed in about_Autolab.Slurm.",
            _path);
}
