using Akka.Actor;
using Akka.Hosting;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Commands;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>Marker for the cluster-upgrade shard region in the actor registry.</summary>
public sealed class ClusterUpgradeRegion;

/// <summary>pause/resume/retry/abort sent to the cluster's sharded ClusterUpgradeActor.</summary>
public sealed class ShardedUpgradeSteering(IRequiredActor<ClusterUpgradeRegion> region, ReadModel.FleetView view, ILogger<ShardedUpgradeSteering> logger) : IUpgradeSteering
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    public async Task<CommandResult> SteerAsync(string action, ClusterKey cluster, string user, string? reason, CancellationToken cancellationToken)
    {
        IClusterUpgradeCommand command = action switch
        {
            "pause" => new ClusterUpgradeCommands.PauseUpgrade(cluster, reason ?? $"paused by {user}", user),
            "resume" => new ClusterUpgradeCommands.ResumeUpgrade(cluster, user),
            "retry" => new ClusterUpgradeCommands.RetryUpgrade(cluster, user),
            "abort" => new ClusterUpgradeCommands.AbortUpgrade(cluster, user),
            _ => throw new CommandException($"upgrade {action}: unknown action"),
        };
        var actor = await region.GetAsync(cancellationToken);
        var seen = view.Upgrade(cluster.EntityId)?.EventCount ?? 0;
        object reply;
        try
        {
            reply = await actor.Ask<object>(command, AskTimeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            throw new CommandException($"upgrade {action} {cluster}: the cluster's upgrade actor did not answer within {AskTimeout.TotalSeconds:0}s; try again, and check the service log", 503);
        }
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["cluster"] = cluster.EntityId });
        switch (reply)
        {
            case ClusterUpgradeReplies.CommandAccepted ok:
                logger.LogInformation("upgrade {Action} of {Cluster} (upgrade {UpgradeId}) accepted, by {User}: {Message}", action, cluster.EntityId, ok.UpgradeId, user, ok.Message);
                // Answer once the read model shows it, so a `show` right after sees the change.
                for (var i = 0; i < 60 && (view.Upgrade(cluster.EntityId)?.EventCount ?? 0) <= seen; i++)
                    await Task.Delay(50, cancellationToken);
                return new CommandResult(CommandJson.ToNode(new { cluster = cluster.EntityId, ok.UpgradeId, action, accepted = true, ok.Message }),
                    Views.Message($"{action}: {cluster.EntityId}{(ok.UpgradeId is null ? "" : $" (upgrade {ok.UpgradeId})")}: {ok.Message}"));
            case ClusterUpgradeReplies.CommandRejected no:
                logger.LogInformation("upgrade {Action} of {Cluster} rejected, by {User}: {Reason}", action, cluster.EntityId, user, no.Reason);
                throw new CommandException($"upgrade {action} {cluster.EntityId} refused: {no.Reason}", 409);
            default:
                throw new CommandException($"upgrade {action} {cluster.EntityId}: unexpected answer {reply.GetType().Name}", 500);
        }
    }
}
