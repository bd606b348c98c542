namespace CapiUpgrade.Core.Versions;

/// <summary>One step of at most one minor version; <see cref="Index"/> counts from 0 in the chain.</summary>
public sealed record UpgradeHop(int Index, KubernetesVersion From, KubernetesVersion To)
{
    public override string ToString() => $"{From} -> {To}";
}
