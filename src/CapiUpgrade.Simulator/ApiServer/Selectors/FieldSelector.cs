using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Selectors;

/// <summary>
/// A field selector (<c>metadata.name=x,spec.nodeName!=y</c>): only the fields the real server supports
/// for the resource (metadata.name and metadata.namespace everywhere, plus a few per kind).
/// </summary>
public sealed class FieldSelector
{
    private sealed record Requirement(string Path, bool Equal, string Value);

    private readonly IReadOnlyList<Requirement> _requirements;

    private FieldSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public static readonly FieldSelector Everything = new([]);

    public static FieldSelector Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var list = new List<Requirement>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0) continue;
            string path, value;
            bool equal;
            var ne = part.IndexOf("!=", StringComparison.Ordinal);
            if (ne > 0) { path = part[..ne]; value = part[(ne + 2)..]; equal = false; }
            else
            {
                var eq2 = part.IndexOf("==", StringComparison.Ordinal);
                var eq = part.IndexOf('=');
                if (eq2 > 0) { path = part[..eq2]; value = part[(eq2 + 2)..]; }
                else if (eq > 0) { path = part[..eq]; value = part[(eq + 1)..]; }
                else throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
                equal = true;
            }
            path = path.Trim();
            if (path != "metadata.name" && path != "metadata.namespace" && !type.ExtraFieldSelectors.Contains(path))
                throw ApiException.BadRequest($"field label not supported: {path}");
            list.Add(new Requirement(path, equal, value.Trim()));
        }
        return new FieldSelector(list);
    }

    /// <summary>True when the stored version's fields (names, and the kind's selectable fields it computed with <see cref="Lookup"/>) satisfy every requirement.</summary>
    internal bool Matches(StoredObject obj)
    {
        foreach (var r in _requirements)
        {
            var actual = r.Path switch
            {
                "metadata.name" => obj.Name,
                "metadata.namespace" => obj.Namespace ?? "",
                _ => obj.SelectableFields?.GetValueOrDefault(r.Path) ?? "",
            };
            if ((actual == r.Value) != r.Equal) return false;
        }
        return true;
    }

    /// <summary>A field's value as a selector compares it ("" when absent; spec.unschedulable defaults to "false").</summary>
    internal static string Lookup(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(segment, out var child) ? child : null;
            if (node is null) break;
        }
        if (node is null) return path == "spec.unschedulable" ? "false" : "";
        return node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => node.ToJsonString(),
        };
    }
}
