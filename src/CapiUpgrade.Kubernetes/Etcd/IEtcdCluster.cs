using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>
/// One workload cluster's etcd, reached directly at its members' client URLs over TLS with a client
/// certificate signed by the cluster's etcd CA (same code path for real and simulated etcd).
/// Membership changes retry "etcdserver: unhealthy cluster" and Unavailable after a leader change
/// (per <see cref="Retries.RetryOptions.EtcdDefault"/>), sending them to members other than the one affected.
/// Thread-safe. Dispose closes the gRPC channels.
/// </summary>
public interface IEtcdCluster : IAsyncDisposable
{
    /// <summary>The workload cluster (null for a connection made from raw endpoints).</summary>
    ClusterKey? Cluster { get; }

    /// <summary>Client URLs currently dialed (seeded from the etcd static pods, refreshed from MemberList).</summary>
    IReadOnlyList<string> Endpoints { get; }

    /// <summary>Member list (from any reachable member).</summary>
    Task<IReadOnlyList<EtcdMember>> ListMembersAsync(CancellationToken cancellationToken);

    /// <summary>Member list, Status of every member at its own endpoint, and the alarms their Status reports.</summary>
    Task<EtcdHealthReport> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="CheckHealthAsync(CancellationToken)"/>, asking <paramref name="alsoAsk"/> (client URLs where a
    /// member that joined since the last check is expected, e.g. from its etcd static pod) beside the member
    /// list, so that its status costs no second round trip. An endpoint the list does not name is ignored.
    /// </summary>
    Task<EtcdHealthReport> CheckHealthAsync(IReadOnlyCollection<string> alsoAsk, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the connections to <paramref name="endpoints"/> (where a new member is expected) with one Status call
    /// each, so that a later check does not pay for their TLS handshakes. Failures are ignored: the check judges.
    /// </summary>
    Task WarmUpAsync(IReadOnlyCollection<string> endpoints, CancellationToken cancellationToken);

    /// <summary>
    /// Moves leadership to <paramref name="targetMemberId"/> (a healthy voter), sending MoveLeader to the current
    /// leader's own endpoint. No-op when it already leads.
    /// </summary>
    Task<EtcdLeaderMove> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken);

    /// <summary>
    /// If <paramref name="memberId"/> leads, moves leadership to another healthy voter (the one with the highest
    /// raft index); otherwise no-op. Throws <see cref="EtcdOperationException"/> when no healthy voter can take it.
    /// </summary>
    Task<EtcdLeaderMove> MoveLeaderAwayFromAsync(ulong memberId, CancellationToken cancellationToken);

    /// <summary>
    /// The same, decided on <paramref name="current"/>, a health report the caller has just taken (the first
    /// attempt asks etcd nothing more before MoveLeader; a retry checks again).
    /// </summary>
    Task<EtcdLeaderMove> MoveLeaderAwayFromAsync(ulong memberId, EtcdHealthReport current, CancellationToken cancellationToken);

    /// <summary>Removes the member (sent to another member). "member not found" is success (<see cref="EtcdMemberRemoval.AlreadyAbsent"/>).</summary>
    Task<EtcdMemberRemoval> RemoveMemberAsync(ulong memberId, CancellationToken cancellationToken);

    /// <summary>Promotes a learner. Already a voter = success. Retries while the learner is not yet caught up.</summary>
    Task PromoteMemberAsync(ulong memberId, CancellationToken cancellationToken);

    /// <summary>Adds a member (as learner when <paramref name="asLearner"/>) with the given peer URLs; returns it (empty name until it starts).</summary>
    Task<EtcdMember> AddMemberAsync(IReadOnlyList<string> peerUrls, bool asLearner, CancellationToken cancellationToken);
}

/// <summary>
/// Opens <see cref="IEtcdCluster"/> connections for workload clusters of one management cluster: endpoints
/// from the etcd static pods' annotation, a client certificate minted in memory from the
/// <c>&lt;cluster&gt;-etcd</c> CA secret.
/// </summary>
public interface IEtcdClusters
{
    /// <summary>
    /// Connects to the cluster's etcd. Throws <see cref="EtcdOperationException"/> naming the secret or pod
    /// annotation when the CA or the endpoints cannot be found.
    /// </summary>
    /// <remarks>The connection is shared per cluster and stays open until <see cref="Forget"/> or shutdown; disposing it is a no-op.</remarks>
    Task<IEtcdCluster> ConnectAsync(ClusterKey cluster, CancellationToken cancellationToken);

    /// <summary>Closes and drops the cluster's shared connection (e.g. when its upgrade is done, or the etcd CA was rotated).</summary>
    void Forget(ClusterKey cluster);
}
