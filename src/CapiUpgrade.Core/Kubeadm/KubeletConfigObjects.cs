using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Kubeadm;

/// <summary>
/// Builders for the objects of the seed's steps 3 and 4: the kubelet ConfigMap for the target version (a copy of
/// the previous version's), the Role/RoleBinding that let nodes and bootstrap tokens read it, and the
/// ClusterRole/ClusterRoleBinding <c>kubeadm:get-nodes</c>. All in the workload cluster.
/// </summary>
public static class KubeletConfigObjects
{
    /// <summary>
    /// The target version's kubelet ConfigMap, copied from <paramref name="previous"/> (the current version's): same
    /// data, binaryData, labels and annotations; new name; no server-set metadata.
    /// </summary>
    public static JsonObject ConfigMapFrom(JsonObject previous, KubernetesVersion target)
    {
        var copy = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = KubeletConfigNames.ConfigMapName(target),
                ["namespace"] = CapiConventions.KubeSystemNamespace,
            },
        };
        var metadata = (JsonObject)copy["metadata"]!;
        if (previous.Get("metadata", "labels") is JsonObject labels) metadata["labels"] = labels.DeepClone();
        if (previous.Get("metadata", "annotations") is JsonObject annotations) metadata["annotations"] = annotations.DeepClone();
        if (previous["data"] is JsonObject data) copy["data"] = data.DeepClone();
        if (previous["binaryData"] is JsonObject binary) copy["binaryData"] = binary.DeepClone();
        return copy;
    }

    /// <summary>Role <c>kube-system/kubeadm:kubelet-config[-X.Y]</c>: get on that one ConfigMap.</summary>
    public static JsonObject Role(KubernetesVersion version) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "Role",
        ["metadata"] = new JsonObject
        {
            ["name"] = KubeletConfigNames.RoleName(version),
            ["namespace"] = CapiConventions.KubeSystemNamespace,
        },
        ["rules"] = new JsonArray(new JsonObject
        {
            ["apiGroups"] = new JsonArray(""),
            ["resources"] = new JsonArray("configmaps"),
            ["resourceNames"] = new JsonArray(KubeletConfigNames.ConfigMapName(version)),
            ["verbs"] = new JsonArray("get"),
        }),
    };

    /// <summary>RoleBinding of the same name, for groups <c>system:nodes</c> and <c>system:bootstrappers:kubeadm:default-node-token</c>.</summary>
    public static JsonObject RoleBinding(KubernetesVersion version) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject
        {
            ["name"] = KubeletConfigNames.RoleName(version),
            ["namespace"] = CapiConventions.KubeSystemNamespace,
        },
        ["roleRef"] = new JsonObject
        {
            ["apiGroup"] = "rbac.authorization.k8s.io",
            ["kind"] = "Role",
            ["name"] = KubeletConfigNames.RoleName(version),
        },
        ["subjects"] = new JsonArray(Group(KubeletConfigNames.NodesGroup), Group(KubeletConfigNames.BootstrapTokenGroup)),
    };

    /// <summary>ClusterRole <c>kubeadm:get-nodes</c>: get on nodes.</summary>
    public static JsonObject GetNodesClusterRole() => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = new JsonObject { ["name"] = KubeletConfigNames.GetNodesName },
        ["rules"] = new JsonArray(new JsonObject
        {
            ["apiGroups"] = new JsonArray(""),
            ["resources"] = new JsonArray("nodes"),
            ["verbs"] = new JsonArray("get"),
        }),
    };

    /// <summary>ClusterRoleBinding <c>kubeadm:get-nodes</c> for the bootstrap-token group (as kubeadm creates it).</summary>
    public static JsonObject GetNodesClusterRoleBinding() => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = KubeletConfigNames.GetNodesName },
        ["roleRef"] = new JsonObject
        {
            ["apiGroup"] = "rbac.authorization.k8s.io",
            ["kind"] = "ClusterRole",
            ["name"] = KubeletConfigNames.GetNodesName,
        },
        ["subjects"] = new JsonArray(Group(KubeletConfigNames.BootstrapTokenGroup)),
    };

    private static JsonObject Group(string name) => new()
    {
        ["apiGroup"] = "rbac.authorization.k8s.io",
        ["kind"] = "Group",
        ["name"] = name,
    };
}
