using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>Discovery documents (/version, /api, /apis, /api/v1, /apis/g/v) in the legacy (v1) format.</summary>
internal static class Discovery
{
    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0-capi-upgrade-sim",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    private static JsonObject GroupNode(string group, IEnumerable<string> versions)
    {
        var list = versions.Distinct().Order(StringComparer.Ordinal).ToList();
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = new JsonArray(list.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v }).ToArray()),
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + list[^1], ["version"] = list[^1] },
        };
    }

    public static JsonObject Groups(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(registry.All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group)
            .Select(g => (JsonNode)GroupNode(g.Key, g.Select(t => t.Version))).ToArray()),
    };

    public static JsonObject? Group(ResourceRegistry registry, string group)
    {
        var types = registry.All.Where(t => t.Group == group).ToList();
        if (types.Count == 0) return null;
        var node = GroupNode(group, types.Select(t => t.Version));
        node["kind"] = "APIGroup";
        node["apiVersion"] = "v1";
        return node;
    }

    public static JsonObject ResourceList(ResourceRegistry registry, string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in registry.All.Where(t => t.Group == group && t.Version == version))
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
            };
            if (t.ShortNames.Count > 0) r["shortNames"] = new JsonArray(t.ShortNames.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
            if (t.IsCustom) r["categories"] = new JsonArray("cluster-api");
            r["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(t.QualifiedName + "/" + t.Version)))[..11];
            resources.Add(r);
            if (t.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = t.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }

    /// <summary>Non-resource paths other than /version and health (OpenAPI, admin); false when unknown.</summary>
    public static async Task<bool> TryHandleNonResourceAsync(KubeApiServer server, HttpContext context, string path)
    {
        path = path.TrimEnd('/');
        if (path == "/openapi/v3")
        {
            await RequestHandler.WriteJsonAsync(context, 200, OpenApi.Index(server.Registry)).ConfigureAwait(false);
            return true;
        }
        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal) && OpenApi.GroupVersion(server.Registry, path["/openapi/v3/".Length..]) is { } doc)
        {
            await RequestHandler.WriteJsonAsync(context, 200, doc).ConfigureAwait(false);
            return true;
        }
        if (path.StartsWith("/admin/", StringComparison.Ordinal))
            return await AdminEndpoint.HandleAsync(server, context, path).ConfigureAwait(false);
        return false;
    }
}
