using System.Collections.Concurrent;
using CapiUpgrade.Simulator.Pki;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>Which etcd backs a simulated workload cluster.</summary>
public enum EtcdMode
{
    /// <summary>Real etcd processes (Debian etcd-server) on loopback with TLS.</summary>
    Real,
    /// <summary>The simulator's etcd v3 gRPC API over TLS (one port per member), for large fleets.</summary>
    Simulated,
}

/// <summary>A member's process as the machine running it sees it (not the membership: ask etcd for that).</summary>
public sealed record EtcdMemberProcess(string Name, string PeerUrl, string ClientUrl, bool IsRunning);

/// <summary>
/// The etcd of one workload cluster, real or simulated, driven the same way by the simulated
/// controllers: bootstrap the initial members, then for a control-plane join add the member as a
/// learner (gRPC MemberAdd), start its process, promote it (gRPC MemberPromote, retried until the
/// learner is in sync); when a Machine goes, stop its member's process. Membership changes go over
/// the etcd v3 gRPC API with a client certificate minted from the cluster's etcd CA, in both modes.
/// </summary>
public abstract class EtcdCluster : IAsyncDisposable
{
    private readonly Lazy<IssuedCertificate> _clientCertificate;
    private readonly Dictionary<string, ulong> _learnerIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<EtcdClient>> _memberClients = new(StringComparer.Ordinal);

    protected EtcdCluster(string clusterName, CertificateAuthority ca)
    {
        ClusterName = clusterName;
        Ca = ca;
        _clientCertificate = new Lazy<IssuedCertificate>(() => ca.IssueClient("capi-simulator-etcd-client"));
    }

    /// <summary>namespace/name of the workload cluster.</summary>
    public string ClusterName { get; }
    /// <summary>The etcd CA (`&lt;cluster&gt;-etcd`).</summary>
    public CertificateAuthority Ca { get; }
    public abstract EtcdMode Mode { get; }
    /// <summary>Every member process this cluster ever started (including stopped and self-shut-down ones).</summary>
    public abstract IReadOnlyList<EtcdMemberProcess> Processes { get; }
    /// <summary>A client certificate (EKU clientAuth) signed by <see cref="Ca"/>.</summary>
    public IssuedCertificate ClientCertificate => _clientCertificate.Value;
    /// <summary>How long a membership operation keeps retrying transient errors (strict reconfig check, learner catch-up).</summary>
    public TimeSpan ReconfigurationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public string? ClientUrlOf(string memberName) => Processes.LastOrDefault(p => p.Name == memberName)?.ClientUrl;

    /// <summary>Starts the initial voting members (`--initial-cluster-state new`) and waits until they have a leader.</summary>
    public abstract Task BootstrapAsync(IReadOnlyList<string> memberNames, CancellationToken cancellationToken = default);

    /// <summary>Stops a member's process (the Machine is gone). Its membership stays: removing it is the upgrader's job.</summary>
    public abstract Task StopMemberAsync(string memberName, CancellationToken cancellationToken = default);

    /// <summary>Restarts a stopped member's process on its old ports and data.</summary>
    public abstract Task RestartMemberAsync(string memberName, CancellationToken cancellationToken = default);

    /// <summary>Fault: the member's process runs but is unhealthy (simulated: health reads time out; real: process frozen).</summary>
    public abstract Task SetMemberUnhealthyAsync(string memberName, bool unhealthy, CancellationToken cancellationToken = default);

    /// <summary>Fault: the member answers every call <paramref name="latency"/> late (zero: on time again).</summary>
    public abstract Task SetMemberLatencyAsync(string memberName, TimeSpan latency, CancellationToken cancellationToken = default);

    /// <summary>Raises or clears an alarm on a member through the Maintenance Alarm RPC (ACTIVATE / DEACTIVATE).</summary>
    public async Task SetAlarmAsync(string memberName, AlarmType alarm, bool active, CancellationToken cancellationToken = default)
    {
        var member = (await MemberListAsync(cancellationToken)).Members.FirstOrDefault(m => m.Name == memberName)
            ?? throw new InvalidOperationException($"etcd of {ClusterName}: no member named {memberName}; members: {string.Join(", ", Processes.Select(p => p.Name))}.");
        await OnAnyRunningMemberAsync(client => client.AlarmAsync(new AlarmRequest
        {
            Action = active ? AlarmRequest.Types.AlarmAction.Activate : AlarmRequest.Types.AlarmAction.Deactivate,
            MemberID = member.ID,
            Alarm = alarm,
        }, cancellationToken: cancellationToken), cancellationToken);
    }

    /// <summary>Reserves ports for a new member and returns its peer URL.</summary>
    protected abstract Task<string> ReservePeerUrlAsync(string memberName, CancellationToken cancellationToken);

    /// <summary>Starts a new member's process with `--initial-cluster-state existing` and waits until it answers.</summary>
    protected abstract Task StartProcessAsync(string memberName, IReadOnlyList<(string Name, string PeerUrl)> initialCluster, CancellationToken cancellationToken);

    /// <summary>A dotnet-etcd client for the given members' client URLs (default: every running member).</summary>
    public EtcdClient Connect(params string[] clientUrls)
    {
        var urls = clientUrls.Length > 0 ? clientUrls : Processes.Where(p => p.IsRunning).Select(p => p.ClientUrl).ToArray();
        if (urls.Length == 0) throw new InvalidOperationException($"etcd of {ClusterName}: no member process is running; start or restart one first.");
        return EtcdClients.Connect(string.Join(',', urls), Ca, ClientCertificate);
    }

    /// <summary>The membership as etcd reports it (asked of a running member).</summary>
    public Task<MemberListResponse> MemberListAsync(CancellationToken cancellationToken = default) =>
        OnAnyRunningMemberAsync(client => client.MemberListAsync(new MemberListRequest(), cancellationToken: cancellationToken), cancellationToken);

    /// <summary>kubeadm's control-plane join (≥ 1.29): add as learner, start, promote. Returns the member id.</summary>
    public async Task<ulong> JoinAsync(string memberName, CancellationToken cancellationToken = default)
    {
        var id = await AddLearnerAsync(memberName, cancellationToken);
        await StartMemberAsync(memberName, cancellationToken);
        await PromoteAsync(memberName, cancellationToken);
        return id;
    }

    /// <summary>MemberAdd(isLearner) for a new member named <paramref name="memberName"/>; returns its id.</summary>
    public async Task<ulong> AddLearnerAsync(string memberName, CancellationToken cancellationToken = default)
    {
        var peerUrl = await ReservePeerUrlAsync(memberName, cancellationToken);
        var existing = (await MemberListAsync(cancellationToken)).Members.FirstOrDefault(m => m.PeerURLs.Contains(peerUrl));
        var id = existing?.ID ?? (await OnAnyRunningMemberAsync(
            client => client.MemberAddAsync(new MemberAddRequest { PeerURLs = { peerUrl }, IsLearner = true }, cancellationToken: cancellationToken),
            cancellationToken)).Member.ID;
        lock (_learnerIds) _learnerIds[memberName] = id;
        return id;
    }

    /// <summary>Starts the process of a member added with <see cref="AddLearnerAsync"/>.</summary>
    public async Task StartMemberAsync(string memberName, CancellationToken cancellationToken = default)
    {
        var list = await MemberListAsync(cancellationToken);
        ulong id;
        lock (_learnerIds)
            if (!_learnerIds.TryGetValue(memberName, out id))
                throw new InvalidOperationException($"etcd of {ClusterName}: member {memberName} was not added; call AddLearnerAsync first.");
        var initial = list.Members
            .Where(m => m.ID == id || m.Name.Length > 0)
            .Select(m => (Name: m.ID == id ? memberName : m.Name, PeerUrl: m.PeerURLs[0]))
            .ToList();
        await StartProcessAsync(memberName, initial, cancellationToken);
    }

    /// <summary>MemberPromote, retried while the learner is not yet in sync or the cluster is briefly unavailable.</summary>
    public async Task PromoteAsync(string memberName, CancellationToken cancellationToken = default)
    {
        ulong id;
        lock (_learnerIds)
            if (!_learnerIds.TryGetValue(memberName, out id))
                throw new InvalidOperationException($"etcd of {ClusterName}: member {memberName} was not added as a learner here; nothing to promote.");
        await OnAnyRunningMemberAsync(async client =>
        {
            var list = await client.MemberListAsync(new MemberListRequest(), cancellationToken: cancellationToken);
            if (list.Members.FirstOrDefault(m => m.ID == id) is { IsLearner: false }) return list;
            await client.MemberPromoteAsync(new MemberPromoteRequest { ID = id }, cancellationToken: cancellationToken);
            return list;
        }, cancellationToken, retryFailedPrecondition: e => e.Status.Detail.Contains("in sync with leader", StringComparison.Ordinal));
    }

    /// <summary>
    /// Runs <paramref name="call"/> against running members in turn, retrying Unavailable/DeadlineExceeded
    /// (and FailedPrecondition errors <paramref name="retryFailedPrecondition"/> accepts) with backoff until
    /// <see cref="ReconfigurationTimeout"/>.
    /// </summary>
    protected async Task<T> OnAnyRunningMemberAsync<T>(Func<EtcdClient, Task<T>> call, CancellationToken cancellationToken,
        Func<RpcException, bool>? retryFailedPrecondition = null)
    {
        var deadline = DateTime.UtcNow + ReconfigurationTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        var attempt = 0;
        while (true)
        {
            var running = Processes.Where(p => p.IsRunning).ToList();
            if (running.Count == 0) throw new InvalidOperationException($"etcd of {ClusterName}: no member process is running.");
            var target = running[attempt++ % running.Count];
            try
            {
                // A member still starting can accept the connection and answer nothing: bound each attempt.
                return await call(MemberClient(target.ClientUrl)).WaitAsync(AttemptTimeout, cancellationToken);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // The next attempt at this member dials afresh (a restarted member, a broken stream).
                ForgetMemberClient(target.ClientUrl);
                if (DateTime.UtcNow >= deadline) throw;
            }
            catch (RpcException r) when (DateTime.UtcNow < deadline && r.StatusCode == StatusCode.FailedPrecondition && retryFailedPrecondition?.Invoke(r) == true)
            {
                // The member answered (e.g. a learner not yet in sync): its connection is kept.
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>No answer from the member: the attempt timed out, the member is unreachable, or its connection broke before it answered (a member stopping resets its streams).</summary>
    private static bool IsConnectionFailure(Exception e) =>
        e is TimeoutException
        || (e is RpcException r && (r.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                                    || (r.StatusCode == StatusCode.Internal && r.Status.DebugException is HttpRequestException or IOException)));

    /// <summary>
    /// The connection to one member that membership calls reuse, as kubeadm's join holds one etcd client for its
    /// whole run: a connection per call had cost the simulated fleet a TLS handshake at both ends, four or five
    /// per join, and at hundreds of joins a minute those handshakes took a large share of the machine.
    /// </summary>
    private EtcdClient MemberClient(string clientUrl) =>
        _memberClients.GetOrAdd(clientUrl, url => new Lazy<EtcdClient>(() => EtcdClients.Connect(url, Ca, ClientCertificate))).Value;

    /// <summary>
    /// Drops a member's connection after it gave no answer, so the next attempt dials afresh; it is closed once
    /// calls still in flight on it have had their time.
    /// </summary>
    private void ForgetMemberClient(string clientUrl)
    {
        if (_memberClients.TryRemove(clientUrl, out var dropped) && dropped.IsValueCreated)
            _ = Task.Delay(AttemptTimeout * 2).ContinueWith(_ => dropped.Value.Dispose(), TaskScheduler.Default);
    }

    /// <summary>Closes the members' connections kept for membership calls (when the cluster is disposed).</summary>
    protected void CloseMemberClients()
    {
        foreach (var url in _memberClients.Keys)
        {
            if (_memberClients.TryRemove(url, out var client) && client.IsValueCreated)
                client.Value.Dispose();
        }
    }

    /// <summary>Longest one call to one member may take before it is retried on another (a starting etcd can hold a call without answering).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public abstract ValueTask DisposeAsync();
}
