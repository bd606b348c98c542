using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// A fleet campaign as the operator wrote it (see README.md for the YAML). Parse with <see cref="CampaignSpecParser"/>;
/// resolve against the fleet with <see cref="CampaignPlanner"/>.
/// </summary>
public sealed record CampaignSpec(
    string Name,
    KubernetesVersion TargetVersion,
    ClusterSelector Selector,
    IReadOnlyList<WaveSpec> Waves,
    Quantity FailureBudget,
    MaintenanceWindow? DefaultMaintenanceWindow,
    string MaintenanceWindowLabel,
    bool AllowSingleNodeControlPlane,
    TimeSpan? ClusterTimeout,
    IReadOnlyList<KubernetesVersion> AvailableVersions)
{
    public const string DefaultMaintenanceWindowLabel = "capi-upgrade.io/maintenance-window";
}

/// <summary>
/// One wave. It takes, from the clusters no earlier wave took, those its <see cref="Selector"/> matches (all when
/// null), limited to <see cref="Size"/> (a count or a percentage of those, rounded up; all when null).
/// <see cref="MaxConcurrent"/> is a count or a percentage of the wave's clusters (rounded up, at least 1).
/// After the wave, <see cref="Soak"/> passes before the next; with <see cref="RequiresApproval"/> the wave waits for
/// <c>campaign approve</c> before it starts.
/// </summary>
public sealed record WaveSpec(
    string Name,
    ClusterSelector? Selector,
    Quantity? Size,
    Quantity MaxConcurrent,
    TimeSpan Soak,
    bool RequiresApproval);

/// <summary>
/// Which clusters: every non-empty criterion must hold. <see cref="Names"/> entries are <c>name</c>,
/// <c>namespace/name</c> (in any management cluster) or <c>management/namespace/name</c>.
/// </summary>
public sealed record ClusterSelector(
    IReadOnlyList<string> ManagementClusters,
    IReadOnlyList<string> Namespaces,
    LabelSelector Labels,
    IReadOnlyList<string> Names)
{
    public static ClusterSelector Everything { get; } = new([], [], LabelSelector.Everything, []);

    public bool Matches(ClusterKey key, IReadOnlyDictionary<string, string> labels) =>
        (ManagementClusters.Count == 0 || ManagementClusters.Contains(key.Management)) &&
        (Namespaces.Count == 0 || Namespaces.Contains(key.Namespace)) &&
        Labels.Matches(labels) &&
        (Names.Count == 0 || Names.Any(n => NameMatches(n, key)));

    private static bool NameMatches(string entry, ClusterKey key)
    {
        var parts = entry.Split('/');
        return parts.Length switch
        {
            1 => parts[0] == key.Name,
            2 => parts[0] == key.Namespace && parts[1] == key.Name,
            3 => parts[0] == key.Management && parts[1] == key.Namespace && parts[2] == key.Name,
            _ => false,
        };
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (ManagementClusters.Count > 0) parts.Add($"management in ({string.Join(",", ManagementClusters)})");
        if (Namespaces.Count > 0) parts.Add($"namespace in ({string.Join(",", Namespaces)})");
        if (Labels.Requirements.Count > 0) parts.Add($"labels {Labels}");
        if (Names.Count > 0) parts.Add($"names ({string.Join(",", Names)})");
        return parts.Count == 0 ? "all clusters" : string.Join("; ", parts);
    }
}
