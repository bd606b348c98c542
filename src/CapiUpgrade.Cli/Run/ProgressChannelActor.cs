using System.Threading.Channels;
using Akka.Actor;
using CapiUpgrade.Actors.Protocol;

namespace CapiUpgrade.Cli.Run;

/// <summary>Subscriber that hands a ClusterUpgradeActor's progress to the console loop.</summary>
public sealed class ProgressChannelActor : ReceiveActor
{
    public ProgressChannelActor(ChannelWriter<ClusterUpgradeReplies.UpgradeProgress> writer) =>
        Receive<ClusterUpgradeReplies.UpgradeProgress>(p => writer.TryWrite(p));
}
