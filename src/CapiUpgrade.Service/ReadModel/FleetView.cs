using System.Threading.Channels;

namespace CapiUpgrade.Service.ReadModel;

/// <summary>The views of a <see cref="FleetView"/> at one instant, and how many changes it had folded then.</summary>
public sealed record FleetViewState(IReadOnlyList<UpgradeView> Upgrades, IReadOnlyList<CampaignView> Campaigns, long Applied);

/// <summary>
/// The read model of every upgrade and campaign, folded from the journal (see <see cref="ReadModelProjection"/>):
/// answers <c>upgrade list</c> and <c>campaign show</c> from memory, and feeds tail subscribers. Rebuilt at start
/// from its last checkpoint and the journal's events after it, so it survives restarts.
/// Thread-safe: one writer (the projection), many readers (commands).
/// </summary>
public sealed class FleetView(int lastEvents = 50, int tailBuffer = 1000)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, UpgradeView> _upgrades = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CampaignView> _campaigns = new(StringComparer.Ordinal);
    private readonly List<Subscriber> _subscribers = [];
    private long _applied;

    /// <summary>Events folded in so far (both tags).</summary>
    public long Applied { get { lock (_gate) return _applied; } }

    public void UpdateUpgrade(string cluster, Func<UpgradeView, UpgradeView> change, EventLine? line) =>
        Update(_upgrades, cluster, () => new UpgradeView { Cluster = cluster }, change, line);

    public void UpdateCampaign(string campaignId, Func<CampaignView, CampaignView> change, EventLine? line) =>
        Update(_campaigns, campaignId, () => new CampaignView { CampaignId = campaignId }, change, line);

    /// <summary>Folds one change into a view (created when absent); with an event line, the line joins the view's last events and goes to the tail subscribers.</summary>
    private void Update<TView>(Dictionary<string, TView> views, string key, Func<TView> create, Func<TView, TView> change, EventLine? line)
        where TView : class, IEventLogView<TView>
    {
        Subscriber[] notify;
        lock (_gate)
        {
            var next = change(views.TryGetValue(key, out var current) ? current : create());
            if (line is not null)
                next = next.WithEvent(line, Append(next.LastEvents, line));
            views[key] = next;
            _applied++;
            notify = line is null ? [] : _subscribers.ToArray();
        }
        Publish(notify, line);
    }

    /// <summary>Every view as it is now, for a checkpoint (the views are immutable; the lists are copies).</summary>
    public FleetViewState Export()
    {
        lock (_gate) return new FleetViewState([.. _upgrades.Values], [.. _campaigns.Values], _applied);
    }

    /// <summary>Replaces every view by a checkpoint's (at start, before any event is folded).</summary>
    public void Import(FleetViewState state)
    {
        lock (_gate)
        {
            _upgrades.Clear();
            _campaigns.Clear();
            foreach (var u in state.Upgrades) _upgrades[u.Cluster] = u;
            foreach (var c in state.Campaigns) _campaigns[c.CampaignId] = c;
            _applied = state.Applied;
        }
    }

    /// <summary>Gives a restored campaign view its folded state back (<see cref="CampaignView.State"/>), counting no change.</summary>
    public void AttachCampaignState(string campaignId, object state)
    {
        lock (_gate)
            if (_campaigns.TryGetValue(campaignId, out var view)) _campaigns[campaignId] = view with { State = state };
    }

    public UpgradeView? Upgrade(string cluster) { lock (_gate) return _upgrades.GetValueOrDefault(cluster); }

    public CampaignView? Campaign(string id) { lock (_gate) return _campaigns.GetValueOrDefault(id); }

    public IReadOnlyList<UpgradeView> Upgrades(Func<UpgradeView, bool>? filter = null)
    {
        lock (_gate)
            return _upgrades.Values.Where(u => filter is null || filter(u)).OrderBy(u => u.Cluster, StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<CampaignView> Campaigns()
    {
        lock (_gate)
            return _campaigns.Values.OrderBy(c => c.StartedAt ?? DateTimeOffset.MaxValue).ThenBy(c => c.CampaignId, StringComparer.Ordinal).ToList();
    }

    public IEnumerable<KeyValuePair<string, long>> UpgradesByPhase()
    {
        lock (_gate) return _upgrades.Values.GroupBy(u => u.Phase).Select(g => KeyValuePair.Create(g.Key, (long)g.Count())).ToList();
    }

    public IEnumerable<KeyValuePair<string, long>> CampaignsByPhase()
    {
        lock (_gate) return _campaigns.Values.GroupBy(c => c.Phase).Select(g => KeyValuePair.Create(g.Key, (long)g.Count())).ToList();
    }

    /// <summary>
    /// Events from now on that pass the filter, until disposed. A slow reader loses the oldest
    /// events beyond the tail buffer rather than slowing the projection.
    /// </summary>
    public Subscription Subscribe(Func<EventLine, bool> filter)
    {
        var channel = Channel.CreateBounded<EventLine>(new BoundedChannelOptions(tailBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var subscriber = new Subscriber(filter, channel);
        lock (_gate) _subscribers.Add(subscriber);
        return new Subscription(channel.Reader, () => { lock (_gate) _subscribers.Remove(subscriber); channel.Writer.TryComplete(); });
    }

    private IReadOnlyList<EventLine> Append(IReadOnlyList<EventLine> events, EventLine line)
    {
        var list = new List<EventLine>(Math.Min(events.Count + 1, lastEvents));
        list.AddRange(events.Skip(Math.Max(0, events.Count + 1 - lastEvents)));
        list.Add(line);
        return list;
    }

    private static void Publish(Subscriber[] subscribers, EventLine? line)
    {
        if (line is null) return;
        foreach (var s in subscribers)
            if (s.Filter(line)) s.Channel.Writer.TryWrite(line);
    }

    private sealed record Subscriber(Func<EventLine, bool> Filter, Channel<EventLine> Channel);

    public sealed class Subscription(ChannelReader<EventLine> reader, Action dispose) : IDisposable
    {
        public ChannelReader<EventLine> Reader { get; } = reader;
        public void Dispose() => dispose();
    }
}
