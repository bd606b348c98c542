namespace CapiUpgrade.Simulator.Controllers;

/// <summary>REST paths of the kinds the simulated controllers touch.</summary>
public static class ApiPaths
{
    public const string Capi = "/apis/cluster.x-k8s.io/v1beta1";
    public const string Bootstrap = "/apis/bootstrap.cluster.x-k8s.io/v1beta1";
    public const string Infrastructure = "/apis/infrastructure.cluster.x-k8s.io/v1beta1";

    public static string Machines(string? ns = null) => ns is null ? $"{Capi}/machines" : $"{Capi}/namespaces/{ns}/machines";
    public static string Machine(string ns, string name) => $"{Capi}/namespaces/{ns}/machines/{name}";
    public static string Clusters(string? ns = null) => ns is null ? $"{Capi}/clusters" : $"{Capi}/namespaces/{ns}/clusters";
    public static string KubeadmConfigs(string ns) => $"{Bootstrap}/namespaces/{ns}/kubeadmconfigs";
    public static string DockerMachines(string ns) => $"{Infrastructure}/namespaces/{ns}/dockermachines";
    public static string Secrets(string? ns = null) => ns is null ? "/api/v1/secrets" : $"/api/v1/namespaces/{ns}/secrets";
    public static string ConfigMaps(string ns) => $"/api/v1/namespaces/{ns}/configmaps";
    public static string Nodes() => "/api/v1/nodes";
    public static string Pods(string ns) => $"/api/v1/namespaces/{ns}/pods";
    /// <summary>The mirror pod of a static pod: <c>kube-system/&lt;component&gt;-&lt;node&gt;</c>, as the kubelet names it.</summary>
    public static string StaticPod(string component, string node) => $"{Pods("kube-system")}/{component}-{node}";

    /// <summary>The collection path of an object reference (apiVersion, kind) in a namespace.</summary>
    public static string ForReference(string apiVersion, string kind, string ns)
    {
        var plural = kind.ToLowerInvariant() + "s";
        return apiVersion.Contains('/') ? $"/apis/{apiVersion}/namespaces/{ns}/{plural}" : $"/api/{apiVersion}/namespaces/{ns}/{plural}";
    }
}
