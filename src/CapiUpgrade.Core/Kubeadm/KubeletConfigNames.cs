using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Kubeadm;

/// <summary>
/// kubeadm's names for the kubelet configuration and its RBAC: versioned (<c>kubelet-config-1.23</c>,
/// <c>kubeadm:kubelet-config-1.23</c>) before Kubernetes 1.24, unversioned (<c>kubelet-config</c>,
/// <c>kubeadm:kubelet-config</c>) from 1.24 on (the UnversionedKubeletConfigMap feature became default).
/// </summary>
public static class KubeletConfigNames
{
    public static readonly KubernetesVersion FirstUnversioned = new(1, 24, 0);

    public static bool IsVersioned(KubernetesVersion version) => version < FirstUnversioned;

    /// <summary>The ConfigMap in kube-system that holds the kubelet configuration for this version.</summary>
    public static string ConfigMapName(KubernetesVersion version) =>
        IsVersioned(version) ? $"kubelet-config-{version.MinorString}" : "kubelet-config";

    /// <summary>The Role and the RoleBinding in kube-system that let nodes read that ConfigMap.</summary>
    public static string RoleName(KubernetesVersion version) =>
        IsVersioned(version) ? $"kubeadm:kubelet-config-{version.MinorString}" : "kubeadm:kubelet-config";

    /// <summary>ClusterRole and ClusterRoleBinding that let joining nodes get Nodes.</summary>
    public const string GetNodesName = "kubeadm:get-nodes";

    public const string NodesGroup = "system:nodes";
    public const string BootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

    /// <summary>True when going from <paramref name="from"/> to <paramref name="to"/> needs a new ConfigMap (its name changes).</summary>
    public static bool NeedsNewConfigMap(KubernetesVersion from, KubernetesVersion to) => ConfigMapName(from) != ConfigMapName(to);
}
