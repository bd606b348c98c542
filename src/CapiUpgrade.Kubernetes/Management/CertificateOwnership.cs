using System.Text.Json.Nodes;

namespace CapiUpgrade.Kubernetes.Management;

/// <summary>
/// Pure rule for keeping a cluster's certificate secrets alive (DESIGN §4 rule 9): drop ownerReferences to
/// KubeadmConfigs (the init config is their controller owner, and deleting it would garbage-collect them)
/// and make the Cluster their controller owner.
/// </summary>
public static class CertificateOwnership
{
    /// <summary>Rewrites <c>metadata.ownerReferences</c> of <paramref name="secret"/> in place; true when it changed.</summary>
    public static bool ReownToCluster(JsonObject secret, string clusterName, string clusterUid)
    {
        var metadata = secret["metadata"] as JsonObject ?? throw new ArgumentException("The secret has no metadata.", nameof(secret));
        var refs = metadata["ownerReferences"] as JsonArray ?? [];
        var kept = new JsonArray();
        var changed = false;
        var hasCluster = false;
        foreach (var node in refs)
        {
            if (node is not JsonObject owner)
                continue;
            var kind = owner["kind"]?.GetValue<string>();
            if (kind == "KubeadmConfig")
            {
                changed = true;
                continue;
            }
            if (kind == "Cluster" && owner["uid"]?.GetValue<string>() == clusterUid)
            {
                hasCluster = true;
            }
            else if (owner["controller"]?.GetValue<bool>() == true && !hasCluster)
            {
                // Keep other owners but a Secret may have only one controller: the Cluster takes that role.
                owner = owner.DeepClone().AsObject();
                owner["controller"] = false;
                changed = true;
            }
            kept.Add(owner.DeepClone());
        }
        if (!hasCluster)
        {
            kept.Add(new JsonObject
            {
                ["apiVersion"] = "cluster.x-k8s.io/v1beta1",
                ["kind"] = "Cluster",
                ["name"] = clusterName,
                ["uid"] = clusterUid,
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            });
            changed = true;
        }
        if (changed)
            metadata["ownerReferences"] = kept;
        return changed;
    }
}
