namespace CapiUpgrade.Kubernetes.Management;

/// <summary>Label, annotation and naming conventions of Cluster API v1beta1 and kubeadm used on the wire.</summary>
public static class CapiConventions
{
    /// <summary>Label carrying the owning Cluster's name on Machines, bootstrap and infrastructure objects.</summary>
    public const string ClusterNameLabel = "cluster.x-k8s.io/cluster-name";
    /// <summary>Label (empty value) marking control-plane Machines.</summary>
    public const string ControlPlaneLabel = "cluster.x-k8s.io/control-plane";
    /// <summary>Annotation on the Cluster naming the upgrade that holds it (one orchestrator per cluster).</summary>
    public const string UpgradeIdAnnotation = "capi-upgrade.io/upgrade-id";
    /// <summary>The engine's pre-terminate hook annotation on an old control-plane Machine.</summary>
    public const string PreTerminateHookAnnotation = "pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade";
    /// <summary>Annotation on etcd static pods with the member's client URL(s), comma separated.</summary>
    public const string EtcdAdvertiseClientUrlsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";
    /// <summary>Node label marking control-plane Nodes.</summary>
    public const string NodeControlPlaneRoleLabel = "node-role.kubernetes.io/control-plane";

    /// <summary>The <c>&lt;cluster&gt;-kubeconfig</c> secret (key <c>value</c>).</summary>
    public static string KubeconfigSecretName(string cluster) => cluster + "-kubeconfig";
    /// <summary>The <c>&lt;cluster&gt;-etcd</c> CA secret (keys <c>tls.crt</c>, <c>tls.key</c>).</summary>
    public static string EtcdCaSecretName(string cluster) => cluster + "-etcd";

    /// <summary>Suffixes of the certificate secrets a Cluster must keep: <c>&lt;cluster&gt;-ca</c>, <c>-etcd</c>, <c>-sa</c>, <c>-proxy</c>.</summary>
    public static readonly IReadOnlyList<string> CertificateSecretSuffixes = ["-ca", "-etcd", "-sa", "-proxy"];
}
