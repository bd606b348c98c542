using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Patching;

/// <summary>
/// Strategic merge patch as far as kubectl apply/label/patch need: maps merge, null deletes, lists with a
/// merge key declared for the kind (containers by name, conditions by type, …) merge element by element,
/// other lists replace. Directives: <c>$patch: replace|delete</c> (maps and keyed list elements),
/// <c>$deleteFromPrimitiveList/&lt;field&gt;</c>, and <c>$setElementOrder/&lt;field&gt;</c> and
/// <c>$retainKeys</c> (accepted; order and retainKeys are not enforced).
/// </summary>
public static class StrategicMergePatch
{
    public static JsonNode? Apply(JsonObject target, JsonNode? patch, ResourceType type) =>
        patch is JsonObject p ? MergeObject((JsonObject)target.DeepClone(), p, "", type) : throw Storage.ApiException.BadRequest("a strategic merge patch must be a JSON object");

    private static JsonObject MergeObject(JsonObject target, JsonObject patch, string path, ResourceType type)
    {
        if (patch["$patch"]?.GetValue<string>() == "replace")
        {
            var replaced = (JsonObject)patch.DeepClone();
            replaced.Remove("$patch");
            return StripDirectives(replaced);
        }
        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys") continue;
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList()) list.Remove(item);
                }
                continue;
            }
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            var existing = target.TryGetPropertyValue(key, out var e) ? e : null;
            if (value is JsonObject vo)
            {
                if (vo["$patch"]?.GetValue<string>() == "delete")
                {
                    target.Remove(key);
                    continue;
                }
                target[key] = existing is JsonObject eo ? MergeObject((JsonObject)eo.DeepClone(), vo, childPath, type) : StripDirectives((JsonObject)vo.DeepClone());
            }
            else if (value is JsonArray va && type.MergeKeys.TryGetValue(childPath, out var mergeKey))
            {
                target[key] = MergeList(existing as JsonArray, va, mergeKey, childPath, type);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string mergeKey, string path, ResourceType type)
    {
        var result = target is null ? new JsonArray() : (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject po)
            {
                result.Add(item?.DeepClone());
                continue;
            }
            if (po["$patch"]?.GetValue<string>() == "replace") return StripDirectivesArray(patch);
            var key = po[mergeKey]?.ToJsonString();
            var index = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject ro && ro[mergeKey]?.ToJsonString() == key) { index = i; break; }
            }
            if (po["$patch"]?.GetValue<string>() == "delete")
            {
                if (index >= 0) result.RemoveAt(index);
                continue;
            }
            if (index >= 0) result[index] = MergeObject((JsonObject)result[index]!.DeepClone(), po, path, type);
            else result.Add(StripDirectives((JsonObject)po.DeepClone()));
        }
        return result;
    }

    private static JsonObject StripDirectives(JsonObject o)
    {
        foreach (var key in o.Select(p => p.Key).Where(k => k.StartsWith('$')).ToList()) o.Remove(key);
        foreach (var (_, v) in o.ToList())
        {
            if (v is JsonObject child) StripDirectives(child);
            else if (v is JsonArray a) StripDirectivesArray(a);
        }
        return o;
    }

    private static JsonArray StripDirectivesArray(JsonArray a)
    {
        var copy = (JsonArray)a.DeepClone();
        foreach (var item in copy)
        {
            if (item is JsonObject o) StripDirectives(o);
        }
        foreach (var item in copy.OfType<JsonObject>().Where(o => o.Count == 0).ToList()) copy.Remove(item);
        return copy;
    }
}
