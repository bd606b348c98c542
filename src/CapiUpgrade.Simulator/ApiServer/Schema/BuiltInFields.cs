using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Schema;

/// <summary>
/// Field checks of the built-in kinds, as far as the simulator knows their schemas: the top-level fields of
/// each kind and ObjectMeta's fields. Unknown ones are dropped, or rejected with fieldValidation=Strict
/// (400 "strict decoding error: unknown field …"), like the real server decoding into Go types.
/// </summary>
internal static class BuiltInFields
{
    private static readonly HashSet<string> Meta =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    private static readonly Dictionary<string, HashSet<string>> TopLevel = new(StringComparer.Ordinal)
    {
        ["Namespace"] = ["spec", "status"],
        ["Node"] = ["spec", "status"],
        ["Pod"] = ["spec", "status"],
        ["ConfigMap"] = ["data", "binaryData", "immutable"],
        ["Secret"] = ["data", "stringData", "type", "immutable"],
        ["Event"] = ["involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"],
        ["ServiceAccount"] = ["secrets", "imagePullSecrets", "automountServiceAccountToken"],
        ["Role"] = ["rules"],
        ["ClusterRole"] = ["rules", "aggregationRule"],
        ["RoleBinding"] = ["subjects", "roleRef"],
        ["ClusterRoleBinding"] = ["subjects", "roleRef"],
        ["Deployment"] = ["spec", "status"],
        ["DaemonSet"] = ["spec", "status"],
    };

    public static JsonObject Check(ResourceType type, JsonObject obj, bool strict)
    {
        var unknown = new List<string>();
        if (obj["metadata"] is JsonObject metadata)
        {
            foreach (var key in metadata.Select(p => p.Key).Where(k => !Meta.Contains(k)).ToList())
            {
                unknown.Add("metadata." + key);
                metadata.Remove(key);
            }
        }
        if (!type.IsCustom && TopLevel.TryGetValue(type.Kind, out var fields))
        {
            foreach (var key in obj.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata") && !fields.Contains(k)).ToList())
            {
                unknown.Add(key);
                obj.Remove(key);
            }
        }
        if (!type.IsCustom && type.Kind is "ConfigMap" or "Secret")
        {
            foreach (var field in new[] { "data", "stringData", "binaryData" })
            {
                if (obj[field] is JsonObject map)
                {
                    foreach (var (k, v) in map)
                    {
                        if (v is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String)
                            throw ApiException.BadRequest($"{type.Kind} in version \"v1\" cannot be handled as a {type.Kind}: json: cannot unmarshal {v?.GetValueKind().ToString().ToLowerInvariant() ?? "null"} into Go struct field {type.Kind}.{field} of type string (key \"{k}\")");
                    }
                }
            }
        }
        if (strict && unknown.Count > 0)
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: " +
                string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        return obj;
    }
}
