using Akka.Persistence.Query;
using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>
/// Folds the engine's cluster-upgrade events (tag <see cref="Tag"/>) into the read model. The
/// engine's persistence id is <c>cluster-upgrade/&lt;namespace&gt;/&lt;name&gt;</c>
/// (<c>cluster-upgrade/&lt;management&gt;/&lt;namespace&gt;/&lt;name&gt;</c> for a named management cluster).
/// </summary>
public sealed class UpgradeProjector : IJournalProjector
{
    public const string PersistencePrefix = "cluster-upgrade/";

    public string Tag => UpgradeEventDescriptions.Tag;

    public void Project(EventEnvelope envelope, FleetView view)
    {
        var key = KeyOf(envelope.PersistenceId);
        if (key is null) return;
        var at = envelope.Timestamp > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(envelope.Timestamp) : DateTimeOffset.UtcNow;
        var description = UpgradeEventDescriptions.Describe(envelope.Event, at);
        var line = new EventLine(at, EventLine.UpgradeStream, key, description.UpgradeId, null, description.Type, description.Text, envelope.SequenceNr);
        view.UpdateUpgrade(key, u =>
        {
            var next = description.Apply(u) with { PersistenceId = envelope.PersistenceId };
            if (description.UpgradeId is not null && next.UpgradeId != description.UpgradeId)
                next = next with { UpgradeId = description.UpgradeId };
            return next;
        }, line with { CampaignId = null });
    }

    public static string? KeyOf(string persistenceId)
    {
        if (!persistenceId.StartsWith(PersistencePrefix, StringComparison.Ordinal)) return null;
        var rest = persistenceId[PersistencePrefix.Length..];
        return ClusterKey.TryParse(rest, out var key) ? key.ToString() : null;
    }

    public static string PersistenceIdOf(ClusterKey key) => key.Management == ClusterKey.DefaultManagement
        ? PersistencePrefix + key.EntityId
        : PersistencePrefix + key;
}

/// <summary>What one engine event means to a person and to the read model.</summary>
public sealed record UpgradeEventDescription(string? UpgradeId, string Type, string Text, Func<UpgradeSummary, UpgradeSummary> Apply);
