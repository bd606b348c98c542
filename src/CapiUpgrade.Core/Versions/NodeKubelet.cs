namespace CapiUpgrade.Core.Versions;

/// <summary>
/// A workload-cluster Node's kubelet version (<c>status.nodeInfo.kubeletVersion</c>). Control-plane Nodes are
/// replaced by every hop and so end at the hop's version; the others (workers) keep theirs until a worker
/// rollout, which is what the kubelet skew rule protects.
/// </summary>
public sealed record NodeKubelet(string NodeName, KubernetesVersion KubeletVersion, bool IsControlPlane);
