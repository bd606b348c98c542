using System.Text.Json.Serialization;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>Why a selected cluster takes no part in the campaign. Excluded clusters never count against the failure budget.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClusterExclusion>))]
public enum ClusterExclusion
{
    /// <summary>Taking part.</summary>
    None,
    AlreadyAtTarget,
    Paused,
    SingleNodeControlPlane,
    EtcdUnhealthy,
    VersionUnknown,
    /// <summary>The skew rules refuse the upgrade (downgrade, kubelet skew, …).</summary>
    VersionSkew,
    InvalidMaintenanceWindow,
    /// <summary>Selected, but no wave took it.</summary>
    NotInAnyWave,
}

/// <summary>The preflight result for one selected cluster.</summary>
public sealed record ClusterPreflight(
    string Key,
    string? CurrentVersion,
    ClusterExclusion Exclusion,
    int? Wave,
    string? MaintenanceWindow,
    int Hops,
    IReadOnlyList<Finding> Findings)
{
    public bool Included => Exclusion == ClusterExclusion.None;
}

/// <summary>A resolved wave: its clusters in start order and its concurrency as a number.</summary>
public sealed record PlannedWave(
    int Index,
    string Name,
    IReadOnlyList<string> Clusters,
    int MaxConcurrent,
    TimeSpan Soak,
    bool RequiresApproval);

/// <summary>
/// A campaign resolved against the fleet, writing nothing: the waves, every selected cluster's preflight, and the
/// failure budget as a count. <see cref="CampaignCommands.Start"/> takes it as is.
/// </summary>
public sealed record CampaignPlan(
    string CampaignId,
    KubernetesVersion TargetVersion,
    IReadOnlyList<PlannedWave> Waves,
    IReadOnlyList<ClusterPreflight> Clusters,
    int FailureBudget,
    TimeSpan? ClusterTimeout,
    IReadOnlyList<Finding> Findings)
{
    public IEnumerable<ClusterPreflight> Included => Clusters.Where(c => c.Included);
    public IEnumerable<ClusterPreflight> Excluded => Clusters.Where(c => !c.Included);
    public int ClusterCount => Waves.Sum(w => w.Clusters.Count);
}
