using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>The full event history of a cluster's upgrades, read from the journal (not capped like the read model's last events).</summary>
public sealed class UpgradeHistory(ActorSystem system)
{
    public async Task<IReadOnlyList<EventLine>> EventsAsync(ClusterKey key, CancellationToken cancellationToken)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var lines = new List<EventLine>();
        await journal.CurrentEventsByPersistenceId(key.PersistenceId, 0, long.MaxValue)
            .RunForeach(envelope =>
            {
                if (envelope.Event is not IClusterUpgradeEvent e) return;
                var (type, text) = UpgradeProjector.Describe(e);
                lines.Add(new EventLine(e.At, EventLine.UpgradeStream, key.EntityId, e.UpgradeId, null, type, text, envelope.SequenceNr));
            }, system.Materializer())
            .WaitAsync(cancellationToken);
        return lines;
    }
}
