using System.Collections.Concurrent;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>Counts the API requests one server answered, by verb (get, list, watch, create, update, patch, delete, deletecollection) and resource.</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<(string Verb, string Resource), long> _counts = new();
    private readonly ConcurrentDictionary<string, long> _byAgent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Agent, string Verb, string Resource), long> _detailed = new();
    private long _total;

    /// <summary>Total requests (including discovery and errors).</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <param name="agent">The User-Agent's first product name ("capi-upgrade", "kubectl", "capi-simulator"), or "" when absent.</param>
    public void Add(string verb, string resource, string agent = "")
    {
        _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);
        _byAgent.AddOrUpdate(agent, 1, (_, n) => n + 1);
        _detailed.AddOrUpdate((agent, verb, resource), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
    }

    /// <summary>Requests with this verb on this resource ("machines.cluster.x-k8s.io", "pods"); null = any.</summary>
    public long Count(string? verb = null, string? resource = null) =>
        _counts.Where(p => (verb is null || p.Key.Verb == verb) && (resource is null || p.Key.Resource == resource)).Sum(p => p.Value);

    /// <summary>Requests sent with this User-Agent product name (see <see cref="AgentOf"/>).</summary>
    public long ByAgent(string agent) => _byAgent.TryGetValue(agent, out var n) ? n : 0;

    /// <summary>Requests by User-Agent product name.</summary>
    public IReadOnlyDictionary<string, long> Agents() => new Dictionary<string, long>(_byAgent);

    /// <summary>Requests of one User-Agent product, by verb and resource.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), long> SnapshotOf(string agent) =>
        _detailed.Where(p => p.Key.Agent == agent).ToDictionary(p => (p.Key.Verb, p.Key.Resource), p => p.Value);

    /// <summary>The product name of a User-Agent header: "kubectl/v1.30.2 (linux/amd64) …" → "kubectl".</summary>
    public static string AgentOf(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return "";
        var text = userAgent.Trim();
        var end = text.IndexOfAny(['/', ' ']);
        return end < 0 ? text : text[..end];
    }

    /// <summary>A copy of all counters.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), long> Snapshot() => new Dictionary<(string, string), long>(_counts);

    public void Reset()
    {
        _counts.Clear();
        _byAgent.Clear();
        _detailed.Clear();
        Interlocked.Exchange(ref _total, 0);
    }
}
