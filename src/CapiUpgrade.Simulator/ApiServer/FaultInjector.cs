using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>
/// One injected fault: requests matching <see cref="Verb"/> and <see cref="Resource"/> (null = any) get
/// <see cref="Latency"/> added and, with probability <see cref="Rate"/>, fail with <see cref="ErrorCode"/>
/// (500 InternalError, 429 TooManyRequests with Retry-After, 409 Conflict, 503 ServiceUnavailable).
/// </summary>
public sealed record FaultRule
{
    public string? Verb { get; init; }
    public string? Resource { get; init; }
    public TimeSpan Latency { get; init; }
    public int? ErrorCode { get; init; }
    public double Rate { get; init; } = 1.0;
    public int RetryAfterSeconds { get; init; } = 1;

    internal bool Matches(string verb, string resource) =>
        (Verb is null || Verb == verb) && (Resource is null || Resource == resource || Resource == resource.Split('.')[0]);
}

/// <summary>Faults of one API server, switchable at run time (C# or the /admin/faults endpoint).</summary>
public sealed class FaultInjector
{
    private readonly ObjectStore _store;
    private volatile FaultRule[] _rules = [];

    internal FaultInjector(ObjectStore store) => _store = store;

    public IReadOnlyList<FaultRule> Rules => _rules;

    public void Add(FaultRule rule)
    {
        lock (this) _rules = [.. _rules, rule];
    }

    public void Clear()
    {
        lock (this) _rules = [];
    }

    /// <summary>Ends every open watch stream now (clients see the stream end and must re-watch).</summary>
    public int CutWatches() => _store.CloseAllWatches();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<CancellationTokenSource, byte> _forwards = new();

    /// <summary>Registers an open port-forward; cancelling <paramref name="forward"/> ends it. Dispose the result when it ends.</summary>
    internal IDisposable TrackForward(CancellationTokenSource forward)
    {
        _forwards.TryAdd(forward, 0);
        return new Untrack(() => _forwards.TryRemove(forward, out _));
    }

    /// <summary>Breaks every open port-forward now (as an API server restart would); how many.</summary>
    public int CutPortForwards()
    {
        var cut = 0;
        foreach (var forward in _forwards.Keys)
        {
            try
            {
                forward.Cancel();
                cut++;
            }
            catch (ObjectDisposedException)
            {
                // it ended meanwhile
            }
        }
        return cut;
    }

    private sealed class Untrack(Action untrack) : IDisposable
    {
        public void Dispose() => untrack();
    }

    internal async Task BeforeRequestAsync(string verb, string resource, CancellationToken cancellationToken)
    {
        var rules = _rules;
        if (rules.Length == 0) return;
        foreach (var rule in rules)
        {
            if (!rule.Matches(verb, resource)) continue;
            if (rule.Latency > TimeSpan.Zero) await Task.Delay(rule.Latency, cancellationToken).ConfigureAwait(false);
            if (rule.ErrorCode is { } code && Random.Shared.NextDouble() < rule.Rate) throw Error(code, rule, verb, resource);
        }
    }

    private static ApiException Error(int code, FaultRule rule, string verb, string resource) => code switch
    {
        429 => new ApiException(429, "TooManyRequests", $"injected fault: too many requests ({verb} {resource}), please try again later") { RetryAfterSeconds = rule.RetryAfterSeconds },
        409 => new ApiException(409, "Conflict", $"injected fault: Operation cannot be fulfilled on {resource}: the object has been modified; please apply your changes to the latest version and try again"),
        503 => new ApiException(503, "ServiceUnavailable", $"injected fault: the server is currently unable to handle the request ({verb} {resource})") { RetryAfterSeconds = rule.RetryAfterSeconds },
        _ => new ApiException(code, "InternalError", $"Internal error occurred: injected fault ({verb} {resource})"),
    };
}
