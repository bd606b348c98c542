using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>The full event history of a cluster's upgrades, read from the journal (not capped like the read model's last events).</summary>
public sealed class UpgradeHistory(ActorSystem system)
{
    public async Task<IReadOnlyList<EventLine>> EventsAsync(ClusterKey key, string? persistenceId, CancellationToken cancellationToken)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var lines = new List<EventLine>();
        await journal.CurrentEventsByPersistenceId(persistenceId ?? UpgradeProjector.PersistenceIdOf(key), 0, long.MaxValue)
            .RunForeach(envelope =>
            {
                var at = envelope.Timestamp > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(envelope.Timestamp) : DateTimeOffset.UtcNow;
                var d = UpgradeEventDescriptions.Describe(envelope.Event, at);
                lines.Add(new EventLine(at, EventLine.UpgradeStream, key.ToString(), d.UpgradeId, null, d.Type, d.Text, envelope.SequenceNr));
            }, system.Materializer())
            .WaitAsync(cancellationToken);
        return lines;
    }
}
