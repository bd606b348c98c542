using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>Steering before the engine's ClusterUpgrade entities are hosted: says so plainly.</summary>
public sealed class PendingUpgradeSteering : IUpgradeSteering
{
    public Task<CommandResult> SteerAsync(string action, ClusterKey cluster, string user, string? reason, CancellationToken cancellationToken) =>
        throw new CommandException($"upgrade {action} {cluster}: this service build does not host the cluster-upgrade engine yet", 501);
}
