using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Schema;

/// <summary>
/// Reads CustomResourceDefinition YAML files: registers their served versions as kinds (scope, status
/// subresource, short names) and collects their OpenAPI v3 schemas for <see cref="CrdSchemaValidator"/>.
/// </summary>
public static class CrdLoader
{
    /// <summary>Loads every *.yaml/*.yml CRD of <paramref name="folder"/>; returns the kinds and their schemas.</summary>
    public static IReadOnlyList<(ResourceType Type, JsonObject Schema)> LoadFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"the CRD folder {folder} does not exist; pass a folder of CustomResourceDefinition YAML files (e.g. ../shared/capi-crds/v1.10.10)");
        var result = new List<(ResourceType, JsonObject)>();
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            foreach (var doc in YamlToJson.ParseAll(File.ReadAllText(file)))
            {
                if (doc is JsonObject crd && crd["kind"]?.GetValue<string>() == "CustomResourceDefinition")
                    result.AddRange(FromCrd(crd, file));
            }
        }
        return result;
    }

    private static IEnumerable<(ResourceType, JsonObject)> FromCrd(JsonObject crd, string file)
    {
        var spec = crd["spec"] as JsonObject ?? throw new InvalidDataException($"{file}: the CRD has no spec");
        var group = spec["group"]!.GetValue<string>();
        var names = spec["names"]!.AsObject();
        var kind = names["kind"]!.GetValue<string>();
        var plural = names["plural"]!.GetValue<string>();
        var shortNames = names["shortNames"] is JsonArray s ? s.Select(n => n!.GetValue<string>()).ToList() : [];
        var namespaced = spec["scope"]?.GetValue<string>() != "Cluster";
        foreach (var version in spec["versions"]!.AsArray().OfType<JsonObject>())
        {
            if (version["served"]?.GetValue<bool>() != true) continue;
            var name = version["name"]!.GetValue<string>();
            var hasStatus = version["subresources"]?["status"] is not null;
            var schema = version["schema"]?["openAPIV3Schema"] as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            var type = new ResourceType(group, name, kind, plural, namespaced, hasStatus, TracksGeneration: true, IsCustom: true, shortNames)
            {
                MergeKeys = new Dictionary<string, string> { ["status.conditions"] = "type" },
            };
            yield return (type, (JsonObject)schema.DeepClone());
        }
    }

    /// <summary>Options with the CRDs of <paramref name="folder"/> registered and their schemas enforced.</summary>
    public static KubeApiServerOptions Apply(KubeApiServerOptions options, string folder)
    {
        var loaded = LoadFolder(folder);
        var registry = options.Registry ?? ResourceRegistry.CreateDefault();
        var validator = new CrdSchemaValidator();
        foreach (var (type, schema) in loaded)
        {
            registry.Add(type);
            validator.Add(type, schema);
        }
        return options with { Registry = registry, Validator = validator };
    }
}
