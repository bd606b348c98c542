using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Objects;

/// <summary>
/// Small helpers to read and write Kubernetes objects held as <see cref="JsonObject"/> by dotted paths
/// (<c>spec.bootstrap.configRef.name</c>). Keys containing dots are addressed with an array of segments.
/// </summary>
public static class JsonObjectPaths
{
    public static string[] Split(string dottedPath) => dottedPath.Split('.');

    public static JsonNode? Get(this JsonObject obj, string dottedPath) => obj.Get(Split(dottedPath));

    public static JsonNode? Get(this JsonObject obj, params string[] segments)
    {
        JsonNode? current = obj;
        foreach (var s in segments)
        {
            if (current is not JsonObject o || !o.TryGetPropertyValue(s, out current)) return null;
        }
        return current;
    }

    public static string? GetString(this JsonObject obj, string dottedPath) =>
        obj.Get(dottedPath) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? GetString(this JsonObject obj, params string[] segments) =>
        obj.Get(segments) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static bool? GetBool(this JsonObject obj, string dottedPath) =>
        obj.Get(dottedPath) is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>The object at the path, created (with its parents) when missing.</summary>
    public static JsonObject GetOrAddObject(this JsonObject obj, params string[] segments)
    {
        var current = obj;
        foreach (var s in segments)
        {
            if (current[s] is JsonObject next)
            {
                current = next;
                continue;
            }
            next = new JsonObject();
            current[s] = next;
            current = next;
        }
        return current;
    }

    /// <summary>Sets the value at the path, creating parent objects.</summary>
    public static void Set(this JsonObject obj, string dottedPath, JsonNode? value) => obj.Set(Split(dottedPath), value);

    public static void Set(this JsonObject obj, string[] segments, JsonNode? value)
    {
        var parent = obj.GetOrAddObject(segments[..^1]);
        parent[segments[^1]] = value;
    }

    /// <summary>Removes the value at the path; true when something was removed.</summary>
    public static bool Remove(this JsonObject obj, string dottedPath) => obj.Remove(Split(dottedPath));

    public static bool Remove(this JsonObject obj, params string[] segments) =>
        obj.Get(segments[..^1]) is JsonObject parent && parent.Remove(segments[^1]);

    /// <summary>A deep copy, typed.</summary>
    public static JsonObject DeepCopy(this JsonObject obj) => (JsonObject)obj.DeepClone();

    /// <summary><c>Kind namespace/name</c> for messages, e.g. <c>DockerMachine default/cp-0</c>.</summary>
    public static string Describe(this JsonObject obj)
    {
        var kind = obj.GetString("kind") ?? "object";
        var ns = obj.GetString("metadata", "namespace");
        var name = obj.GetString("metadata", "name") ?? "(unnamed)";
        return ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}";
    }
}
