using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>What happened to a watched object, as seen by the shared cache.</summary>
public enum ResourceEventType
{
    /// <summary>The object appeared (also: replayed current objects when a subscription starts).</summary>
    Added,
    /// <summary>The object changed.</summary>
    Modified,
    /// <summary>The object is gone (deleted, or missing from a re-list after 410 Gone).</summary>
    Deleted,
}

/// <summary>
/// One change of a watched object, delivered to the subscribers of its cluster.
/// <see cref="Object"/> is the cache's copy: treat it as read-only (clone before mutating).
/// </summary>
/// <param name="Type">Added, Modified or Deleted.</param>
/// <param name="Kind">The resource kind of the shared watch that saw it.</param>
/// <param name="Cluster">The cluster the object belongs to (label <c>cluster.x-k8s.io/cluster-name</c> or <c>spec.clusterName</c>; the Cluster itself for Cluster objects).</param>
/// <param name="Object">The object's latest state (for Deleted: its last known state).</param>
/// <param name="IsReplay">True when this is the replay of an already cached object to a new subscriber.</param>
public sealed record ResourceEvent(ResourceEventType Type, ResourceKind Kind, ClusterKey Cluster, JsonObject Object, bool IsReplay)
{
    /// <summary><c>metadata.name</c>.</summary>
    public string Name => Object["metadata"]?["name"]?.GetValue<string>() ?? "";
    /// <summary><c>metadata.resourceVersion</c>.</summary>
    public string? ResourceVersion => Object["metadata"]?["resourceVersion"]?.GetValue<string>();
}
