namespace CapiUpgrade.Core.Upgrades;

/// <summary>What the operator chose when starting an upgrade. Persisted with the start event.</summary>
public sealed record UpgradeOptions
{
    public static readonly UpgradeOptions Default = new();

    /// <summary>Accept the risk of upgrading a 1-node control plane (DESIGN §4 rule 7).</summary>
    public bool AllowSingleNode { get; init; }

    /// <summary>How long a replacement may take to become a Ready control-plane node with a promoted etcd member.</summary>
    public TimeSpan MachineTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Attempts of one step on transient errors before the upgrade pauses.</summary>
    public int MaxStepAttempts { get; init; } = 5;

    /// <summary>Operator JSON patches (RFC 6902) applied to the cloned infrastructure object, the cloned KubeadmConfig and kubeadm-config's ClusterConfiguration.</summary>
    public string? InfrastructurePatch { get; init; }
    public string? BootstrapPatch { get; init; }
    public string? KubeadmConfigPatch { get; init; }
}
