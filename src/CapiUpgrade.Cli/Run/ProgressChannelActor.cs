using System.Threading.Channels;
using Akka.Actor;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Cli.Run;

/// <summary>
/// Writes the progress of the upgrades it follows to a channel. A ClusterUpgradeActor that stops (a journal
/// failure, then its backoff supervisor restarts it) forgets its subscribers: this actor watches the one that
/// answers and, when it stops, subscribes again every two seconds until the restarted one answers (with its
/// current status first), so a long run never goes quiet.
/// </summary>
public sealed class ProgressChannelActor : ReceiveActor, IWithTimers
{
    /// <summary>Follow the upgrade of <paramref name="Cluster"/> behind <paramref name="Upgrade"/> (its supervisor or its entity region).</summary>
    public sealed record Follow(IActorRef Upgrade, ClusterKey Cluster);

    private sealed record Resubscribe(ClusterKey Cluster);

    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(2);
    private readonly Dictionary<ClusterKey, IActorRef> _followed = new();
    private readonly Dictionary<IActorRef, ClusterKey> _answering = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ProgressChannelActor(ChannelWriter<ClusterUpgradeReplies.UpgradeProgress> writer)
    {
        Receive<Follow>(f =>
        {
            _followed[f.Cluster] = f.Upgrade;
            f.Upgrade.Tell(new ClusterUpgradeCommands.SubscribeToProgress(f.Cluster, Self));
        });
        Receive<ClusterUpgradeReplies.UpgradeProgress>(p =>
        {
            writer.TryWrite(p);
            if (Sender.IsNobody() || _answering.ContainsKey(Sender)) return;
            _answering[Sender] = p.Cluster;
            Context.Watch(Sender);
            Timers.Cancel(p.Cluster);
        });
        Receive<Terminated>(t =>
        {
            if (!_answering.Remove(t.ActorRef, out var cluster) || !_followed.ContainsKey(cluster)) return;
            Timers.StartPeriodicTimer(cluster, new Resubscribe(cluster), RetryEvery);
        });
        Receive<Resubscribe>(r =>
        {
            if (_followed.TryGetValue(r.Cluster, out var upgrade))
                upgrade.Tell(new ClusterUpgradeCommands.SubscribeToProgress(r.Cluster, Self));
        });
    }
}
