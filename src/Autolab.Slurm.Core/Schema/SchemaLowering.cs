using Autolab.Slurm.Errors;
using Newtonsoft.Json.Linq;

namespace Autolab.Slurm.Schema;

/// <summary>
/// NJsonSchema 11.6.2 silently ignores the draft 2019/2020 keywords <c>if</c>/<c>then</c>/<c>else</c> and
/// <c>const</c>, which autolab's schema relies on. This step rewrites them into keywords it does enforce
/// (autolab-contract.md, last section) and refuses any keyword neither it nor NJsonSchema handles, so a
/// schema is never validated silently wrong:
/// <list type="bullet">
/// <item><c>if A then B else C</c> becomes <c>anyOf: [{allOf: [A, B]}, {allOf: [{not: A}, C]}]</c>;</item>
/// <item>without <c>else</c>: <c>anyOf: [{not: A}, B]</c>; without <c>then</c>: <c>anyOf: [A, C]</c>;</item>
/// <item><c>const: v</c> becomes <c>enum: [v]</c>;</item>
/// <item><c>$ref</c> beside other keywords becomes <c>allOf: [{$ref}, {rest}]</c> (2020-12 applies both);</item>
/// <item><c>format</c> is dropped: autolab treats it as an annotation.</item>
/// </list>
/// The rewritten parts are appended to the schema's <c>allOf</c>, so existing combinators keep their meaning.
/// </summary>
public static class SchemaLowering
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly", "contentMediaType", "contentEncoding",
    };

    private static readonly HashSet<string> Enforced = new(StringComparer.Ordinal)
    {
        "type", "enum", "required", "minLength", "maxLength", "minimum", "maximum", "pattern",
        "minItems", "maxItems", "uniqueItems", "multipleOf",
    };

    private static readonly HashSet<string> SchemaValued = new(StringComparer.Ordinal) { "not", "items" };

    private static readonly HashSet<string> SchemaArrays = new(StringComparer.Ordinal) { "allOf", "anyOf", "oneOf" };

    private static readonly HashSet<string> SchemaMaps = new(StringComparer.Ordinal)
    {
        "properties", "patternProperties", "$defs", "definitions",
    };

    /// <summary>Rewrites <paramref name="schema"/> (a parsed schema document) into the subset NJsonSchema enforces.</summary>
    /// <param name="schemaPath">Named in errors.</param>
    public static JToken Lower(JToken schema, string schemaPath) => LowerSchema(schema, "#", schemaPath, isRoot: true);

    private static JToken LowerSchema(JToken schema, string pointer, string schemaPath, bool isRoot = false)
    {
        switch (schema)
        {
            case JValue { Type: JTokenType.Boolean } b:
                // Boolean schemas: true accepts everything, false nothing.
                return (bool)b.Value! ? new JObject() : new JObject { ["not"] = new JObject() };
            case JObject obj:
                return LowerObject(obj, pointer, schemaPath, isRoot);
            default:
                throw Unsupported(schemaPath, pointer, $"a schema must be an object or a boolean, found {schema.Type}");
        }
    }

    private static JObject LowerObject(JObject obj, string pointer, string schemaPath, bool isRoot)
    {
        var result = new JObject();
        var extraAllOf = new List<JToken>();
        JToken? ifSchema = null;
        JToken? thenSchema = null;
        JToken? elseSchema = null;
        JToken? reference = null;

        foreach (var property in obj.Properties())
        {
            var key = property.Name;
            var value = property.Value;
            var childPointer = pointer + "/" + Escape(key);
            if (key == "format")
            {
                continue;
            }

            if (Annotations.Contains(key))
            {
                // $schema/$id only make sense at the root; inside, they would start a new resolution scope.
                if (isRoot || (key != "$schema" && key != "$id"))
                {
                    result[key] = value.DeepClone();
                }

                continue;
            }

            if (Enforced.Contains(key))
            {
                result[key] = value.DeepClone();
                continue;
            }

            switch (key)
            {
                case "$ref":
                    reference = RewriteReference(value, childPointer, schemaPath);
                    continue;
                case "if":
                    ifSchema = LowerSchema(value, childPointer, schemaPath);
                    continue;
                case "then":
                    thenSchema = LowerSchema(value, childPointer, schemaPath);
                    continue;
                case "else":
                    elseSchema = LowerSchema(value, childPointer, schemaPath);
                    continue;
                case "const":
                    if (obj.ContainsKey("enum"))
                    {
                        extraAllOf.Add(new JObject { ["enum"] = new JArray(value.DeepClone()) });
                    }
                    else
                    {
                        result["enum"] = new JArray(value.DeepClone());
                    }

                    continue;
                case "additionalProperties":
                    result[key] = value.Type == JTokenType.Boolean ? value.DeepClone() : LowerSchema(value, childPointer, schemaPath);
                    continue;
            }

            if (SchemaValued.Contains(key))
            {
                if (key == "items" && value is JArray)
                {
                    throw Unsupported(schemaPath, childPointer, "'items' as an array (tuple validation) is not draft 2020-12; use a single schema");
                }

                result[key] = LowerSchema(value, childPointer, schemaPath);
                continue;
            }

            if (SchemaArrays.Contains(key))
            {
                if (value is not JArray array)
                {
                    throw Unsupported(schemaPath, childPointer, $"'{key}' must be an array of schemas");
                }

                var lowered = new JArray();
                for (var i = 0; i < array.Count; i++)
                {
                    lowered.Add(LowerSchema(array[i], childPointer + "/" + i, schemaPath));
                }

                result[key] = lowered;
                continue;
            }

            if (SchemaMaps.Contains(key))
            {
                if (value is not JObject map)
                {
                    throw Unsupported(schemaPath, childPointer, $"'{key}' must be an object of schemas");
                }

                var lowered = new JObject();
                foreach (var entry in map.Properties())
                {
                    lowered[entry.Name] = LowerSchema(entry.Value, childPointer + "/" + Escape(entry.Name), schemaPath);
                }

                // NJsonSchema resolves "#/definitions/x" but not 2020-12's "#/$defs/x": file both under
                // "definitions" (references are rewritten to match in RewriteReference).
                var target = key == "$defs" ? "definitions" : key;
                if (result[target] is JObject existing)
                {
                    foreach (var entry in lowered.Properties())
                    {
                        if (existing.ContainsKey(entry.Name))
                        {
                            throw Unsupported(schemaPath, childPointer, $"'{entry.Name}' is defined in both $defs and definitions");
                        }

                        existing[entry.Name] = entry.Value;
                    }
                }
                else
                {
                    result[target] = lowered;
                }

                continue;
            }

            throw Unsupported(schemaPath, childPointer, $"the keyword '{key}' cannot be enforced by this module's validator");
        }

        if (ifSchema is not null && (thenSchema is not null || elseSchema is not null))
        {
            var then = thenSchema ?? new JObject();
            if (elseSchema is null)
            {
                extraAllOf.Add(new JObject { ["anyOf"] = new JArray(new JObject { ["not"] = ifSchema }, then) });
            }
            else if (thenSchema is null)
            {
                extraAllOf.Add(new JObject { ["anyOf"] = new JArray(ifSchema, elseSchema) });
            }
            else
            {
                extraAllOf.Add(new JObject
                {
                    ["anyOf"] = new JArray(
                        new JObject { ["allOf"] = new JArray(ifSchema, then) },
                        new JObject { ["allOf"] = new JArray(new JObject { ["not"] = ifSchema.DeepClone() }, elseSchema)  }),
                });
            }
        }

        if (reference is not null)
        {
            var hasSiblings = result.Properties().Any(p => !Annotations.Contains(p.Name) && !SchemaMaps.Contains(p.Name));
            if (hasSiblings || extraAllOf.Count > 0)
            {
                extraAllOf.Insert(0, new JObject { ["$ref"] = reference });
            }
            else
            {
                result["$ref"] = reference;
            }
        }

        if (extraAllOf.Count > 0)
        {
            var allOf = result["allOf"] as JArray ?? new JArray();
            foreach (var item in extraAllOf)
            {
                allOf.Add(item);
            }

            result["allOf"] = allOf;
        }

        return result;
    }

    private static JToken RewriteReference(JToken value, string pointer, string schemaPath)
    {
        if (value.Type != JTokenType.String)
        {
            throw Unsupported(schemaPath, pointer, "'$ref' must be a string");
        }

        var text = (string)value!;
        if (!text.StartsWith('#'))
        {
            throw Unsupported(schemaPath, pointer, $"the reference '{text}' points outside the schema file; only local references (#/...) are supported");
        }

        return new JValue(text.Replace("/$defs/", "/definitions/", StringComparison.Ordinal));
    }

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static AutolabException Unsupported(string schemaPath, string pointer, string detail) =>
        new(
            ErrorIds.SchemaKeywordUnsupported,
            AutolabErrorCategory.InvalidData,
            $"The schema '{schemaPath}' cannot be enforced: at {pointer}, {detail}. Nothing was validated or written; simplify the schema to the keywords listed in about_Autolab.Slurm.",
            schemaPath);
}
