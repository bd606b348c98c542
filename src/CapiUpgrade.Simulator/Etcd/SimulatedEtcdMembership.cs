using System.Security.Cryptography;
using Etcdserverpb;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>
/// The membership and raft-level facts of one simulated etcd cluster, answering the etcd v3 RPCs the
/// engine and etcdctl use with etcd 3.4's behaviour: quorum counts active voting members; the
/// strict reconfiguration check refuses removals and promotions that would leave too few started or
/// connected voters; a learner never leads; MoveLeader is answered only by the leader; a removed
/// member is gone; without quorum there is no leader and consensus requests time out.
/// All members share one lock; every method is thread-safe.
/// </summary>
public sealed class SimulatedEtcdMembership
{
    private readonly Lock _lock = new();
    private readonly List<SimulatedEtcdMember> _members = [];
    private readonly List<AlarmMember> _alarms = [];
    private ulong _leader;
    private ulong _term = 1;
    private ulong _index = 1;
    private long _revision = 1;

    public SimulatedEtcdMembership(string name)
    {
        Name = name;
        ClusterId = RandomId();
    }

    /// <summary>The workload cluster this etcd belongs to (namespace/name), for messages.</summary>
    public string Name { get; }
    public ulong ClusterId { get; }
    /// <summary>etcd's --strict-reconfig-check (on by default, as kubeadm runs etcd).</summary>
    public bool StrictReconfigCheck { get; set; } = true;
    /// <summary>How long a started learner needs before it is "in sync with leader" and can be promoted.</summary>
    public TimeSpan LearnerCatchUp { get; set; } = TimeSpan.FromMilliseconds(300);
    public TimeProvider Time { get; set; } = TimeProvider.System;
    /// <summary>Raised after every membership or health change (observers poll too).</summary>
    public event Action<SimulatedEtcdMembership>? Changed;

    public IReadOnlyList<SimulatedEtcdMember> Members { get { lock (_lock) return _members.Where(m => m.State != EtcdMemberRunState.Removed).ToList(); } }
    public ulong Leader { get { lock (_lock) { ElectLocked(); return _leader; } } }

    // ---- process side (what starting/stopping a member's etcd process does) ----

    /// <summary>Creates a started voting member, as `--initial-cluster-state new` does.</summary>
    public SimulatedEtcdMember Bootstrap(string name, string peerUrl, int clientPort)
    {
        SimulatedEtcdMember member;
        lock (_lock)
        {
            member = new SimulatedEtcdMember(NewIdLocked(), peerUrl) { Name = name, ClientPort = clientPort, State = EtcdMemberRunState.Running, StartedAt = Time.GetUtcNow() };
            _members.Add(member);
            _index++;
            ElectLocked();
        }
        Changed?.Invoke(this);
        return member;
    }

    /// <summary>Starts the process of a member added with MemberAdd (`--initial-cluster-state existing`), or restarts a stopped one.</summary>
    public SimulatedEtcdMember Start(string name, string peerUrl, int clientPort)
    {
        SimulatedEtcdMember member;
        lock (_lock)
        {
            member = _members.FirstOrDefault(m => m.PeerUrl == peerUrl && m.State != EtcdMemberRunState.Removed)
                ?? throw new InvalidOperationException($"etcd of {Name}: no member with peer URL {peerUrl}; add it with MemberAdd before starting its process (etcd would exit with \"member count is unequal\").");
            member.Name = name;
            member.ClientPort = clientPort;
            member.State = EtcdMemberRunState.Running;
            member.StartedAt = Time.GetUtcNow();
            _index++;
            ElectLocked();
        }
        Changed?.Invoke(this);
        return member;
    }

    /// <summary>Stops a member's process: its port refuses, it no longer counts towards quorum.</summary>
    public bool Stop(string name) => Mutate(name, m => { if (m.State == EtcdMemberRunState.Running) m.State = EtcdMemberRunState.Stopped; });

    /// <summary>Restarts a stopped member's process on its old port.</summary>
    public bool Restart(string name) => Mutate(name, m => { if (m.State == EtcdMemberRunState.Stopped) { m.State = EtcdMemberRunState.Running; m.StartedAt = Time.GetUtcNow(); } });

    /// <summary>Fault: the member runs but is unhealthy (health reads time out, not counted in quorum).</summary>
    public bool SetUnhealthy(string name, bool unhealthy) => Mutate(name, m => m.Unhealthy = unhealthy);

    /// <summary>Fault: the member answers every call <paramref name="latency"/> late; it keeps its vote.</summary>
    public bool SetLatency(string name, TimeSpan latency) => Mutate(name, m => m.Latency = latency);

    /// <summary>How late the member bound to <paramref name="port"/> answers (zero when on time or not serving).</summary>
    public TimeSpan LatencyOn(int port)
    {
        lock (_lock) return _members.FirstOrDefault(m => m.ClientPort == port && m.State == EtcdMemberRunState.Running)?.Latency ?? TimeSpan.Zero;
    }

    /// <summary>Whether the member bound to <paramref name="port"/> answers (running, not removed).</summary>
    public bool IsServing(int port)
    {
        lock (_lock) return _members.Any(m => m.ClientPort == port && m.State == EtcdMemberRunState.Running);
    }

    public IReadOnlyList<AlarmMember> Alarms { get { lock (_lock) return _alarms.Select(a => a.Clone()).ToList(); } }

    // ---- the RPCs, answered by the member serving on `port` ----

    public MemberListResponse MemberList(int port)
    {
        lock (_lock)
        {
            var self = ServingLocked(port);
            var response = new MemberListResponse { Header = HeaderLocked(self) };
            response.Members.AddRange(_members.Where(m => m.State != EtcdMemberRunState.Removed).Select(ToProto));
            return response;
        }
    }

    public MemberAddResponse MemberAdd(int port, MemberAddRequest request)
    {
        MemberAddResponse response;
        lock (_lock)
        {
            var self = ServingLocked(port);
            RequireQuorumLocked(self);
            var peerUrl = request.PeerURLs.FirstOrDefault() ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "etcdserver: member peer URLs must be set"));
            if (_members.Any(m => m.State != EtcdMemberRunState.Removed && m.PeerURLsContain(request.PeerURLs))) throw EtcdErrors.PeerUrlExists();
            if (request.IsLearner)
            {
                if (Live().Count(m => m.IsLearner) >= 1) throw EtcdErrors.TooManyLearners();
            }
            else if (StrictReconfigCheck)
            {
                var voters = Voters().ToList();
                if (voters.Count(m => m.State != EtcdMemberRunState.Unstarted) + 1 < Quorum(voters.Count + 1)) throw EtcdErrors.NotEnoughStartedMembers();
                if (voters.Any(m => !m.IsActive)) throw EtcdErrors.Unhealthy();
            }
            var member = new SimulatedEtcdMember(NewIdLocked(), peerUrl) { IsLearner = request.IsLearner };
            _members.Add(member);
            _index++;
            response = new MemberAddResponse { Header = HeaderLocked(self), Member = ToProto(member) };
            response.Members.AddRange(Live().Select(ToProto));
        }
        Changed?.Invoke(this);
        return response;
    }

    public MemberRemoveResponse MemberRemove(int port, MemberRemoveRequest request)
    {
        MemberRemoveResponse response;
        lock (_lock)
        {
            var self = ServingLocked(port);
            RequireQuorumLocked(self);
            var target = Live().FirstOrDefault(m => m.Id == request.ID) ?? throw EtcdErrors.MemberNotFound();
            if (StrictReconfigCheck && !target.IsLearner)
            {
                var voters = Voters().ToList();
                var startedOthers = voters.Count(m => m.Id != target.Id && m.State != EtcdMemberRunState.Unstarted);
                if (startedOthers < Quorum(voters.Count - 1)) throw EtcdErrors.NotEnoughStartedMembers();
                // A member that is down is safe to remove: it is not part of the active quorum. Otherwise etcd 3.4's
                // mayRemoveMember asks that the active voters left be a quorum of the voters left:
                // (active - 1) < 1 + (voters - 1) / 2 is refused — so one of two running voters may go.
                if (target.IsActive && voters.Count(m => m.IsActive) - 1 < Quorum(voters.Count - 1)) throw EtcdErrors.Unhealthy();
            }
            target.State = EtcdMemberRunState.Removed;
            _alarms.RemoveAll(a => a.MemberID == target.Id);
            _index++;
            ElectLocked();
            response = new MemberRemoveResponse { Header = HeaderLocked(self) };
            response.Members.AddRange(Live().Select(ToProto));
        }
        Changed?.Invoke(this);
        return response;
    }

    public MemberPromoteResponse MemberPromote(int port, MemberPromoteRequest request)
    {
        MemberPromoteResponse response;
        lock (_lock)
        {
            var self = ServingLocked(port);
            RequireQuorumLocked(self);
            var target = Live().FirstOrDefault(m => m.Id == request.ID) ?? throw EtcdErrors.MemberNotFound();
            if (!target.IsLearner) throw EtcdErrors.MemberNotLearner();
            if (target.State != EtcdMemberRunState.Running || target.Unhealthy || Time.GetUtcNow() - target.StartedAt < LearnerCatchUp) throw EtcdErrors.LearnerNotReady();
            if (StrictReconfigCheck)
            {
                var voters = Voters().ToList();
                if (voters.Count(m => m.State != EtcdMemberRunState.Unstarted) + 1 < Quorum(voters.Count + 1)) throw EtcdErrors.NotEnoughStartedMembers();
            }
            target.IsLearner = false;
            _index++;
            ElectLocked();
            response = new MemberPromoteResponse { Header = HeaderLocked(self) };
            response.Members.AddRange(Live().Select(ToProto));
        }
        Changed?.Invoke(this);
        return response;
    }

    public StatusResponse Status(int port)
    {
        lock (_lock)
        {
            var self = ServingLocked(port);
            ElectLocked();
            var response = new StatusResponse
            {
                Header = HeaderLocked(self),
                Version = "3.4.23",
                DbSize = 20480 + (long)_index * 64,
                DbSizeInUse = 16384 + (long)_index * 48,
                Leader = _leader,
                RaftIndex = _index,
                RaftTerm = _term,
                RaftAppliedIndex = _index,
                IsLearner = self.IsLearner,
            };
            response.Errors.AddRange(_alarms.Select(a => $"memberID:{a.MemberID} alarm:{AlarmName(a.Alarm)}"));
            return response;
        }
    }

    public MoveLeaderResponse MoveLeader(int port, MoveLeaderRequest request)
    {
        MoveLeaderResponse response;
        lock (_lock)
        {
            var self = ServingLocked(port);
            ElectLocked();
            if (_leader != self.Id) throw EtcdErrors.NotLeader();
            var target = Live().FirstOrDefault(m => m.Id == request.TargetID);
            if (target is null || target.IsLearner) throw EtcdErrors.BadLeaderTransferee();
            if (!target.IsActive) throw EtcdErrors.LeaderTransferTimeout();
            if (target.Id != _leader) { _leader = target.Id; _term++; }
            response = new MoveLeaderResponse { Header = HeaderLocked(self) };
        }
        Changed?.Invoke(this);
        return response;
    }

    public AlarmResponse Alarm(int port, AlarmRequest request)
    {
        AlarmResponse response;
        var changed = false;
        lock (_lock)
        {
            var self = ServingLocked(port);
            switch (request.Action)
            {
                case AlarmRequest.Types.AlarmAction.Activate:
                    RequireQuorumLocked(self);
                    if (request.Alarm != AlarmType.None && !_alarms.Any(a => a.MemberID == request.MemberID && a.Alarm == request.Alarm))
                    {
                        _alarms.Add(new AlarmMember { MemberID = request.MemberID, Alarm = request.Alarm });
                        changed = true;
                    }
                    break;
                case AlarmRequest.Types.AlarmAction.Deactivate:
                    RequireQuorumLocked(self);
                    changed = _alarms.RemoveAll(a => a.MemberID == request.MemberID && a.Alarm == request.Alarm) > 0;
                    break;
            }
            response = new AlarmResponse { Header = HeaderLocked(self) };
            response.Alarms.AddRange(_alarms.Select(a => a.Clone()));
        }
        if (changed) Changed?.Invoke(this);
        return response;
    }

    /// <summary>Raises or clears an alarm directly (fault injection), for the member named <paramref name="memberName"/>.</summary>
    public bool SetAlarm(string memberName, AlarmType alarm, bool active)
    {
        lock (_lock)
        {
            var member = Live().FirstOrDefault(m => m.Name == memberName);
            if (member is null) return false;
            _alarms.RemoveAll(a => a.MemberID == member.Id && a.Alarm == alarm);
            if (active) _alarms.Add(new AlarmMember { MemberID = member.Id, Alarm = alarm });
        }
        Changed?.Invoke(this);
        return true;
    }

    public RangeResponse Range(int port, RangeRequest request)
    {
        lock (_lock)
        {
            var self = ServingLocked(port);
            if (self.Unhealthy) throw EtcdErrors.Timeout();
            if (!request.Serializable)
            {
                if (self.IsLearner) throw EtcdErrors.NotSupportedForLearner();
                if (!HasQuorumLocked()) throw EtcdErrors.Timeout();
            }
            return new RangeResponse { Header = HeaderLocked(self), Count = 0 };
        }
    }

    // ---- helpers ----

    /// <summary>etcd's name of an alarm type (NONE, NOSPACE, CORRUPT).</summary>
    public static string AlarmName(AlarmType alarm) => alarm switch
    {
        AlarmType.Nospace => "NOSPACE",
        AlarmType.Corrupt => "CORRUPT",
        _ => "NONE",
    };

    private bool Mutate(string name, Action<SimulatedEtcdMember> change)
    {
        lock (_lock)
        {
            var member = Live().FirstOrDefault(m => m.Name == name);
            if (member is null) return false;
            change(member);
            _index++;
            ElectLocked();
        }
        Changed?.Invoke(this);
        return true;
    }

    private IEnumerable<SimulatedEtcdMember> Live() => _members.Where(m => m.State != EtcdMemberRunState.Removed);
    private IEnumerable<SimulatedEtcdMember> Voters() => Live().Where(m => !m.IsLearner);

    public static int Quorum(int voters) => voters / 2 + 1;

    private bool HasQuorumLocked()
    {
        var voters = Voters().ToList();
        return voters.Count > 0 && voters.Count(m => m.IsActive) >= Quorum(voters.Count);
    }

    private void ElectLocked()
    {
        if (!HasQuorumLocked()) { _leader = 0; return; }
        var current = Voters().FirstOrDefault(m => m.Id == _leader);
        if (current is { IsActive: true }) return;
        _leader = Voters().First(m => m.IsActive).Id;
        _term++;
    }

    private void RequireQuorumLocked(SimulatedEtcdMember self)
    {
        if (self.Unhealthy || !HasQuorumLocked()) throw EtcdErrors.Timeout();
    }

    private SimulatedEtcdMember ServingLocked(int port) =>
        _members.FirstOrDefault(m => m.ClientPort == port && m.State == EtcdMemberRunState.Running) ?? throw EtcdErrors.ConnectionRefused();

    private ResponseHeader HeaderLocked(SimulatedEtcdMember self) =>
        new() { ClusterId = ClusterId, MemberId = self.Id, Revision = _revision, RaftTerm = _term };

    private static Member ToProto(SimulatedEtcdMember m)
    {
        var member = new Member { ID = m.Id, Name = m.State == EtcdMemberRunState.Unstarted ? "" : m.Name, IsLearner = m.IsLearner };
        member.PeerURLs.Add(m.PeerUrl);
        if (m.State != EtcdMemberRunState.Unstarted && m.ClientUrl is { } url) member.ClientURLs.Add(url);
        return member;
    }

    private ulong NewIdLocked()
    {
        ulong id;
        do id = RandomId(); while (_members.Any(m => m.Id == id));
        return id;
    }

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) | 1;
    }
}

internal static class SimulatedEtcdMemberExtensions
{
    public static bool PeerURLsContain(this SimulatedEtcdMember member, IEnumerable<string> urls) => urls.Contains(member.PeerUrl, StringComparer.Ordinal);
}
