using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Patching;

/// <summary>JSON patch (RFC 6902): add, remove, replace, move, copy, test.</summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
            throw ApiException.BadRequest("the JSON patch must be an array of operations");
        var doc = target.DeepClone();
        foreach (var opNode in operations)
        {
            if (opNode is not JsonObject op) throw ApiException.BadRequest("a JSON patch operation must be an object");
            var kind = op["op"]?.GetValue<string>() ?? throw ApiException.BadRequest("a JSON patch operation lacks \"op\"");
            var path = op["path"]?.GetValue<string>() ?? throw ApiException.BadRequest($"the JSON patch operation \"{kind}\" lacks \"path\"");
            switch (kind)
            {
                case "add": doc = Add(doc, path, op["value"]?.DeepClone()); break;
                case "remove": doc = Remove(doc, path, out _); break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, op["value"]?.DeepClone());
                    break;
                case "move":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw ApiException.BadRequest("the JSON patch operation \"move\" lacks \"from\"");
                    doc = Remove(doc, from, out var moved);
                    doc = Add(doc, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw ApiException.BadRequest("the JSON patch operation \"copy\" lacks \"from\"");
                    doc = Add(doc, path, Get(doc, from)?.DeepClone());
                    break;
                }
                case "test":
                {
                    var actual = Get(doc, path);
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    break;
                }
                default: throw ApiException.BadRequest($"unknown JSON patch operation \"{kind}\"");
            }
        }
        return doc;
    }

    private static List<string> Split(string path)
    {
        if (path.Length == 0) return [];
        if (path[0] != '/') throw ApiException.BadRequest($"JSON patch path \"{path}\" must start with '/'");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    private static JsonNode? Get(JsonNode doc, string path)
    {
        JsonNode? node = doc;
        foreach (var s in Split(path))
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(s, out var c) ? c : throw Missing(path),
                JsonArray a when int.TryParse(s, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw Missing(path),
            };
        }
        return node;
    }

    private static ApiException Missing(string path) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: jsonpatch: path {path} does not exist");

    private static JsonNode? Parent(JsonNode doc, List<string> segments) =>
        segments.Count == 1 ? doc : Get(doc, "/" + string.Join('/', segments.Take(segments.Count - 1).Select(s => s.Replace("~", "~0").Replace("/", "~1"))));

    private static JsonNode Add(JsonNode doc, string path, JsonNode? value)
    {
        var segments = Split(path);
        if (segments.Count == 0) return value ?? throw ApiException.BadRequest("cannot replace the whole document with null");
        var parent = Parent(doc, segments);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") a.Add(value);
                else if (int.TryParse(last, out var i) && i >= 0 && i <= a.Count) a.Insert(i, value);
                else throw Missing(path);
                break;
            default: throw Missing(path);
        }
        return doc;
    }

    private static JsonNode Remove(JsonNode doc, string path, out JsonNode? removed)
    {
        var segments = Split(path);
        if (segments.Count == 0) throw ApiException.BadRequest("cannot remove the whole document");
        var parent = Parent(doc, segments);
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var old):
                o.Remove(last);
                removed = old;
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default: throw Missing(path);
        }
        if (removed is not null && removed.Parent is not null) removed = removed.DeepClone();
        return doc;
    }
}
