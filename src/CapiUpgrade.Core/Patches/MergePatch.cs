using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Patches;

/// <summary>RFC 7386 JSON Merge Patch: objects merge recursively, <c>null</c> removes, anything else replaces.</summary>
public static class MergePatch
{
    /// <summary>Returns a patched copy of <paramref name="target"/>.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
                continue;
            }
            result.TryGetPropertyValue(key, out var existing);
            result[key] = Apply(existing, value);
        }
        return result;
    }

    /// <summary>The pointers of every value the patch sets or removes (its leaves).</summary>
    public static IEnumerable<JsonPointer> TouchedPaths(JsonNode? patch, JsonPointer? at = null)
    {
        at ??= JsonPointer.Root;
        if (patch is not JsonObject o)
        {
            yield return at;
            yield break;
        }
        foreach (var (key, value) in o)
            foreach (var p in TouchedPaths(value, at.Append(key)))
                yield return p;
    }
}
