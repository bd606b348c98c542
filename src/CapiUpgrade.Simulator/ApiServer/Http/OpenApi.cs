using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>
/// OpenAPI v3 as far as kubectl needs it: the index of group-versions, and per group-version the resource
/// paths with x-kubernetes-group-version-kind and the fieldValidation parameter (so kubectl validates
/// server-side). No component schemas: kubectl then computes apply patches from its built-in types (core
/// kinds, strategic merge) or as JSON merge patches (custom resources).
/// </summary>
internal static class OpenApi
{
    private static IEnumerable<(string Group, string Version)> GroupVersions(ResourceRegistry registry) =>
        registry.All.Select(t => (t.Group, t.Version)).Distinct();

    private static string Key(string group, string version) => group.Length == 0 ? "api/" + version : $"apis/{group}/{version}";

    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var (group, version) in GroupVersions(registry))
        {
            var key = Key(group, version);
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", registry.All.Where(t => t.Group == group && t.Version == version).Select(t => t.Plural)))))[..16];
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? GroupVersion(ResourceRegistry registry, string key)
    {
        var match = GroupVersions(registry).Where(gv => Key(gv.Group, gv.Version) == key).ToList();
        if (match.Count == 0) return null;
        var (group, version) = match[0];
        var paths = new JsonObject();
        foreach (var t in registry.All.Where(t => t.Group == group && t.Version == version))
        {
            var prefix = t.GroupVersionPath + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
            paths[prefix] = new JsonObject
            {
                ["get"] = Operation(t, "list", false),
                ["post"] = Operation(t, "post", true),
                ["delete"] = Operation(t, "deletecollection", false),
            };
            paths[prefix + "/{name}"] = new JsonObject
            {
                ["get"] = Operation(t, "get", false),
                ["put"] = Operation(t, "put", true),
                ["patch"] = Operation(t, "patch", true),
                ["delete"] = Operation(t, "delete", false),
            };
            if (t.HasStatus)
            {
                paths[prefix + "/{name}/status"] = new JsonObject
                {
                    ["get"] = Operation(t, "get", false),
                    ["put"] = Operation(t, "put", true),
                    ["patch"] = Operation(t, "patch", true),
                };
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes (capi-upgrade simulator)", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static JsonObject Operation(ResourceType t, string action, bool fieldValidation)
    {
        var parameters = new JsonArray(
            new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
            new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } });
        if (fieldValidation)
            parameters.Add(new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" }, ["description"] = "Ignore, Warn or Strict" });
        return new JsonObject
        {
            ["operationId"] = action + t.Kind,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind },
        };
    }
}
