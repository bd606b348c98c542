using CapiUpgrade.Core.Errors;

namespace CapiUpgrade.Core.Versions;

/// <summary>
/// What an upgrade of one cluster's control plane to <see cref="Target"/> will do: the chain of one-minor
/// <see cref="Hops"/> (each finished before the next starts) and the <see cref="Findings"/> about it.
/// Refused when any finding is an error; nothing to do when the control plane is already at the target.
/// </summary>
public sealed record UpgradePlan(
    string Cluster,
    KubernetesVersion Current,
    KubernetesVersion Target,
    IReadOnlyList<UpgradeHop> Hops,
    IReadOnlyList<Finding> Findings)
{
    public bool IsRefused => Findings.Any(f => f.IsError);

    public bool IsNothingToDo => !IsRefused && Hops.Count == 0;

    public IEnumerable<Finding> Errors => Findings.Where(f => f.IsError);

    /// <summary>The hop whose <c>To</c> is the first one above <paramref name="controlPlaneVersion"/> (where a resumed upgrade stands), or null when done.</summary>
    public UpgradeHop? NextHopFrom(KubernetesVersion controlPlaneVersion) =>
        Hops.FirstOrDefault(h => h.To > controlPlaneVersion);

    public override string ToString() =>
        $"{Cluster}: {Current} -> {Target} in {Hops.Count} hop(s) [{string.Join(", ", Hops)}]" +
        (IsRefused ? " REFUSED" : "");
}
