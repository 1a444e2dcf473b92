using Autolab.Slurm.Json;
using Autolab.Slurm.Schema;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

/// <summary>
/// Validation leaves out the parts of a document no schema keyword can look at (so a large manifest's bulk is
/// never copied into a second tree). Each case here validates a document both ways, pruned and whole, against
/// a schema that constrains something deep inside, and the messages must be the same: pruning may only drop
/// what cannot change the outcome.
/// </summary>
public sealed class SchemaPruningTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> Cases => new()
    {
        // Nothing constrains metrics or pulled_paths: valid both ways, whatever they hold.
        { """{"type": "object", "properties": {"status": {"enum": ["ok"]}}}""", """{"status": "ok", "metrics": {"a": [1, {"b": null}]}, "sync": {"pulled_paths": ["x", "y"]}}""" },
        { """{"type": "object", "properties": {"status": {"enum": ["ok"]}}}""", """{"status": "bad", "metrics": {"a": 1}}""" },
        // A deep member constrained through properties, patternProperties, additionalProperties.
        { """{"properties": {"m": {"properties": {"n": {"type": "integer"}}}}}""", """{"m": {"n": "text", "o": [1, 2]}, "p": 3}""" },
        { """{"patternProperties": {"^step_": {"required": ["loss"]}}}""", """{"step_1": {"loss": 1}, "step_2": {"acc": 1}, "other": {}}""" },
        { """{"additionalProperties": {"type": "string"}, "properties": {"a": {}}}""", """{"a": 1, "b": "x", "c": 2}""" },
        { """{"additionalProperties": false, "properties": {"a": {}}}""", """{"a": {"deep": [1]}, "b": {"deep": [2]}}""" },
        // Constraints that reach a member only through a combinator, $ref or not.
        { """{"anyOf": [{"properties": {"m": {"required": ["x"]}}}, {"required": ["never"]}]}""", """{"m": {"y": 1}, "n": {"y": 2}}""" },
        { """{"allOf": [{"properties": {"m": {"$ref": "#/$defs/pos"}}}], "$defs": {"pos": {"type": "integer", "minimum": 0}}}""", """{"m": -1, "n": -1}""" },
        { """{"not": {"properties": {"m": {"type": "object"}}, "required": ["m"]}}""", """{"m": {"x": 1}}""" },
        { """{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"properties": {"data": {"items": {"type": "string"}}}}}""", """{"kind": "a", "data": ["s", 1, {"t": 2}]}""" },
        // Arrays: items constrained, or only the count.
        { """{"properties": {"list": {"type": "array", "items": {"properties": {"p": {"type": "string"}}}}}}""", """{"list": [{"p": "a"}, {"p": 2}, {"q": 3}]}""" },
        { """{"properties": {"list": {"type": "array", "minItems": 3}}}""", """{"list": [{"deep": 1}, [2]]}""" },
        // Keywords that compare whole values keep everything below them.
        { """{"properties": {"list": {"uniqueItems": true}}}""", """{"list": [{"a": [1, 2]}, {"a": [1, 2]}]}""" },
        { """{"properties": {"list": {"uniqueItems": true}}}""", """{"list": [{"a": [1, 2]}, {"a": [1, 3]}]}""" },
        { """{"properties": {"m": {"enum": [{"a": {"b": 1}}]}}}""", """{"m": {"a": {"b": 2}}}""" },
        { """{"properties": {"m": {"const": {"a": {"b": 1}}}}}""", """{"m": {"a": {"b": 1}}}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_Pruned_SameMessagesAsTheWholeDocument(string schemaText, string documentText)
    {
        var schema = JsonSchemaValidator.Load(_dir.Write($"schema-{Guid.NewGuid():N}.json", schemaText));
        var document = RawJson.Parse(documentText);

        var pruned = JsonSchemaValidator.Validate(schema, document);
        var whole = JsonSchemaValidator.Validate(schema, document, prune: false);

        Assert.Equal(whole, pruned);
    }

    [Fact]
    public void Validate_Cases_IncludeBothValidAndInvalidDocuments()
    {
        var outcomes = Cases.Select(c => JsonSchemaValidator.Validate(JsonSchemaValidator.Load(_dir.Write($"s-{Guid.NewGuid():N}.json", (string)c[0])), RawJson.Parse((string)c[1]), prune: false).Count > 0).ToArray();

        Assert.Contains(true, outcomes);
        Assert.Contains(false, outcomes);
        Assert.True(outcomes.Count(o => o) >= 10, "most cases must fail validation, or pruning could hide errors unnoticed");
    }
}
