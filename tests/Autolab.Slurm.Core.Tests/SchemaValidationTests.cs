using Autolab.Slurm.Errors;
using Autolab.Slurm.Json;
using Autolab.Slurm.Schema;
using Newtonsoft.Json.Linq;
using Xunit;

namespace Autolab.Slurm.Core.Tests;

public class SchemaValidationTests
{
    private const string ValidSlurm = """
        {"schema_version": "1.0", "run_id": "run_001", "iteration_id": "iter1",
         "launch_mode": "slurm", "host_mode": "slurm", "command": "sbatch launch/run_slurm.sbatch",
         "resource_request": {"cpus": 1, "memory": "16GB", "gpu_count": 0, "job_id": "12345", "slurm": {"job_id": "12345"}},
         "status": "submitted", "artifact_sync_to_local": {"status": "pending"},
         "timestamps": {"started_at": "2026-01-01T00:00:00Z"}, "started_at": "2026-01-01T00:00:00Z",
         "job_id": "12345", "slurm": {"job_id": "12345"}}
        """;

    public static TheoryData<string> Schemas => new() { TestPaths.BundledManifestSchema, TestPaths.AutolabManifestSchema };

    private static IReadOnlyList<string> Validate(string schemaPath, string json)
    {
        var schema = JsonSchemaValidator.Load(schemaPath);
        return JsonSchemaValidator.Validate(schema, RawJson.Parse(json));
    }

    private static string Edit(string json, Action<JObject> edit)
    {
        var obj = JObject.Parse(json);
        edit(obj);
        return obj.ToString();
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_LaunchManifest_IsValid(string schema)
    {
        Assert.Empty(Validate(schema, ValidSlurm));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_SlurmManifestWithoutAnyJobId_Fails(string schema)
    {
        var json = Edit(ValidSlurm, o =>
        {
            o.Remove("job_id");
            o.Remove("slurm");
            ((JObject)o["resource_request"]!).Remove("job_id");
            ((JObject)o["resource_request"]!).Remove("slurm");
        });
        Assert.NotEmpty(Validate(schema, json));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_SlurmManifestWithOnlyNestedJobId_IsValid(string schema)
    {
        var json = Edit(ValidSlurm, o =>
        {
            o.Remove("job_id");
            o.Remove("slurm");
            ((JObject)o["resource_request"]!).Remove("job_id");
        });
        Assert.Empty(Validate(schema, json));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_LocalManifestWithoutJobId_IsValid(string schema)
    {
        var json = Edit(ValidSlurm, o =>
        {
            o["host_mode"] = "local";
            o["launch_mode"] = "local";
            o.Remove("job_id");
            o.Remove("slurm");
            o["resource_request"] = new JObject { ["cpus"] = 1 };
        });
        Assert.Empty(Validate(schema, json));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_CompletedWithoutCompletedAt_Fails(string schema)
    {
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => o["status"] = "completed")));
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => o["status"] = "failed")));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_CompletedWithCompletedAt_IsValid(string schema)
    {
        var json = Edit(ValidSlurm, o =>
        {
            o["status"] = "completed";
            o["timestamps"]!["completed_at"] = "2026-01-02T00:00:00Z";
        });
        Assert.Empty(Validate(schema, json));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_SyncedWithoutCompletedAt_IsValid(string schema)
    {
        Assert.Empty(Validate(schema, Edit(ValidSlurm, o => o["status"] = "synced")));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_SchemaVersionTwo_Fails(string schema)
    {
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => o["schema_version"] = "2.0")));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_NonCanonicalStatus_Fails(string schema)
    {
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => o["status"] = "queued")));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_FormatIsAnAnnotation_NotEnforced(string schema)
    {
        Assert.Empty(Validate(schema, Edit(ValidSlurm, o => o["started_at"] = "yesterday")));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_IntegralFloatForIntegerField_IsValid(string schema)
    {
        Assert.Empty(Validate(schema, ValidSlurm.Replace("\"cpus\": 1", "\"cpus\": 1.0", StringComparison.Ordinal)));
        Assert.NotEmpty(Validate(schema, ValidSlurm.Replace("\"cpus\": 1", "\"cpus\": 1.5", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Validate_MissingRequiredKey_Fails(string schema)
    {
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => o.Remove("artifact_sync_to_local"))));
        Assert.NotEmpty(Validate(schema, Edit(ValidSlurm, o => ((JObject)o["timestamps"]!).Remove("started_at"))));
    }

    [Fact]
    public void Lower_IfThenElse_BecomesAnyOfInAllOf()
    {
        var schema = JObject.Parse("""{"if": {"const": 1}, "then": {"type": "integer"}, "else": {"type": "string"}}""");
        var lowered = (JObject)SchemaLowering.Lower(schema, "test.json");
        Assert.Null(lowered["if"]);
        var anyOf = (JArray)lowered["allOf"]![0]!["anyOf"]!;
        Assert.Equal(2, anyOf.Count);
        Assert.Equal(new JArray(1), anyOf[0]!["allOf"]![0]!["enum"]);
        Assert.Equal(new JArray(1), anyOf[1]!["allOf"]![0]!["not"]!["enum"]);
    }

    [Fact]
    public void Lower_ElseBranch_IsEnforced()
    {
        var path = Path.Combine(Path.GetTempPath(), "lower-else-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, """{"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}}""");
        try
        {
            var schema = JsonSchemaValidator.Load(path);
            Assert.Empty(JsonSchemaValidator.Validate(schema, RawJson.Parse("""{"a": 1, "b": 0}""")));
            Assert.NotEmpty(JsonSchemaValidator.Validate(schema, RawJson.Parse("""{"a": 1, "c": 0}""")));
            Assert.Empty(JsonSchemaValidator.Validate(schema, RawJson.Parse("""{"a": 2, "c": 0}""")));
            Assert.NotEmpty(JsonSchemaValidator.Validate(schema, RawJson.Parse("""{"a": 2, "b": 0}""")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{"dependentRequired": {"a": ["b"]}}""")]
    [InlineData("""{"properties": {"x": {"prefixItems": [{"type": "string"}]}}}""")]
    [InlineData("""{"unevaluatedProperties": false}""")]
    [InlineData("""{"items": [{"type": "string"}]}""")]
    public void Lower_UnsupportedKeyword_IsRefused(string schemaText)
    {
        var ex = Assert.Throws<AutolabException>(() => SchemaLowering.Lower(JObject.Parse(schemaText), "s.json"));
        Assert.Equal(ErrorIds.SchemaKeywordUnsupported, ex.ErrorId);
        Assert.Contains("s.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingSchema_ThrowsSchemaNotFound()
    {
        var ex = Assert.Throws<AutolabException>(() => JsonSchemaValidator.Load("/nonexistent/schema.json"));
        Assert.Equal(ErrorIds.SchemaNotFound, ex.ErrorId);
    }
}
