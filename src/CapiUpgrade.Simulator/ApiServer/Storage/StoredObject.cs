using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Selectors;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>
/// One stored object version, kept as its UTF-8 JSON (what responses and watch events send, from any thread)
/// and the few fields the store reads on every write or watch event: names, resourceVersion, deletion,
/// finalizers, owners, labels and the kind's selectable fields. Never mutated once stored: writers build a new
/// version from <see cref="ParseNode"/>. Not the object tree itself: a tree is tens of objects per field,
/// and a store's live versions and its watch history (a thousand versions and their predecessors) kept as trees
/// were most of what a busy simulated fleet's garbage collections had to trace and move.
/// </summary>
internal sealed class StoredObject
{
    /// <summary>Stores <paramref name="node"/> as it is now; the store keeps no reference to it.</summary>
    public StoredObject(ResourceType type, JsonObject node)
    {
        Type = type;
        var metadata = node["metadata"]!.AsObject();
        Name = metadata["name"]!.GetValue<string>();
        Namespace = metadata["namespace"]?.GetValue<string>();
        Uid = metadata["uid"]!.GetValue<string>();
        ResourceVersion = long.Parse(metadata["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        IsDeleting = metadata["deletionTimestamp"] is not null;
        Finalizers = metadata["finalizers"] is JsonArray f ? f.Select(x => x!.GetValue<string>()).ToArray() : [];
        OwnerUids = metadata["ownerReferences"] is JsonArray r
            ? r.Select(x => x?["uid"]?.GetValue<string>()).Where(u => u is not null).Select(u => u!).ToArray()
            : [];
        Labels = LabelSelector.LabelsOf(node);
        SelectableFields = type.ExtraFieldSelectors.Count > 0
            ? type.ExtraFieldSelectors.ToDictionary(path => path, path => FieldSelector.Lookup(node, path), StringComparer.Ordinal)
            : null;
        Json = JsonSerializer.SerializeToUtf8Bytes(node);
    }

    public ResourceType Type { get; }
    public byte[] Json { get; }
    public string Name { get; }
    public string? Namespace { get; }
    public string Uid { get; }
    public long ResourceVersion { get; }
    public string Key => ObjectStore.KeyOf(Namespace, Name);
    public bool IsDeleting { get; }
    public IReadOnlyList<string> Finalizers { get; }
    public IReadOnlyList<string> OwnerUids { get; }

    /// <summary>metadata.labels (string values), or null when it has none.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; }

    /// <summary>The kind's extra field-selector fields (e.g. a Pod's spec.nodeName) as a selector compares them.</summary>
    public IReadOnlyDictionary<string, string>? SelectableFields { get; }

    /// <summary>A new tree of this version, the caller's own to read or change.</summary>
    public JsonObject ParseNode() => JsonNode.Parse(Json)!.AsObject();

    public bool Matches(LabelSelector labels, FieldSelector fields) => labels.Matches(Labels) && fields.Matches(this);
}
