using System.Collections.Concurrent;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>Counts the API requests one server answered, by verb (get, list, watch, create, update, patch, delete, deletecollection) and resource.</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<(string Verb, string Resource), long> _counts = new();
    private long _total;

    /// <summary>Total requests (including discovery and errors).</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Add(string verb, string resource)
    {
        _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
    }

    /// <summary>Requests with this verb on this resource ("machines.cluster.x-k8s.io", "pods"); null = any.</summary>
    public long Count(string? verb = null, string? resource = null) =>
        _counts.Where(p => (verb is null || p.Key.Verb == verb) && (resource is null || p.Key.Resource == resource)).Sum(p => p.Value);

    /// <summary>A copy of all counters.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), long> Snapshot() => new Dictionary<(string, string), long>(_counts);

    public void Reset()
    {
        _counts.Clear();
        Interlocked.Exchange(ref _total, 0);
    }
}
