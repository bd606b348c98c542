using System.Threading.Channels;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Selectors;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>
/// One open watch: the store pushes ready-to-send event lines (<c>{"type":..,"object":..}\n</c>) in
/// resourceVersion order. Dispose to stop it.
/// </summary>
public sealed class WatchSubscription : IDisposable
{
    private readonly ObjectStore _store;

    internal WatchSubscription(ObjectStore store, ResourceType type, string? ns, LabelSelector labels, FieldSelector fields)
    {
        _store = store;
        Type = type;
        Namespace = ns;
        Labels = labels;
        Fields = fields;
    }

    internal Channel<byte[]> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

    public ResourceType Type { get; }
    public string? Namespace { get; }
    internal LabelSelector Labels { get; }
    internal FieldSelector Fields { get; }

    /// <summary>Event lines; completes when the watch is cut (store stopped, fault injection, too slow a reader).</summary>
    public ChannelReader<byte[]> Lines => Channel.Reader;

    /// <summary>Queues a BOOKMARK with the store's current resourceVersion behind every event sent so far.</summary>
    public void RequestBookmark() => _store.Bookmark(this);

    public void Dispose() => _store.Unsubscribe(this);
}
