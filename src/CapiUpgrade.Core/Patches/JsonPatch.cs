using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Patches;

/// <summary>
/// RFC 6902 JSON Patch over <see cref="JsonNode"/>. Atomic: the target is copied, and a failing operation throws
/// <see cref="PatchException"/> naming the operation's index and op, its path, the object, and the fix.
/// </summary>
public sealed class JsonPatch
{
    public JsonPatch(IReadOnlyList<JsonPatchOperation> operations, string source = "JSON patch")
    {
        Operations = operations;
        Source = source;
    }

    public IReadOnlyList<JsonPatchOperation> Operations { get; }
    public string Source { get; }

    /// <summary>Reads a JSON (or YAML) array of operations. Throws <see cref="PatchException"/> naming the malformed entry.</summary>
    public static JsonPatch FromNode(JsonNode? node, string source)
    {
        if (node is not JsonArray array)
            throw new PatchException(source, null, "(document)", "", "the patch file", "a JSON patch must be an array of operations",
                "write [ {\"op\": \"replace\", \"path\": \"/spec/customImage\", \"value\": \"...\"} ]");
        var ops = new List<JsonPatchOperation>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject o)
                throw Malformed(source, i, "?", "", "the operation is not an object");
            var op = (o["op"] as JsonValue)?.TryGetValue<string>(out var s) == true ? s : null;
            if (op is null || !JsonPatchOperation.KnownOps.Contains(op))
                throw Malformed(source, i, op ?? "(missing op)", PathText(o, "path"),
                    $"'op' must be one of {string.Join(", ", JsonPatchOperation.KnownOps)}");
            var path = ParsePointer(source, i, op, o, "path")
                       ?? throw Malformed(source, i, op, "", "the operation has no 'path'");
            JsonPointer? from = null;
            if (op is "move" or "copy")
                from = ParsePointer(source, i, op, o, "from") ?? throw Malformed(source, i, op, path.ToString(), "the operation has no 'from'");
            if (op is "add" or "replace" or "test" && !o.ContainsKey("value"))
                throw Malformed(source, i, op, path.ToString(), "the operation has no 'value'");
            ops.Add(new JsonPatchOperation(op, path, o["value"]?.DeepClone(), from));
        }
        return new JsonPatch(ops, source);
    }

    /// <summary>Applies every operation to a copy of <paramref name="target"/>; <paramref name="targetName"/> names it in errors.</summary>
    public JsonNode? Apply(JsonNode? target, string targetName)
    {
        var doc = target?.DeepClone();
        for (var i = 0; i < Operations.Count; i++)
            doc = ApplyOne(doc, Operations[i], i, targetName);
        return doc;
    }

    private JsonNode? ApplyOne(JsonNode? doc, JsonPatchOperation op, int index, string targetName)
    {
        PatchException Fail(string problem, string fix) =>
            new(Source, index, op.Op, op.Path.ToString(), targetName, problem, fix);

        switch (op.Op)
        {
            case "add":
                return Add(doc, op.Path, op.Value?.DeepClone(), Fail);
            case "remove":
                return Remove(doc, op.Path, Fail, out _);
            case "replace":
                if (!TryResolve(doc, op.Path, out _))
                    throw Fail("the path does not exist, and replace needs an existing value", "use 'add' to create it, or correct the path");
                doc = Remove(doc, op.Path, Fail, out _);
                return Add(doc, op.Path, op.Value?.DeepClone(), Fail);
            case "move":
            {
                if (op.From!.IsPrefixOf(op.Path) && !op.From.Equals(op.Path))
                    throw Fail($"cannot move '{op.From}' into its own child", "choose a 'path' outside 'from'");
                if (op.From.Equals(op.Path)) return doc;
                doc = Remove(doc, op.From, (p, f) => Fail($"'from' {op.From}: {p}", f), out var moved);
                return Add(doc, op.Path, moved, Fail);
            }
            case "copy":
                if (!TryResolve(doc, op.From!, out var source))
                    throw Fail($"'from' {op.From} does not exist", "correct the 'from' path");
                return Add(doc, op.Path, source?.DeepClone(), Fail);
            case "test":
                if (!TryResolve(doc, op.Path, out var actual))
                    throw Fail("the path does not exist", "correct the path, or drop the test if the value may be absent");
                if (!JsonNode.DeepEquals(actual, op.Value))
                    throw Fail($"test failed: expected {op.Value?.ToJsonString() ?? "null"} but found {actual?.ToJsonString() ?? "null"}",
                        "the object is not what the patch was written for: check the value or drop the test");
                return doc;
            default:
                throw Fail($"unknown op '{op.Op}'", "use add, remove, replace, move, copy or test");
        }
    }

    /// <summary>Resolves a pointer; false when any segment is missing.</summary>
    public static bool TryResolve(JsonNode? doc, JsonPointer pointer, out JsonNode? value)
    {
        value = doc;
        foreach (var segment in pointer.Segments)
        {
            switch (value)
            {
                case JsonObject o when o.TryGetPropertyValue(segment, out var next):
                    value = next;
                    break;
                case JsonArray a when TryIndex(segment, a.Count, out var idx) && idx < a.Count:
                    value = a[idx];
                    break;
                default:
                    value = null;
                    return false;
            }
        }
        return true;
    }

    private static JsonNode? Add(JsonNode? doc, JsonPointer path, JsonNode? value, Func<string, string, PatchException> fail)
    {
        if (path.IsRoot) return value;
        if (!TryResolve(doc, path.Parent, out var parent) || parent is null)
            throw fail($"the parent '{path.Parent}' does not exist", "add the parent object first (an 'add' of {} at the parent path), or correct the path");
        switch (parent)
        {
            case JsonObject o:
                o[path.Last] = value;
                return doc;
            case JsonArray a:
                if (path.Last == "-")
                {
                    a.Add(value);
                    return doc;
                }
                if (!TryIndex(path.Last, a.Count + 1, out var idx) || idx > a.Count)
                    throw fail($"index '{path.Last}' is out of range for an array of {a.Count} item(s)", "use an index from 0 to the array's length, or '-' to append");
                a.Insert(idx, value);
                return doc;
            default:
                throw fail($"the parent '{path.Parent}' is a {parent.GetValueKind()}, not an object or array", "correct the path");
        }
    }

    private static JsonNode? Remove(JsonNode? doc, JsonPointer path, Func<string, string, PatchException> fail, out JsonNode? removed)
    {
        if (path.IsRoot)
        {
            removed = doc;
            return null;
        }
        if (!TryResolve(doc, path.Parent, out var parent))
            throw fail($"the parent '{path.Parent}' does not exist", "correct the path");
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(path.Last, out removed):
                o.Remove(path.Last);
                return doc;
            case JsonArray a when TryIndex(path.Last, a.Count, out var idx) && idx < a.Count:
                removed = a[idx];
                a.RemoveAt(idx);
                return doc;
            default:
                throw fail("the path does not exist", "correct the path, or drop the operation if the value may be absent");
        }
    }

    private static bool TryIndex(string segment, int count, out int index)
    {
        index = -1;
        if (segment.Length == 0 || !segment.All(char.IsAsciiDigit) || (segment.Length > 1 && segment[0] == '0')) return false;
        return int.TryParse(segment, out index) && index >= 0;
    }

    private static string PathText(JsonObject o, string key) =>
        (o[key] as JsonValue)?.TryGetValue<string>(out var s) == true ? s : "";

    private static JsonPointer? ParsePointer(string source, int index, string op, JsonObject o, string key)
    {
        if (!o.ContainsKey(key)) return null;
        var text = PathText(o, key);
        try
        {
            return JsonPointer.Parse(text);
        }
        catch (FormatException e)
        {
            throw Malformed(source, index, op, text, e.Message);
        }
    }

    private static PatchException Malformed(string source, int index, string op, string path, string problem) =>
        new(source, index, op, path, "the patch file", problem,
            "write each operation as {\"op\": \"replace\", \"path\": \"/spec/field\", \"value\": ...} (RFC 6902)");
}
