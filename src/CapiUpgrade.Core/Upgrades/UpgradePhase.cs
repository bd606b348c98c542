namespace CapiUpgrade.Core.Upgrades;

/// <summary>Where one upgrade of one cluster stands.</summary>
public enum UpgradePhase
{
    /// <summary>No upgrade was ever started on this cluster.</summary>
    None,
    /// <summary>Steps run one after the other.</summary>
    Running,
    /// <summary>Stopped with a reason a person can act on; `resume` or `retry` goes on.</summary>
    Paused,
    /// <summary>Every hop done, every control-plane Machine at the target, the claim released.</summary>
    Succeeded,
    /// <summary>Refused before anything was written (claim held by another upgrade, 1-node control plane, skew...).</summary>
    Refused,
    /// <summary>Stopped by the operator after the in-flight replacement was finished; claim released.</summary>
    Aborted,
}

public static class UpgradePhaseExtensions
{
    public static bool IsFinished(this UpgradePhase phase) =>
        phase is UpgradePhase.Succeeded or UpgradePhase.Refused or UpgradePhase.Aborted;
}
