using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// What the service observed about one candidate cluster, the planner's only input besides the spec.
/// <see cref="ControlPlaneVersions"/> are the control-plane Machines' <c>spec.version</c>s (empty when unknown);
/// <see cref="EtcdHealthy"/> is null when it was not checked (<see cref="EtcdProblem"/> says what is wrong when false);
/// <see cref="Nodes"/> feed the kubelet skew rule.
/// </summary>
public sealed record ClusterFacts(
    ClusterKey Key,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<KubernetesVersion> ControlPlaneVersions,
    bool Paused,
    int ControlPlaneReplicas,
    bool? EtcdHealthy = null,
    IReadOnlyList<NodeKubelet>? Nodes = null,
    string? EtcdProblem = null)
{
    /// <summary>The lowest control-plane version, or null when unknown.</summary>
    public KubernetesVersion? CurrentVersion => ControlPlaneVersions.Count == 0 ? null : ControlPlaneVersions.Min();
}
