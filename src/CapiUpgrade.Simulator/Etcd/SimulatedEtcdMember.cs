namespace CapiUpgrade.Simulator.Etcd;

/// <summary>Whether a simulated member's "process" runs.</summary>
public enum EtcdMemberRunState
{
    /// <summary>Added to the membership (MemberAdd) but its process has not started: name and client URLs empty.</summary>
    Unstarted,
    Running,
    /// <summary>Process stopped (machine gone, fault): its port refuses connections; still a member.</summary>
    Stopped,
    /// <summary>Removed from the membership: the process shut itself down; its port never answers again.</summary>
    Removed,
}

/// <summary>One member of a simulated etcd cluster (mutable; guarded by the membership's lock).</summary>
public sealed class SimulatedEtcdMember
{
    internal SimulatedEtcdMember(ulong id, string peerUrl) { Id = id; PeerUrl = peerUrl; }

    public ulong Id { get; }
    public string PeerUrl { get; }
    /// <summary>Empty until the member's process starts (as etcd reports unstarted members).</summary>
    public string Name { get; internal set; } = "";
    public int? ClientPort { get; internal set; }
    public string? ClientUrl => ClientPort is { } port ? $"https://127.0.0.1:{port}" : null;
    public bool IsLearner { get; internal set; }
    public EtcdMemberRunState State { get; internal set; } = EtcdMemberRunState.Unstarted;
    /// <summary>Fault: the process runs but does not answer health reads and does not count towards quorum.</summary>
    public bool Unhealthy { get; internal set; }
    /// <summary>Fault: how late the member answers every call (it keeps its vote and counts towards quorum).</summary>
    public TimeSpan Latency { get; internal set; }
    public DateTimeOffset StartedAt { get; internal set; }
    public bool IsActive => State == EtcdMemberRunState.Running && !Unhealthy;
}
