using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Protocol;

/// <summary>Answers of a ClusterUpgradeActor.</summary>
public static class ClusterUpgradeReplies
{
    public sealed record CommandAccepted(ClusterKey Cluster, string? UpgradeId, string Message) : IClusterScoped;

    /// <summary>Nothing was persisted; the reason names the object and what to do.</summary>
    public sealed record CommandRejected(ClusterKey Cluster, string Reason) : IClusterScoped;

    /// <summary>One old Machine's replacement as the status shows it.</summary>
    public sealed record MachineStatus(string OldMachine, string Stage, string? Replacement, string? ReplacementNode);

    /// <summary>Where the cluster's current (or last) upgrade stands.</summary>
    public sealed record UpgradeStatus(
        ClusterKey Cluster,
        string? UpgradeId,
        string? TargetVersion,
        UpgradePhase Phase,
        string? FromVersion,
        IReadOnlyList<string> Hops,
        int HopIndex,
        string? CurrentHopVersion,
        string? CurrentStep,
        string? CurrentMachine,
        int MachinesReplaced,
        IReadOnlyList<MachineStatus> Machines,
        bool MixedVersion,
        bool Aborting,
        string? PauseReason,
        string? PausedBy,
        string? LastError,
        DateTimeOffset? StartedAt,
        DateTimeOffset? FinishedAt,
        DateTimeOffset? UpdatedAt,
        IReadOnlyList<UpgradeSummary> History) : IClusterScoped
    {
        public bool IsFinished => Phase.IsFinished();

        public static UpgradeStatus From(ClusterUpgradeState s)
        {
            var next = s.NextStep;
            return new UpgradeStatus(
                s.Cluster, s.UpgradeId, s.TargetVersion, s.Phase, s.FromVersion, s.Hops, s.HopIndex, s.CurrentHopVersion,
                next?.Step.ToString(), next?.Machine, s.MachinesReplaced,
                s.Machines.Select(m => new MachineStatus(m.OldMachine, m.Stage.ToString(), m.Replacement, m.ReplacementNode)).ToList(),
                s.IsMixedVersion, s.Aborting, s.PauseReason, s.PausedBy, s.LastError, s.StartedAt, s.FinishedAt, s.UpdatedAt, s.History);
        }
    }

    /// <summary>Pushed to progress subscribers after each persisted event.</summary>
    public sealed record UpgradeProgress(ClusterKey Cluster, IClusterUpgradeEvent? Event, UpgradeStatus Status) : IClusterScoped;
}
