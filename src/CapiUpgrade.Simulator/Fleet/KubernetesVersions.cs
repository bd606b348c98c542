using System.Globalization;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>Image tags and names kubeadm uses for a Kubernetes version.</summary>
public static class KubernetesVersions
{
    /// <summary>The minor of `v1.29.4` (29).</summary>
    public static int Minor(string version)
    {
        var parts = version.TrimStart('v').Split('.');
        return parts.Length > 1 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var minor) ? minor
            : throw new ArgumentException($"'{version}' is not a Kubernetes version like v1.29.4.", nameof(version));
    }

    public static string Normalize(string version) => version.StartsWith('v') ? version : "v" + version;

    /// <summary>The version a kindest/node image boots (`kindest/node:v1.28.9` → v1.28.9), or null.</summary>
    public static string? FromNodeImage(string? image)
    {
        if (string.IsNullOrEmpty(image)) return null;
        var colon = image.LastIndexOf(':');
        if (colon < 0) return null;
        var tag = image[(colon + 1)..];
        var at = tag.IndexOf('@');
        if (at >= 0) tag = tag[..at];
        return tag.StartsWith('v') && tag.Count(c => c == '.') >= 2 ? tag : null;
    }

    public static string NodeImage(string version) => $"kindest/node:{Normalize(version)}";

    public static string KubeletConfigMapName(string version) =>
        Minor(version) >= 24 ? "kubelet-config" : $"kubelet-config-1.{Minor(version)}";

    public static string CoreDnsImage(string version) => Minor(version) switch
    {
        >= 31 => "registry.k8s.io/coredns/coredns:v1.11.3",
        >= 29 => "registry.k8s.io/coredns/coredns:v1.11.1",
        >= 27 => "registry.k8s.io/coredns/coredns:v1.10.1",
        >= 25 => "registry.k8s.io/coredns/coredns:v1.9.3",
        _ => "registry.k8s.io/coredns/coredns:v1.8.6",
    };

    public static string EtcdImage(string version) => Minor(version) switch
    {
        >= 31 => "registry.k8s.io/etcd:3.5.15-0",
        >= 30 => "registry.k8s.io/etcd:3.5.12-0",
        29 => "registry.k8s.io/etcd:3.5.10-0",
        28 => "registry.k8s.io/etcd:3.5.9-0",
        27 => "registry.k8s.io/etcd:3.5.7-0",
        _ => "registry.k8s.io/etcd:3.5.6-0",
    };

    /// <summary>kubeadm's config API for a version (v1beta4 from 1.31, v1beta3 before).</summary>
    public static string KubeadmApiVersion(string version) => Minor(version) >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}
