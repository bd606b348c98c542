using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>
/// A workload cluster's etcd served by <see cref="SimulatedEtcdServer"/>: one TLS port per member,
/// membership kept by <see cref="SimulatedEtcdMembership"/>. Peer URLs are names only (members
/// do not talk to each other); client URLs are real listening ports.
/// </summary>
public sealed class SimulatedEtcdCluster : EtcdCluster
{
    private static int _nextPeerPort = 40000;
    private readonly SimulatedEtcdServer _server;
    private readonly Lazy<EtcdServingIdentity> _identity;
    private readonly Dictionary<string, (string PeerUrl, int ClientPort)> _reserved = new(StringComparer.Ordinal);

    public SimulatedEtcdCluster(string clusterName, CertificateAuthority ca, SimulatedEtcdServer server)
        : base(clusterName, ca)
    {
        _server = server;
        Membership = new SimulatedEtcdMembership(clusterName);
        _identity = new Lazy<EtcdServingIdentity>(() => new EtcdServingIdentity(ca, ca.IssueServer("etcd-server")));
    }

    /// <summary>The simulated membership (for fault injection and observation inside the simulator).</summary>
    public SimulatedEtcdMembership Membership { get; }

    public override EtcdMode Mode => EtcdMode.Simulated;

    public override IReadOnlyList<EtcdMemberProcess> Processes =>
        Membership.Members
            .Where(m => m.State != EtcdMemberRunState.Unstarted && m.ClientUrl is not null)
            .Select(m => new EtcdMemberProcess(m.Name, m.PeerUrl, m.ClientUrl!, m.State == EtcdMemberRunState.Running))
            .ToList();

    /// <summary>Bootstraps with ports reserved beforehand (a fleet binds all its clusters' ports in one batch).</summary>
    public void Bootstrap(IReadOnlyList<(string Name, int ClientPort)> members)
    {
        foreach (var (name, port) in members)
        {
            var peerUrl = NewPeerUrl();
            _server.Assign(port, Membership, _identity.Value);
            Membership.Bootstrap(name, peerUrl, port);
        }
    }

    public override async Task BootstrapAsync(IReadOnlyList<string> memberNames, CancellationToken cancellationToken = default)
    {
        var ports = await _server.BindPortsAsync(memberNames.Count, cancellationToken);
        Bootstrap(memberNames.Zip(ports).ToList());
    }

    public override Task StopMemberAsync(string memberName, CancellationToken cancellationToken = default)
    {
        Membership.Stop(memberName);
        return Task.CompletedTask;
    }

    public override Task RestartMemberAsync(string memberName, CancellationToken cancellationToken = default)
    {
        Membership.Restart(memberName);
        return Task.CompletedTask;
    }

    public override Task SetMemberUnhealthyAsync(string memberName, bool unhealthy, CancellationToken cancellationToken = default)
    {
        if (!Membership.SetUnhealthy(memberName, unhealthy))
            throw new InvalidOperationException($"simulated etcd of {ClusterName}: no member named {memberName}.");
        return Task.CompletedTask;
    }

    public override Task SetMemberLatencyAsync(string memberName, TimeSpan latency, CancellationToken cancellationToken = default)
    {
        if (!Membership.SetLatency(memberName, latency))
            throw new InvalidOperationException($"simulated etcd of {ClusterName}: no member named {memberName}.");
        return Task.CompletedTask;
    }

    protected override async Task<string> ReservePeerUrlAsync(string memberName, CancellationToken cancellationToken)
    {
        lock (_reserved)
            if (_reserved.TryGetValue(memberName, out var known)) return known.PeerUrl;
        var port = await _server.AcquirePortAsync(cancellationToken);
        lock (_reserved)
        {
            if (_reserved.TryGetValue(memberName, out var known)) return known.PeerUrl;
            var peerUrl = NewPeerUrl();
            _reserved[memberName] = (peerUrl, port);
            return peerUrl;
        }
    }

    protected override Task StartProcessAsync(string memberName, IReadOnlyList<(string Name, string PeerUrl)> initialCluster, CancellationToken cancellationToken)
    {
        (string PeerUrl, int ClientPort) reserved;
        lock (_reserved)
            if (!_reserved.TryGetValue(memberName, out reserved))
                throw new InvalidOperationException($"simulated etcd of {ClusterName}: no ports reserved for {memberName}.");
        _server.Assign(reserved.ClientPort, Membership, _identity.Value);
        Membership.Start(memberName, reserved.PeerUrl, reserved.ClientPort);
        return Task.CompletedTask;
    }

    private static string NewPeerUrl() => $"https://127.0.0.1:{Interlocked.Increment(ref _nextPeerPort)}";

    public override ValueTask DisposeAsync()
    {
        CloseMemberClients();
        foreach (var member in Membership.Members) Membership.Stop(member.Name);
        return ValueTask.CompletedTask;
    }
}
