using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>A workload cluster Node as the upgrade needs it.</summary>
/// <param name="Name">metadata.name.</param>
/// <param name="ProviderId">spec.providerID (e.g. <c>docker:////m-1</c>), null if unset.</param>
/// <param name="Ready">Condition Ready is True.</param>
/// <param name="KubeletVersion">status.nodeInfo.kubeletVersion (e.g. <c>v1.29.4</c>), null if unreported.</param>
/// <param name="IsControlPlane">Has label <c>node-role.kubernetes.io/control-plane</c>.</param>
/// <param name="ResourceVersion">metadata.resourceVersion.</param>
public sealed record NodeInfo(string Name, string? ProviderId, bool Ready, string? KubeletVersion, bool IsControlPlane, string? ResourceVersion);

/// <summary>A kube-system Pod (control-plane static pods: etcd, kube-apiserver, kube-controller-manager, kube-scheduler).</summary>
/// <param name="Name">metadata.name, e.g. <c>etcd-node-1</c>.</param>
/// <param name="NodeName">spec.nodeName.</param>
/// <param name="Component">Label <c>component</c> (e.g. <c>etcd</c>), null if absent.</param>
/// <param name="Ready">Condition Ready is True.</param>
/// <param name="EtcdClientUrls">For etcd pods: the URLs of annotation <c>kubeadm.kubernetes.io/etcd.advertise-client-urls</c>.</param>
/// <param name="ResourceVersion">metadata.resourceVersion.</param>
public sealed record PodInfo(string Name, string? NodeName, string? Component, bool Ready, IReadOnlyList<string> EtcdClientUrls, string? ResourceVersion);

/// <summary>A ConfigMap's data with the resourceVersion it was read at.</summary>
public sealed record ConfigMapData(string Namespace, string Name, IReadOnlyDictionary<string, string> Data, string? ResourceVersion);

/// <summary>An RBAC policy rule.</summary>
public sealed record RbacRule(IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Resources, IReadOnlyList<string> Verbs, IReadOnlyList<string>? ResourceNames = null);

/// <summary>An RBAC subject, e.g. <c>new RbacSubject("Group", "system:nodes")</c>.</summary>
public sealed record RbacSubject(string Kind, string Name, string? Namespace = null);

/// <summary>Which workload object a <see cref="WorkloadEvent"/> is about.</summary>
public enum WorkloadObjectKind
{
    /// <summary>A Node.</summary>
    Node,
    /// <summary>A kube-system Pod.</summary>
    Pod,
}

/// <summary>A change of a workload cluster's Node or kube-system Pod, seen by its watch.</summary>
/// <param name="Cluster">The workload cluster.</param>
/// <param name="ObjectKind">Node or Pod.</param>
/// <param name="Type">Added, Modified or Deleted (Added with <paramref name="IsReplay"/> for objects present when the subscription started).</param>
/// <param name="Node">Set when <paramref name="ObjectKind"/> is Node.</param>
/// <param name="Pod">Set when <paramref name="ObjectKind"/> is Pod.</param>
/// <param name="IsReplay">Replay of a cached object to a new subscriber.</param>
public sealed record WorkloadEvent(ClusterKey Cluster, WorkloadObjectKind ObjectKind, Watching.ResourceEventType Type, NodeInfo? Node, PodInfo? Pod, bool IsReplay);
