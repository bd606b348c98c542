using Akka.Actor;
using Akka.Persistence;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>A persistent actor for journal tests: recovers, reports what it recovered, then persists (or snapshots) what it is told to.</summary>
public sealed class JournalRecorder : ReceivePersistentActor
{
    private readonly List<object> _recovered = [];

    public override string PersistenceId { get; }

    public JournalRecorder(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<SnapshotOffer>(offer => _recovered.Add(offer.Snapshot));
        Recover<RecoveryCompleted>(_ => { });
        Recover<object>(e => _recovered.Add(e));
        Command<Recovered>(_ => Sender.Tell(_recovered.ToList()));
        Command<SnapshotOf>(s => { SaveSnapshot(s.State); Sender.Tell("snapshot asked"); });
        Command<SaveSnapshotSuccess>(_ => { });
        Command<object>(e => { var sender = Sender; Persist(e, _ => sender.Tell("persisted")); });
    }

    internal sealed record Recovered { public static readonly Recovered Instance = new(); }

    /// <summary>Asks the recorder to save <paramref name="State"/> as its snapshot.</summary>
    public sealed record SnapshotOf(object State);
}

/// <summary>Runs a <see cref="JournalRecorder"/>.</summary>
public static class JournalRecording
{
    /// <summary>Starts a recorder for <paramref name="persistenceId"/>, returns what it recovered after persisting <paramref name="toPersist"/> in order.</summary>
    public static async Task<List<object>> RecoverThenPersistAsync(ActorSystem system, string persistenceId, params object[] toPersist)
    {
        var recorder = system.ActorOf(Props.Create(() => new JournalRecorder(persistenceId)));
        var recovered = await recorder.Ask<List<object>>(JournalRecorder.Recovered.Instance, TimeSpan.FromSeconds(30));
        foreach (var item in toPersist)
            await recorder.Ask<string>(item, TimeSpan.FromSeconds(30));
        await recorder.GracefulStop(TimeSpan.FromSeconds(10));
        return recovered;
    }
}
