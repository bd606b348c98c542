using System.Collections.Concurrent;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>Counts the API requests one server answered, by verb (get, list, watch, create, update, patch, delete, deletecollection) and resource.</summary>
public sealed class RequestCounter
{
    // One counter per (User-Agent product, verb, resource); every view below is a sum over it.
    private readonly ConcurrentDictionary<(string Agent, string Verb, string Resource), long> _counts = new();
    private long _total;

    /// <summary>Total requests (including discovery and errors).</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <param name="agent">The User-Agent's first product name ("capi-upgrade", "kubectl", "capi-simulator"), or "" when absent.</param>
    public void Add(string verb, string resource, string agent = "")
    {
        _counts.AddOrUpdate((agent, verb, resource), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
    }

    /// <summary>Requests with this verb on this resource ("machines.cluster.x-k8s.io", "pods") from this User-Agent product (<see cref="AgentOf"/>); null = any.</summary>
    public long Count(string? verb = null, string? resource = null, string? agent = null) =>
        _counts.Where(p => (verb is null || p.Key.Verb == verb) && (resource is null || p.Key.Resource == resource) && (agent is null || p.Key.Agent == agent)).Sum(p => p.Value);

    /// <summary>Requests sent with this User-Agent product name (see <see cref="AgentOf"/>).</summary>
    public long ByAgent(string agent) => _counts.Where(p => p.Key.Agent == agent).Sum(p => p.Value);

    /// <summary>Requests by User-Agent product name.</summary>
    public IReadOnlyDictionary<string, long> Agents() =>
        _counts.GroupBy(p => p.Key.Agent, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);

    /// <summary>Requests of one User-Agent product, by verb and resource.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), long> SnapshotOf(string agent) => Sum(_counts.Where(p => p.Key.Agent == agent));

    /// <summary>The product name of a User-Agent header: "kubectl/v1.30.2 (linux/amd64) …" → "kubectl".</summary>
    public static string AgentOf(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return "";
        var text = userAgent.Trim();
        var end = text.IndexOfAny(['/', ' ']);
        return end < 0 ? text : text[..end];
    }

    /// <summary>A copy of all counters.</summary>
    public IReadOnlyDictionary<(string Verb, string Resource), long> Snapshot() => Sum(_counts);

    private static Dictionary<(string Verb, string Resource), long> Sum(IEnumerable<KeyValuePair<(string Agent, string Verb, string Resource), long>> counts) =>
        counts.GroupBy(p => (p.Key.Verb, p.Key.Resource)).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));

    public void Reset()
    {
        _counts.Clear();
        Interlocked.Exchange(ref _total, 0);
    }
}
