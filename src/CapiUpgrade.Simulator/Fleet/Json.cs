using System.Text;
using System.Text.Json.Nodes;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>Small helpers for building and reading Kubernetes objects as JSON nodes.</summary>
public static class Json
{
    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JsonObject Metadata(string name, string? ns = null, JsonObject? labels = null, JsonObject? annotations = null)
    {
        var m = new JsonObject { ["name"] = name };
        if (ns is not null) m["namespace"] = ns;
        if (labels is not null) m["labels"] = labels;
        if (annotations is not null) m["annotations"] = annotations;
        return m;
    }

    public static JsonObject Labels(params (string Key, string Value)[] pairs)
    {
        var o = new JsonObject();
        foreach (var (k, v) in pairs) o[k] = v;
        return o;
    }

    public static JsonObject OwnerReference(JsonObject owner, bool controller)
    {
        var metadata = owner["metadata"]!;
        return new JsonObject
        {
            ["apiVersion"] = owner["apiVersion"]!.GetValue<string>(),
            ["kind"] = owner["kind"]!.GetValue<string>(),
            ["name"] = metadata["name"]!.GetValue<string>(),
            ["uid"] = metadata["uid"]!.GetValue<string>(),
            ["controller"] = controller,
            ["blockOwnerDeletion"] = true,
        };
    }

    public static JsonObject Reference(string apiVersion, string kind, string name, string? ns) =>
        ns is null
            ? new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = name }
            : new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = name, ["namespace"] = ns };

    /// <summary>A CAPI v1beta1 condition.</summary>
    public static JsonObject Condition(string type, bool status, string? reason = null, string? message = null, string severity = "Info")
    {
        var c = new JsonObject { ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = Now() };
        if (!status) c["severity"] = severity;
        if (reason is not null) c["reason"] = reason;
        if (message is not null) c["message"] = message;
        return c;
    }

    /// <summary>A core (Node/Pod) condition.</summary>
    public static JsonObject CoreCondition(string type, bool status, string? reason = null, string? message = null)
    {
        var c = new JsonObject { ["type"] = type, ["status"] = status ? "True" : "False", ["lastTransitionTime"] = Now(), ["lastHeartbeatTime"] = Now() };
        if (reason is not null) c["reason"] = reason;
        if (message is not null) c["message"] = message;
        return c;
    }

    /// <summary>Replaces (or adds) the condition of the same type in a copy of <paramref name="conditions"/>.</summary>
    public static JsonArray WithCondition(JsonNode? conditions, JsonObject condition)
    {
        var type = condition["type"]!.GetValue<string>();
        var result = new JsonArray();
        var replaced = false;
        foreach (var c in conditions?.AsArray() ?? [])
        {
            if (c is null) continue;
            if (c["type"]?.GetValue<string>() == type)
            {
                // keep lastTransitionTime when the status does not change, as CAPI does
                if (c["status"]?.GetValue<string>() == condition["status"]!.GetValue<string>() && c["lastTransitionTime"] is { } t)
                    condition["lastTransitionTime"] = t.GetValue<string>();
                result.Add(condition);
                replaced = true;
            }
            else result.Add(c.DeepClone());
        }
        if (!replaced) result.Add(condition);
        return result;
    }

    public static string? Str(JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(p, out node)) return null;
        }
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(p, out node)) return null;
        }
        return node;
    }

    public static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static string FromB64(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    public static JsonObject SecretData(IReadOnlyDictionary<string, string> data)
    {
        var o = new JsonObject();
        foreach (var (k, v) in data) o[k] = B64(v);
        return o;
    }
}
