using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Core.Objects;

namespace CapiUpgrade.Core.Cloning;

/// <summary>
/// The metadata rules shared by every clone: keep apiVersion, kind, namespace, labels and annotations; drop what
/// the API server or controllers set (resourceVersion, uid, creationTimestamp, generation, managedFields,
/// ownerReferences, finalizers, deletion fields, selfLink) and the status; drop this product's own annotations
/// and hooks, then mark the clone with <see cref="CapiConventions.ReplacementForAnnotation"/>.
/// </summary>
public static class CloneMetadata
{
    public static readonly IReadOnlyList<string> ServerSetMetadataFields =
    [
        "resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "ownerReferences",
        "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generateName",
    ];

    /// <summary>Annotations that describe the old object and must not follow it.</summary>
    public static readonly IReadOnlyList<string> DroppedAnnotations =
    [
        "kubectl.kubernetes.io/last-applied-configuration",
        CapiConventions.UpgradePreTerminateHook,
    ];

    /// <summary>A deep copy with the new name, without server-set metadata, status, or this product's annotations.</summary>
    public static JsonObject CopyForClone(JsonObject source, string newName, string? replacementFor)
    {
        var copy = source.DeepCopy();
        copy.Remove("status");
        var metadata = copy.GetOrAddObject("metadata");
        foreach (var field in ServerSetMetadataFields) metadata.Remove(field);
        metadata["name"] = newName;
        if (metadata["annotations"] is JsonObject annotations)
        {
            foreach (var key in annotations.Select(kv => kv.Key).ToList())
            {
                if (key.StartsWith(CapiConventions.OwnAnnotationPrefix, StringComparison.Ordinal) || DroppedAnnotations.Contains(key))
                    annotations.Remove(key);
            }
        }
        if (replacementFor is not null)
            metadata.GetOrAddObject("annotations")[CapiConventions.ReplacementForAnnotation] = replacementFor;
        if (metadata["annotations"] is JsonObject { Count: 0 }) metadata.Remove("annotations");
        return copy;
    }
}
