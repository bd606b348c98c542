using System.Runtime.CompilerServices;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Upgrades;

/// <summary><c>upgrade list|show|events|tail|pause|resume|retry|abort</c>: reads from the read model, steers through the sharded ClusterUpgrade entities.</summary>
public sealed class UpgradePalette(FleetView view, ReadModelProjection projection, IUpgradeSteering steering, UpgradeHistory history) : IPaletteHandler
{
    public string Palette => "upgrade";

    public async Task<CommandResult> ExecuteAsync(CommandInvocation invocation, CancellationToken cancellationToken)
    {
        await ReadModelReady(cancellationToken);
        return invocation.Spec.Name switch
        {
            "list" => List(invocation),
            "show" => Show(invocation),
            "events" => await EventsAsync(invocation, cancellationToken),
            "pause" or "resume" or "retry" or "abort" => await steering.SteerAsync(invocation.Spec.Name, Clusters.Parse(invocation.Required("cluster")), invocation.User, invocation.Optional("reason"), cancellationToken),
            var other => throw new CommandException($"upgrade {other} is not implemented", 501),
        };
    }

    public async IAsyncEnumerable<StreamItem> StreamAsync(CommandInvocation invocation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await ReadModelReady(cancellationToken);
        var cluster = invocation.Optional("cluster") is { } c ? Clusters.Parse(c).EntityId : null;
        using var subscription = view.Subscribe(e => e.Stream == EventLine.UpgradeStream && (cluster is null || e.Key == cluster));
        if (cluster is not null && view.Upgrade(cluster) is { } known)
            foreach (var line in known.LastEvents.TakeLast(10))
                yield return new StreamItem(CommandJson.ToNode(line), line.Format());
        await foreach (var line in subscription.Reader.ReadAllAsync(cancellationToken))
            yield return new StreamItem(CommandJson.ToNode(line), line.Format());
    }

    private Task ReadModelReady(CancellationToken cancellationToken) =>
        projection.CaughtUp.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

    private CommandResult List(CommandInvocation invocation)
    {
        var phase = invocation.Optional("phase");
        var campaign = invocation.Optional("campaign");
        var upgrades = view.Upgrades(u =>
            (phase is null || string.Equals(u.Phase, phase, StringComparison.OrdinalIgnoreCase)) &&
            (campaign is null || u.CampaignId == campaign));
        var now = DateTimeOffset.UtcNow;
        var rows = upgrades.Select(u => (IReadOnlyList<string>)
        [
            u.Cluster, Views.Or(u.UpgradeId), u.Phase, Views.Or(u.Step), $"{Views.Or(u.FromVersion, "?")} → {Views.Or(u.ToVersion, "?")}",
            u.MachinesTotal is { } total ? $"{u.MachinesReplaced}/{total}" : u.MachinesReplaced.ToString(),
            Views.Or(u.CampaignId), Views.Age(u.UpdatedAt, now), Views.Or(u.PauseReason ?? u.Error, ""),
        ]).ToList();
        return new CommandResult(CommandJson.ToNode(upgrades.Select(u => u with { LastEvents = [] , Actions = [] })), new CommandView
        {
            Tables = [new ViewTable(null, ["CLUSTER", "UPGRADE", "PHASE", "STEP", "VERSION", "REPLACED", "CAMPAIGN", "UPDATED", "REASON"], rows)],
            Message = upgrades.Count == 0 ? "no upgrades" : $"{upgrades.Count} upgrade(s)",
        });
    }

    private CommandResult Show(CommandInvocation invocation)
    {
        var key = Clusters.Parse(invocation.Required("cluster")).EntityId;
        var u = view.Upgrade(key) ?? throw new CommandException($"no upgrade known for cluster {key}: `upgrade list` shows the known ones", 404);
        return new CommandResult(CommandJson.ToNode(u), ShowView(u));
    }

    internal static CommandView ShowView(UpgradeView u) => new()
    {
        Title = $"upgrade of {u.Cluster}",
        Fields =
        [
            new("upgrade id", Views.Or(u.UpgradeId)),
            new("phase", u.Phase),
            new("step", Views.Or(u.Step)),
            new("versions", $"{Views.Or(u.FromVersion, "?")} → {Views.Or(u.ToVersion, "?")}"),
            new("hops", u.Hops.Count == 0 ? "-" : string.Join(" → ", u.Hops)),
            new("control plane", Views.Or(u.ControlPlaneVersions) + (u.MixedVersion ? " (mixed-version control plane)" : "")),
            new("machines replaced", u.MachinesTotal is { } t ? $"{u.MachinesReplaced} of {t}" : u.MachinesReplaced.ToString()),
            new("campaign", Views.Or(u.CampaignId)),
            new("requested by", Views.Or(u.RequestedBy)),
            new("pause reason", Views.Or(u.PauseReason) + (u.PausedBy is null ? "" : $" (by {u.PausedBy})")),
            new("error", Views.Or(u.Error)),
            new("started", Views.Time(u.StartedAt)),
            new("updated", Views.Time(u.UpdatedAt)),
            new("finished", Views.Time(u.FinishedAt)),
        ],
        Tables =
        [
            new ViewTable("machines", ["OLD MACHINE", "STAGE", "REPLACEMENT", "NODE"],
                u.Machines.Select(m => (IReadOnlyList<string>)[m.OldMachine, m.Stage, Views.Or(m.Replacement), Views.Or(m.ReplacementNode)]).ToList()),
            new ViewTable("operator actions", ["WHEN", "ACTION", "BY", "REASON"],
                u.Actions.Select(a => (IReadOnlyList<string>)[Views.Time(a.At), a.Action, a.By, Views.Or(a.Reason, "")]).ToList()),
            new ViewTable("last events", ["WHEN", "#", "EVENT", "DETAIL"],
                u.LastEvents.TakeLast(15).Select(e => (IReadOnlyList<string>)[Views.Time(e.At), e.SequenceNr.ToString(), e.Type, e.Text]).ToList()),
        ],
    };

    private async Task<CommandResult> EventsAsync(CommandInvocation invocation, CancellationToken cancellationToken)
    {
        var key = Clusters.Parse(invocation.Required("cluster"));
        var limit = int.TryParse(invocation.Optional("limit"), out var l) && l > 0 ? l : 100;
        var known = view.Upgrade(key.EntityId);
        var events = await history.EventsAsync(key, cancellationToken);
        if (events.Count == 0 && known is null)
            throw new CommandException($"no upgrade events for cluster {key}: `upgrade list` shows the known ones", 404);
        var shown = events.TakeLast(limit).ToList();
        return new CommandResult(CommandJson.ToNode(shown), new CommandView
        {
            Title = $"events of {key} ({shown.Count} of {events.Count})",
            Tables = [new ViewTable(null, ["WHEN", "#", "UPGRADE", "EVENT", "DETAIL"],
                shown.Select(e => (IReadOnlyList<string>)[Views.Time(e.At), e.SequenceNr.ToString(), Views.Or(e.UpgradeId), e.Type, e.Text]).ToList())],
        });
    }
}

/// <summary>Sends pause/resume/retry/abort to a cluster's upgrade entity and says what happened.</summary>
public interface IUpgradeSteering
{
    Task<CommandResult> SteerAsync(string action, ClusterKey cluster, string user, string? reason, CancellationToken cancellationToken);
}
