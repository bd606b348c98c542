using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Schema;

/// <summary>
/// Validates custom resources against their CRD's structural OpenAPI v3 schema as the real server does:
/// unknown fields are pruned (or, with fieldValidation=Strict, rejected with 400 "strict decoding error"),
/// nulls of non-nullable fields are pruned, then type, required, enum, format (int32, int64, date-time, byte),
/// length, range, pattern and item counts are checked; failures are one 422 Invalid with every field path.
/// Not evaluated: x-kubernetes-validations (CEL), defaults, list-type uniqueness.
/// </summary>
public sealed class CrdSchemaValidator : IObjectValidator
{
    private readonly Dictionary<(string Group, string Version, string Plural), JsonObject> _schemas = new();
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    public void Add(ResourceType type, JsonObject schema) => _schemas[(type.Group, type.Version, type.Plural)] = schema;

    public JsonObject Validate(ResourceType type, string name, JsonObject obj, bool strict)
    {
        if (!_schemas.TryGetValue((type.Group, type.Version, type.Plural), out var schema)) return obj;
        var walk = new Walk();
        lock (_patterns)
        {
            foreach (var (key, value) in obj.ToList())
            {
                if (key is "apiVersion" or "kind" or "metadata") continue;
                var propertySchema = schema["properties"]?[key] as JsonObject;
                if (propertySchema is null)
                {
                    walk.Unknown.Add(key);
                    obj.Remove(key);
                    continue;
                }
                var result = Check(value, propertySchema, key, walk);
                if (result.Prune) obj.Remove(key);
                else if (!ReferenceEquals(result.Node, value)) obj[key] = result.Node;
            }
            if (schema["required"] is JsonArray required)
            {
                foreach (var r in required.Select(n => n!.GetValue<string>()))
                {
                    if (r is "apiVersion" or "kind" or "metadata") continue;
                    if (obj[r] is null) walk.Errors.Add(new FieldCause("FieldValueRequired", r, "Required value"));
                }
            }
        }
        if (strict && walk.Unknown.Count > 0)
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: " +
                string.Join(", ", walk.Unknown.Select(u => $"unknown field \"{u}\"")));
        if (walk.Errors.Count > 0) throw ApiException.Invalid(type, name, walk.Errors);
        return obj;
    }

    private sealed class Walk
    {
        public List<string> Unknown { get; } = [];
        public List<FieldCause> Errors { get; } = [];
    }

    private readonly record struct Result(JsonNode? Node, bool Prune);

    private static string TypeName(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Number => IsInteger(node) ? "integer" : "number",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "unknown",
    };

    private static bool IsInteger(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.Number && decimal.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d);

    private static string Show(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? $"\"{node.GetValue<string>()}\"" : node?.ToJsonString() ?? "null";

    private Result Check(JsonNode? node, JsonObject schema, string path, Walk walk)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
            return schema["nullable"]?.GetValue<bool>() == true ? new Result(node, false) : new Result(null, true);

        var type = schema["type"]?.GetValue<string>();
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var actual = TypeName(node);
        if (intOrString)
        {
            if (actual is not ("integer" or "string"))
            {
                walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{actual}\": {path} in body must be of type integer,string: \"{actual}\""));
                return new Result(node, false);
            }
        }
        else if (type is not null && type != actual && !(type == "number" && actual == "integer"))
        {
            walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{actual}\": {path} in body must be of type {type}: \"{actual}\""));
            return new Result(node, false);
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
            walk.Errors.Add(new FieldCause("FieldValueNotSupported", path, $"Unsupported value: {Show(node)}: supported values: {string.Join(", ", allowed.Select(Show))}"));

        switch (actual)
        {
            case "object":
                return new Result(CheckObject(node.AsObject(), schema, path, walk), false);
            case "array":
            {
                var array = node.AsArray();
                if (schema["maxItems"] is { } maxItems && array.Count > maxItems.GetValue<long>())
                    walk.Errors.Add(new FieldCause("FieldValueTooMany", path, $"Too many: {array.Count}: must have at most {maxItems.GetValue<long>()} items"));
                if (schema["minItems"] is { } minItems && array.Count < minItems.GetValue<long>())
                    walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: {array.Count}: {path} in body should have at least {minItems.GetValue<long>()} items"));
                if (schema["items"] is JsonObject itemSchema)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        var r = Check(array[i], itemSchema, $"{path}[{i}]", walk);
                        if (!r.Prune && !ReferenceEquals(r.Node, array[i])) array[i] = r.Node;
                    }
                }
                return new Result(node, false);
            }
            case "string":
                CheckString(node.GetValue<string>(), schema, path, walk);
                return new Result(node, false);
            case "integer" or "number":
                CheckNumber(node, schema, path, walk);
                return new Result(node, false);
            default:
                return new Result(node, false);
        }
    }

    private JsonObject CheckObject(JsonObject obj, JsonObject schema, string path, Walk walk)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"] as JsonObject;
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        var embedded = schema["x-kubernetes-embedded-resource"]?.GetValue<bool>() == true;
        foreach (var (key, value) in obj.ToList())
        {
            var childPath = path + "." + key;
            var childSchema = properties?[key] as JsonObject ?? additional;
            if (childSchema is null)
            {
                if (preserve || (embedded && key is "apiVersion" or "kind" or "metadata")) continue;
                walk.Unknown.Add(childPath);
                obj.Remove(key);
                continue;
            }
            var r = Check(value, childSchema, childPath, walk);
            if (r.Prune) obj.Remove(key);
            else if (!ReferenceEquals(r.Node, value)) obj[key] = r.Node;
        }
        if (schema["required"] is JsonArray required)
        {
            foreach (var r in required.Select(n => n!.GetValue<string>()))
            {
                if (obj[r] is null) walk.Errors.Add(new FieldCause("FieldValueRequired", path + "." + r, "Required value"));
            }
        }
        if (schema["maxProperties"] is { } maxProps && obj.Count > maxProps.GetValue<long>())
            walk.Errors.Add(new FieldCause("FieldValueTooMany", path, $"Too many: {obj.Count}: must have at most {maxProps.GetValue<long>()} items"));
        return obj;
    }

    private void CheckString(string value, JsonObject schema, string path, Walk walk)
    {
        if (schema["maxLength"] is { } max && value.Length > max.GetValue<long>())
            walk.Errors.Add(new FieldCause("FieldValueTooLong", path, $"Too long: may not be more than {max.GetValue<long>()} bytes"));
        if (schema["minLength"] is { } min && value.Length < min.GetValue<long>())
            walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{value}\": {path} in body should be at least {min.GetValue<long>()} chars long"));
        if (schema["pattern"]?.GetValue<string>() is { } pattern)
        {
            if (!_patterns.TryGetValue(pattern, out var regex))
                _patterns[pattern] = regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (!regex.IsMatch(value))
                walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{value}\": {path} in body should match '{pattern}'"));
        }
        switch (schema["format"]?.GetValue<string>())
        {
            case "date-time" when !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) || !value.Contains('T'):
                walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{value}\": {path} in body must be of type date-time: \"{value}\""));
                break;
            case "byte":
                try
                {
                    Convert.FromBase64String(value);
                }
                catch (FormatException)
                {
                    walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: \"{value}\": {path} in body must be of type byte: \"{value}\""));
                }
                break;
        }
    }

    private static void CheckNumber(JsonNode node, JsonObject schema, string path, Walk walk)
    {
        var value = decimal.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        switch (schema["format"]?.GetValue<string>())
        {
            case "int32" when value is < int.MinValue or > int.MaxValue:
            case "int64" when value is < long.MinValue or > long.MaxValue:
                walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: {node.ToJsonString()}: {path} in body must be of type {schema["format"]!.GetValue<string>()}: \"{node.ToJsonString()}\""));
                break;
        }
        if (schema["minimum"] is { } min && value < decimal.Parse(min.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture))
            walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: {node.ToJsonString()}: {path} in body should be greater than or equal to {min.ToJsonString()}"));
        if (schema["maximum"] is { } max && value > decimal.Parse(max.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture))
            walk.Errors.Add(new FieldCause("FieldValueInvalid", path, $"Invalid value: {node.ToJsonString()}: {path} in body should be less than or equal to {max.ToJsonString()}"));
    }
}
