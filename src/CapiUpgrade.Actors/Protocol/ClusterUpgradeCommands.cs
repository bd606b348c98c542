using Akka.Actor;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Protocol;

/// <summary>A message for one cluster's ClusterUpgradeActor; the shard extractor routes it by <see cref="IClusterScoped.Cluster"/>.</summary>
public interface IClusterUpgradeCommand : IClusterScoped;

/// <summary>
/// What callers (the CLI's `run`, the CampaignActor, the command endpoint) send to a ClusterUpgradeActor.
/// Every command is answered with <see cref="ClusterUpgradeReplies.CommandAccepted"/> or
/// <see cref="ClusterUpgradeReplies.CommandRejected"/>; <see cref="GetUpgradeStatus"/> with
/// <see cref="ClusterUpgradeReplies.UpgradeStatus"/>.
/// </summary>
public static class ClusterUpgradeCommands
{
    /// <summary>Start (or, with the same id, re-attach to) an upgrade of the cluster to <paramref name="TargetVersion"/>.</summary>
    public sealed record StartUpgrade(ClusterKey Cluster, string UpgradeId, string TargetVersion, UpgradeOptions Options, string RequestedBy) : IClusterUpgradeCommand;

    public sealed record PauseUpgrade(ClusterKey Cluster, string Reason, string By) : IClusterUpgradeCommand;

    public sealed record ResumeUpgrade(ClusterKey Cluster, string By) : IClusterUpgradeCommand;

    /// <summary>Resume a paused upgrade; a failed replacement is removed (with its etcd member) and created again.</summary>
    public sealed record RetryUpgrade(ClusterKey Cluster, string By) : IClusterUpgradeCommand;

    /// <summary>Finish or undo the in-flight replacement, release the claim, stop.</summary>
    public sealed record AbortUpgrade(ClusterKey Cluster, string By) : IClusterUpgradeCommand;

    public sealed record GetUpgradeStatus(ClusterKey Cluster) : IClusterUpgradeCommand;

    /// <summary>
    /// <paramref name="Subscriber"/> receives <see cref="ClusterUpgradeReplies.UpgradeProgress"/> after every persisted
    /// event (and one with the current status right away) until it stops or unsubscribes.
    /// </summary>
    public sealed record SubscribeToProgress(ClusterKey Cluster, IActorRef Subscriber) : IClusterUpgradeCommand;

    public sealed record UnsubscribeFromProgress(ClusterKey Cluster, IActorRef Subscriber) : IClusterUpgradeCommand;
}
