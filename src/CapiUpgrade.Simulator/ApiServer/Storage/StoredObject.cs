using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>
/// One stored object version. Never mutated once stored: writers build a new version. <see cref="Node"/>
/// is read only under the store's lock (JsonNode is not safe for concurrent readers); <see cref="Json"/>
/// (its UTF-8 serialisation) is what responses and watch events send, from any thread.
/// </summary>
internal sealed class StoredObject
{
    public StoredObject(ResourceType type, JsonObject node)
    {
        Type = type;
        Node = node;
        var metadata = node["metadata"]!.AsObject();
        Name = metadata["name"]!.GetValue<string>();
        Namespace = metadata["namespace"]?.GetValue<string>();
        Uid = metadata["uid"]!.GetValue<string>();
        ResourceVersion = long.Parse(metadata["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(node);
    }

    public ResourceType Type { get; }
    public JsonObject Node { get; }
    public byte[] Json { get; }
    public string Name { get; }
    public string? Namespace { get; }
    public string Uid { get; }
    public long ResourceVersion { get; }
    public string Key => ObjectStore.KeyOf(Namespace, Name);

    public JsonObject Metadata => Node["metadata"]!.AsObject();

    public bool IsDeleting => Metadata["deletionTimestamp"] is not null;

    public IReadOnlyList<string> Finalizers =>
        Metadata["finalizers"] is JsonArray a ? a.Select(f => f!.GetValue<string>()).ToList() : [];

    public IEnumerable<string> OwnerUids =>
        Metadata["ownerReferences"] is JsonArray a
            ? a.Select(r => r?["uid"]?.GetValue<string>()).Where(u => u is not null).Select(u => u!)
            : [];
}
