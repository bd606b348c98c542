namespace CapiUpgrade.Core.Capi;

/// <summary>Cluster API v1beta1 (v1.10) and kubeadm names every part of the product agrees on.</summary>
public static class CapiConventions
{
    public const string ClusterApiVersion = "cluster.x-k8s.io/v1beta1";
    public const string BootstrapApiVersion = "bootstrap.cluster.x-k8s.io/v1beta1";
    public const string ControlPlaneApiVersion = "controlplane.cluster.x-k8s.io/v1beta1";
    public const string InfrastructureApiVersion = "infrastructure.cluster.x-k8s.io/v1beta1";

    public const string ClusterNameLabel = "cluster.x-k8s.io/cluster-name";
    public const string ControlPlaneLabel = "cluster.x-k8s.io/control-plane";
    public const string MachineFinalizer = "machine.cluster.x-k8s.io";
    public const string NodeControlPlaneRoleLabel = "node-role.kubernetes.io/control-plane";

    public const string PreDrainHookPrefix = "pre-drain.delete.hook.machine.cluster.x-k8s.io/";
    public const string PreTerminateHookPrefix = "pre-terminate.delete.hook.machine.cluster.x-k8s.io/";

    /// <summary>The pre-terminate hook this product puts on an old control-plane Machine before deleting it.</summary>
    public const string UpgradePreTerminateHook = PreTerminateHookPrefix + "capi-upgrade";

    /// <summary>The claim on a Cluster: its value is the upgrade id that holds the cluster (DESIGN §4 rule 10).</summary>
    public const string UpgradeIdAnnotation = "capi-upgrade.io/upgrade-id";

    /// <summary>Put on a replacement Machine (and its clones): the name of the Machine it replaces.</summary>
    public const string ReplacementForAnnotation = "capi-upgrade.io/replacement-for";

    /// <summary>Prefix of every annotation this product owns.</summary>
    public const string OwnAnnotationPrefix = "capi-upgrade.io/";

    public const string EtcdAdvertiseClientUrlsAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";

    public const string KubeadmConfigMapName = "kubeadm-config";
    public const string KubeSystemNamespace = "kube-system";

    /// <summary>The <c>&lt;cluster&gt;-kubeconfig</c> secret (key <c>value</c>).</summary>
    public static string KubeconfigSecretName(string cluster) => cluster + "-kubeconfig";
    /// <summary>The <c>&lt;cluster&gt;-etcd</c> CA secret (keys <c>tls.crt</c>, <c>tls.key</c>).</summary>
    public static string EtcdCaSecretName(string cluster) => cluster + "-etcd";

    /// <summary>Suffixes of the certificate secrets a Cluster must keep: <c>&lt;cluster&gt;-ca</c>, <c>-etcd</c>, <c>-sa</c>, <c>-proxy</c>.</summary>
    public static readonly IReadOnlyList<string> CertificateSecretSuffixes = ["-ca", "-etcd", "-sa", "-proxy"];
}
