using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>Which CAPI cluster a management-cluster object belongs to (how shared watches fan out).</summary>
public static class ClusterOwnership
{
    /// <summary>
    /// A Cluster belongs to itself; any other object to the cluster named by its
    /// <c>cluster.x-k8s.io/cluster-name</c> label, else by <c>spec.clusterName</c>, in its own namespace.
    /// Null when it names none.
    /// </summary>
    public static ClusterKey? ClusterOf(ResourceKind kind, JsonObject obj)
    {
        var metadata = obj["metadata"];
        var ns = metadata?["namespace"]?.GetValue<string>() ?? "";
        if (kind.Kind == "Cluster" && kind.Group == ResourceKind.Cluster.Group)
            return metadata?["name"]?.GetValue<string>() is { } own ? new ClusterKey(ns, own) : null;
        if (metadata?["labels"]?[CapiConventions.ClusterNameLabel]?.GetValue<string>() is { Length: > 0 } label)
            return new ClusterKey(ns, label);
        if (obj["spec"]?["clusterName"] is JsonValue value && value.TryGetValue<string>(out var clusterName) && clusterName.Length > 0)
            return new ClusterKey(ns, clusterName);
        return null;
    }
}
