using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>
/// etcd over gRPC with dotnet-etcd, one client per member endpoint (a call to "the leader" or "member X"
/// must reach that member, not a load-balanced one). TLS is turned on by <c>configureSslOptions</c>: the
/// client certificate is offered and the server's chain is checked against the cluster's etcd CA.
/// </summary>
public sealed class EtcdCluster : IEtcdCluster
{
    private readonly X509ChainPolicy _trustedAuthorities;
    private readonly SslStreamCertificateContext _identity;
    private readonly RetryOptions _retry;
    private readonly TimeSpan _callTimeout;
    private readonly ConcurrentDictionary<string, EtcdClient> _clients = new(StringComparer.Ordinal);
    // Taken by every call for its member's client (and stamps the last use) and by closing the clients, so that a
    // connection closed for being idle cannot be one a call has just picked up.
    private readonly Lock _clientsLock = new();
    private long _lastUsedTicks = Environment.TickCount64;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _seedByName;
    private readonly bool _sharedByFactory;
    private volatile IReadOnlyList<string> _endpoints;
    private int _rotation;
    private Func<CancellationToken, Task<IReadOnlyList<string>>>? _reseed;
    private Func<Uri, CancellationToken, Task<Stream>>? _connect;
    // The gRPC channels made here for a connector (dotnet-etcd does not dispose a channel it was handed).
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>
    /// Connects to an etcd cluster at <paramref name="endpoints"/> (client URLs, <c>https://host:port</c>).
    /// </summary>
    /// <param name="endpoints">Seed client URLs; refreshed from MemberList afterwards.</param>
    /// <param name="credentials">CA + client certificate.</param>
    /// <param name="retry">Retry budget (default <see cref="RetryOptions.EtcdDefault"/>).</param>
    /// <param name="cluster">The workload cluster, for messages.</param>
    /// <param name="callTimeout">Deadline of one gRPC call (default 5 s).</param>
    /// <param name="seedByMemberName">Client URLs by member (node) name, for members whose MemberList entry has none yet.</param>
    public EtcdCluster(IReadOnlyList<string> endpoints, EtcdClientCredentials credentials, RetryOptions? retry = null, ClusterKey? cluster = null,
        TimeSpan? callTimeout = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? seedByMemberName = null)
        : this(endpoints, credentials, retry, cluster, callTimeout, seedByMemberName, sharedByFactory: false)
    {
    }

    internal EtcdCluster(IReadOnlyList<string> endpoints, EtcdClientCredentials credentials, RetryOptions? retry, ClusterKey? cluster,
        TimeSpan? callTimeout, IReadOnlyDictionary<string, IReadOnlyList<string>>? seedByMemberName, bool sharedByFactory)
    {
        if (endpoints.Count == 0)
            throw new ArgumentException($"No etcd endpoints given{(cluster is null ? "" : $" for cluster {cluster}")}; the etcd static pods carry them in annotation {CapiConventions.EtcdAdvertiseClientUrlsAnnotation}.", nameof(endpoints));
        _endpoints = endpoints.Distinct().ToList();
        // Built once for every member connection of this cluster (TlsTrust).
        _trustedAuthorities = TlsTrust.OnlyAuthorities([credentials.CertificateAuthority]);
        _identity = TlsTrust.ClientIdentity(credentials.ClientCertificate, credentials.CertificateAuthority);
        _retry = retry ?? RetryOptions.EtcdDefault;
        _callTimeout = callTimeout ?? TimeSpan.FromSeconds(5);
        _seedByName = seedByMemberName ?? new Dictionary<string, IReadOnlyList<string>>();
        _sharedByFactory = sharedByFactory;
        Cluster = cluster;
    }

    /// <inheritdoc />
    public ClusterKey? Cluster { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Endpoints => _endpoints;

    private string Where => Cluster is null ? $"etcd at {string.Join(",", _endpoints)}" : $"etcd of cluster {Cluster}";

    /// <inheritdoc />
    public async Task<IReadOnlyList<EtcdMember>> ListMembersAsync(CancellationToken cancellationToken)
    {
        var response = await CallAnyAsync("member list", null, (client, deadline, ct) => client.MemberListAsync(new MemberListRequest(), deadline: deadline, cancellationToken: ct), cancellationToken);
        var members = response.Members.Select(m => new EtcdMember(m.ID, m.Name, m.PeerURLs.ToList(), m.ClientURLs.ToList(), m.IsLearner)).ToList();
        var urls = members.SelectMany(m => m.ClientUrls).Where(u => u.Length > 0).Distinct().ToList();
        if (urls.Count > 0)
            _endpoints = urls;
        return members;
    }

    /// <inheritdoc />
    public Task<EtcdHealthReport> CheckHealthAsync(CancellationToken cancellationToken) => CheckHealthAsync([], cancellationToken);

    /// <inheritdoc />
    public async Task<EtcdHealthReport> CheckHealthAsync(IReadOnlyCollection<string> alsoAsk, CancellationToken cancellationToken)
    {
        // One round trip where it can be: the members known from the last member list, and any endpoint the
        // caller expects a new member at, are asked for their status and a read beside the member list; only a
        // member the list names at an endpoint nobody asked yet is asked after it. The verdict is the same as
        // asking after the list: every listed member is judged by its own endpoint's answer.
        // The alarms come with each member's Status (its `errors`, as `etcdctl endpoint status` shows them), not
        // from the Alarm RPC: etcd sends every Alarm request, a GET too, through raft — a proposal appended to the
        // workload cluster's log and committed by a quorum's disk writes, on every check.
        var probes = new Dictionary<string, Task<MemberProbe>>(StringComparer.Ordinal);
        foreach (var endpoint in _endpoints.Concat(alsoAsk))
        {
            if (!probes.ContainsKey(endpoint)) probes[endpoint] = ProbeAsync(endpoint, cancellationToken);
        }
        var members = await ListMembersAsync(cancellationToken);
        var judged = await Task.WhenAll(members.Select(m => MemberHealthAsync(m, probes, cancellationToken)));
        var health = judged.Select(j => j.Health).ToArray();
        var alarms = judged.SelectMany(j => j.Alarms).Distinct().ToList();
        var leaders = health.Where(h => h.Healthy && h.LeaderId != 0).GroupBy(h => h.LeaderId).OrderByDescending(g => g.Count()).ToList();
        var leaderId = leaders.Count > 0 && health.Any(h => h.Healthy && h.Member.Id == leaders[0].Key) ? leaders[0].Key : 0;
        return new EtcdHealthReport(health, alarms, leaderId);
    }

    /// <inheritdoc />
    public Task WarmUpAsync(IReadOnlyCollection<string> endpoints, CancellationToken cancellationToken) =>
        Task.WhenAll(endpoints.Select(async endpoint =>
        {
            try
            {
                await DeadlineAsRpc(ClientFor(endpoint).StatusAsync(new StatusRequest(), deadline: Deadline(), cancellationToken: cancellationToken), cancellationToken);
            }
            catch (Exception e) when (IsCallFailure(e) || e is OperationCanceledException)
            {
                // The member may not answer yet: the health check that follows says so.
            }
        }));

    /// <summary>What one endpoint answered: its Status (or the call's failure) and a linearizable read's failure, if any.</summary>
    private sealed record MemberProbe(string Endpoint, StatusResponse? Status, Exception? StatusError, Exception? ReadError);

    /// <summary>
    /// Status and, like `etcdctl endpoint health`, a linearizable read (it needs the member to reach quorum)
    /// at one endpoint, side by side. Failures are returned, never thrown, so a probe nobody uses is still observed.
    /// </summary>
    private async Task<MemberProbe> ProbeAsync(string endpoint, CancellationToken ct)
    {
        EtcdClient client;
        try
        {
            client = ClientFor(endpoint);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            return new MemberProbe(endpoint, null, e, null);
        }
        var read = ReadAsync(client, ct);
        try
        {
            var status = await DeadlineAsRpc(client.StatusAsync(new StatusRequest(), deadline: Deadline(), cancellationToken: ct), ct);
            return new MemberProbe(endpoint, status, null, await read);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            await read;
            return new MemberProbe(endpoint, null, e, null);
        }
    }

    private static bool IsCallFailure(Exception e) => e is RpcException or HttpRequestException or IOException or InvalidOperationException;

    private async Task<(EtcdMemberHealth Health, IReadOnlyList<EtcdAlarm> Alarms)> MemberHealthAsync(EtcdMember member, IReadOnlyDictionary<string, Task<MemberProbe>> probes, CancellationToken ct)
    {
        var endpoint = EndpointOf(member);
        if (endpoint is null)
            return (new EtcdMemberHealth(member, null, false, false, 0, 0, 0, "it has no client URL (added but not started?)"), []);
        var probe = await (probes.TryGetValue(endpoint, out var asked) ? asked : ProbeAsync(endpoint, ct));
        if (probe.Status is not { } status)
            return (new EtcdMemberHealth(member, endpoint, false, false, 0, 0, 0, $"{endpoint}: {Message(probe.StatusError!)}", IsDeadlineExceeded(probe.StatusError!)), []);
        var (alarms, errors) = EtcdStatusErrors.Split(status.Errors);
        return (JudgeStatus(member, endpoint, status, errors, probe.ReadError), alarms);
    }

    private static EtcdMemberHealth JudgeStatus(EtcdMember member, string endpoint, StatusResponse status, IReadOnlyList<string> errors, Exception? readError)
    {
        if (errors.Count > 0)
            return new EtcdMemberHealth(member, endpoint, false, status.Header.MemberId == status.Leader, status.Leader, status.RaftTerm, status.RaftIndex, string.Join("; ", errors));
        if (status.Leader == 0)
            return new EtcdMemberHealth(member, endpoint, false, false, 0, status.RaftTerm, status.RaftIndex, "it knows no leader");
        // A learner serves no linearizable read: its read's failure says nothing, whether the list or the member
        // itself (promoted in the list, not yet on itself) calls it a learner.
        if (readError is not null && !member.IsLearner && !status.IsLearner)
            return new EtcdMemberHealth(member, endpoint, false, false, status.Leader, status.RaftTerm, status.RaftIndex, $"{endpoint}: {Message(readError)}", IsDeadlineExceeded(readError));
        return new EtcdMemberHealth(member with { IsLearner = member.IsLearner || status.IsLearner }, endpoint, true, status.Header.MemberId == status.Leader, status.Leader, status.RaftTerm, status.RaftIndex, null);
    }

    private static bool IsDeadlineExceeded(Exception e) => e is RpcException { StatusCode: StatusCode.DeadlineExceeded };

    /// <summary>A linearizable read; its failure is returned (never thrown) so that it is always observed.</summary>
    private async Task<Exception?> ReadAsync(EtcdClient client, CancellationToken ct)
    {
        try
        {
            await DeadlineAsRpc(client.GetAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("health") }, deadline: Deadline(), cancellationToken: ct), ct);
            return null;
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            return e;
        }
    }

    /// <inheritdoc />
    public Task<EtcdLeaderMove> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken) =>
        MoveLeaderAsync(targetMemberId, null, cancellationToken);

    /// <summary>
    /// The move, its first attempt decided on <paramref name="current"/> when the caller has just taken one (a
    /// retry checks again). etcd answers MoveLeader once the target leads, so no check follows it: the next step
    /// (the member's removal) takes its own.
    /// </summary>
    private async Task<EtcdLeaderMove> MoveLeaderAsync(ulong targetMemberId, EtcdHealthReport? current, CancellationToken cancellationToken)
    {
        var runner = Runner();
        ulong previous = 0;
        var moved = false;
        await runner.RunAsync(async ct =>
        {
            var report = current ?? await CheckHealthAsync(ct);
            current = null;
            if (previous == 0)
                previous = report.LeaderId;
            if (report.LeaderId == targetMemberId)
                return true;
            var target = report.Members.FirstOrDefault(m => m.Member.Id == targetMemberId)
                ?? throw new EtcdOperationException($"Cannot move etcd leadership to member {targetMemberId:x16}: it is not a member of {Where}.");
            if (target.Member.IsLearner || !target.Healthy)
                throw new EtcdOperationException($"Cannot move etcd leadership to member {Label(target.Member)} of {Where}: it is {(target.Member.IsLearner ? "a learner" : $"unhealthy ({target.Error})")}; pick a healthy voter.");
            var leader = report.Members.FirstOrDefault(m => m.Member.Id == report.LeaderId)
                ?? throw new RpcException(new Status(StatusCode.Unavailable, "etcdserver: no leader"));
            if (leader.Endpoint is null)
                throw new RpcException(new Status(StatusCode.Unavailable, "etcdserver: leader has no client URL"));
            await DeadlineAsRpc(ClientFor(leader.Endpoint).MoveLeaderAsync(new MoveLeaderRequest { TargetID = targetMemberId }, deadline: Deadline(TimeSpan.FromSeconds(15)), cancellationToken: ct), ct);
            moved = true;
            return true;
        }, cancellationToken, "move leader");
        return new EtcdLeaderMove(previous, targetMemberId, moved);
    }

    /// <inheritdoc />
    public async Task<EtcdLeaderMove> MoveLeaderAwayFromAsync(ulong memberId, CancellationToken cancellationToken) =>
        await MoveLeaderAwayFromAsync(memberId, await CheckHealthAsync(cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async Task<EtcdLeaderMove> MoveLeaderAwayFromAsync(ulong memberId, EtcdHealthReport current, CancellationToken cancellationToken)
    {
        if (current.LeaderId != memberId)
            return new EtcdLeaderMove(current.LeaderId, current.LeaderId, false);
        var candidate = current.Members
            .Where(m => m.Member.Id != memberId && m.Healthy && !m.Member.IsLearner)
            .OrderByDescending(m => m.RaftIndex)
            .FirstOrDefault()
            ?? throw new EtcdOperationException($"etcd member {memberId:x16} of {Where} leads and no other healthy voter can take over ({current.Describe()}); make another member healthy first.");
        return await MoveLeaderAsync(candidate.Member.Id, current, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<EtcdMemberRemoval> RemoveMemberAsync(ulong memberId, CancellationToken cancellationToken)
    {
        var members = await ListMembersAsync(cancellationToken);
        if (members.All(m => m.Id != memberId))
            return new EtcdMemberRemoval(memberId, AlreadyAbsent: true);
        var excluded = members.First(m => m.Id == memberId).ClientUrls.ToHashSet(StringComparer.Ordinal);
        try
        {
            await CallAnyAsync($"remove member {memberId:x16}", excluded, (client, deadline, ct) => client.MemberRemoveAsync(new MemberRemoveRequest { ID = memberId }, deadline: deadline, cancellationToken: ct), cancellationToken);
        }
        catch (EtcdOperationException e) when (e.InnerException is { } inner && EtcdFailures.IsMemberNotFound(inner))
        {
            return new EtcdMemberRemoval(memberId, AlreadyAbsent: true);
        }
        // The removed member's endpoint answers no more: stop dialing it.
        _endpoints = _endpoints.Where(u => !excluded.Contains(u)).DefaultIfEmpty(_endpoints[0]).ToList();
        foreach (var url in excluded)
        {
            if (_clients.TryRemove(url, out var client))
                client.Dispose();
            if (_channels.TryRemove(url, out var channel))
                channel.Dispose();
        }
        return new EtcdMemberRemoval(memberId, AlreadyAbsent: false);
    }

    /// <inheritdoc />
    public async Task PromoteMemberAsync(ulong memberId, CancellationToken cancellationToken)
    {
        try
        {
            await CallAnyAsync($"promote member {memberId:x16}", null, (client, deadline, ct) => client.MemberPromoteAsync(new MemberPromoteRequest { ID = memberId }, deadline: deadline, cancellationToken: ct), cancellationToken);
        }
        catch (EtcdOperationException e) when (e.InnerException is { } inner && EtcdFailures.IsAlreadyVoter(inner))
        {
        }
    }

    /// <inheritdoc />
    public async Task<EtcdMember> AddMemberAsync(IReadOnlyList<string> peerUrls, bool asLearner, CancellationToken cancellationToken)
    {
        var request = new MemberAddRequest { IsLearner = asLearner };
        request.PeerURLs.AddRange(peerUrls);
        var response = await CallAnyAsync("add member", null, (client, deadline, ct) => client.MemberAddAsync(request, deadline: deadline, cancellationToken: ct), cancellationToken);
        var m = response.Member;
        return new EtcdMember(m.ID, m.Name, m.PeerURLs.ToList(), m.ClientURLs.ToList(), m.IsLearner);
    }

    /// <summary>
    /// Calls some member (rotating through the endpoints, skipping <paramref name="exclude"/>), retrying
    /// retryable errors at the next member. Failures end as <see cref="EtcdOperationException"/>.
    /// </summary>
    private async Task<T> CallAnyAsync<T>(string what, IReadOnlySet<string>? exclude, Func<EtcdClient, DateTime, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAnyOnceAsync(what, exclude, call, cancellationToken);
        }
        catch (EtcdOperationException e) when (_reseed is { } reseed && e.InnerException is { } inner && EtcdFailures.IsRetryable(inner))
        {
            // No endpoint we know answers (e.g. every member was replaced since we last looked): ask the cluster
            // where its etcd members are now, then try once more.
            var fresh = await reseed(cancellationToken);
            if (fresh.Count == 0 || fresh.ToHashSet().SetEquals(_endpoints))
                throw;
            _endpoints = fresh;
            return await CallAnyOnceAsync(what, exclude, call, cancellationToken);
        }
    }

    /// <summary>Where to find endpoints again when none of the known ones answers (the etcd static pods' annotation).</summary>
    internal void SetReseed(Func<CancellationToken, Task<IReadOnlyList<string>>> reseed) => _reseed = reseed;

    private async Task<T> CallAnyOnceAsync<T>(string what, IReadOnlySet<string>? exclude, Func<EtcdClient, DateTime, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        return await Runner().RunAsync(async ct =>
        {
            var candidates = _endpoints.Where(e => exclude is null || !exclude.Contains(e)).ToList();
            if (candidates.Count == 0)
                throw new EtcdOperationException($"{what} on {Where}: no endpoint left to ask.");
            var endpoint = candidates[(int)((uint)Interlocked.Increment(ref _rotation) % (uint)candidates.Count)];
            return await DeadlineAsRpc(call(ClientFor(endpoint), Deadline(), ct), ct);
        }, cancellationToken, what);
    }

    /// <summary>
    /// dotnet-etcd's channels report a call whose deadline passed as an OperationCanceledException, as they do a
    /// cancelled caller. Said as etcd's own DeadlineExceeded instead, a member that answers too late is what it is
    /// to the retries (another member is tried) and to the health check (a member that timed out), and not an
    /// upgrade step cancelled from outside. A cancellation of <paramref name="ct"/> stays one.
    /// </summary>
    private static async Task<T> DeadlineAsRpc<T>(Task<T> call, CancellationToken ct)
    {
        try
        {
            return await call;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "no answer before the call's deadline", e));
        }
    }

    private EtcdRetry Runner() => new(_retry, Where);

    private DateTime Deadline(TimeSpan? timeout = null) => DateTime.UtcNow + (timeout ?? _callTimeout);

    private string? EndpointOf(EtcdMember member) =>
        member.ClientUrls.FirstOrDefault(u => u.Length > 0)
        ?? (member.Name.Length > 0 && _seedByName.TryGetValue(member.Name, out var seeds) ? seeds.FirstOrDefault() : null);

    /// <summary>
    /// Reaches members through <paramref name="connect"/> (a byte stream to a member's client URL, e.g. a port-forward
    /// through the workload API server) instead of dialling their URLs; TLS to the member is as before, over that
    /// stream. Set before the first call.
    /// </summary>
    internal void SetConnector(Func<Uri, CancellationToken, Task<Stream>> connect) => _connect = connect;

    private EtcdClient ClientFor(string endpoint)
    {
        lock (_clientsLock)
        {
            _lastUsedTicks = Environment.TickCount64;
            return _clients.GetOrAdd(endpoint, url => _connect is { } connect ? ThroughConnector(url, connect) : new EtcdClient(url, ConfigureTls));
        }
    }

    /// <summary>A member's client over the connector's stream: HTTP/2 and TLS (ours, as for a dialled member) on top of it.</summary>
    private EtcdClient ThroughConnector(string url, Func<Uri, CancellationToken, Task<Stream>> connect)
    {
        var uri = new Uri(url);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) => await connect(uri, ct),
            EnableMultipleHttp2Connections = true,
            // As gRPC's own handler: the connection is not dropped for idling (each reopening is a new forward and
            // TLS handshake); an unused cluster's connections are closed by the idle sweep (IdleClusterExpiry).
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        ConfigureTls(handler.SslOptions);
        var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        _channels[url] = channel;
        return new EtcdClient(channel.CreateCallInvoker());
    }

    /// <summary>The member's certificate must chain to the cluster's etcd CA and name the endpoint's host; ours is offered.</summary>
    private void ConfigureTls(SslClientAuthenticationOptions options) => TlsTrust.Apply(options, _trustedAuthorities, _identity);

    private static string Label(EtcdMember m) => m.Name.Length > 0 ? $"'{m.Name}' ({m.IdHex})" : m.IdHex;

    internal static string Message(Exception e) => e is RpcException rpc ? $"{rpc.StatusCode} \"{rpc.Status.Detail}\"" : e.Message;

    /// <summary>Closes the gRPC channels (a connection shared by <see cref="IEtcdClusters"/> stays open until the factory closes it).</summary>
    public ValueTask DisposeAsync()
    {
        if (!_sharedByFactory)
            Close();
        return ValueTask.CompletedTask;
    }

    internal void Close()
    {
        lock (_clientsLock)
        {
            foreach (var client in _clients.Values)
                client.Dispose();
            _clients.Clear();
            foreach (var channel in _channels.Values)
                channel.Dispose();
            _channels.Clear();
        }
    }

    /// <summary>
    /// Closes every member connection if no call picked one up for <paramref name="idleFor"/> (a call's deadline is
    /// seconds, so none is in flight then); true when it did. A later call opens its member's connection again.
    /// </summary>
    internal bool CloseIfIdle(TimeSpan idleFor)
    {
        lock (_clientsLock)
        {
            if (Environment.TickCount64 - _lastUsedTicks < idleFor.TotalMilliseconds)
                return false;
            Close();
            return true;
        }
    }

    /// <summary>Member connections open now (tests).</summary>
    internal int OpenClients => _clients.Count;

    private sealed class EtcdRetry(RetryOptions options, string where)
    {
        public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, string what)
        {
            var runner = new RetryRunner(options, EtcdFailures.IsRetryable);
            try
            {
                return await runner.RunAsync(call, cancellationToken);
            }
            catch (Exception e) when (e is not EtcdOperationException && e is not OperationCanceledException)
            {
                throw new EtcdOperationException($"etcd {what} on {where} failed after up to {options.MaxAttempts} attempts: {Message(e)}. Check the members' health (capi-upgrade etcd health).", e);
            }
        }
    }
}
