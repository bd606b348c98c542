namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>An etcd member from MemberList. <see cref="Name"/> is empty for a member added but not yet started.</summary>
public sealed record EtcdMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner)
{
    /// <summary>The member id as etcdctl prints it (hex).</summary>
    public string IdHex => Id.ToString("x16");
}

/// <summary>One member's health as seen through its own endpoint (Maintenance/Status).</summary>
/// <param name="Member">The member (from MemberList).</param>
/// <param name="Endpoint">The client URL that was asked, null when the member has none.</param>
/// <param name="Healthy">Its Status call answered without errors, and it knows a leader.</param>
/// <param name="IsLeader">It reports itself as leader.</param>
/// <param name="LeaderId">The leader it reports (0 if none).</param>
/// <param name="RaftTerm">Its raft term.</param>
/// <param name="RaftIndex">Its raft index.</param>
/// <param name="Error">Why it is unhealthy (unreachable, errors reported by the member...), null when healthy.</param>
/// <param name="TimedOut">It is unhealthy only because a call to it missed its deadline: it said nothing wrong, it said nothing in time.</param>
public sealed record EtcdMemberHealth(EtcdMember Member, string? Endpoint, bool Healthy, bool IsLeader, ulong LeaderId, ulong RaftTerm, ulong RaftIndex, string? Error, bool TimedOut = false);

/// <summary>An active etcd alarm (NOSPACE, CORRUPT) on a member.</summary>
public sealed record EtcdAlarm(ulong MemberId, string Alarm);

/// <summary>A health check of the whole etcd cluster: every member, its status, and active alarms.</summary>
/// <param name="Members">Per member health, in MemberList order.</param>
/// <param name="Alarms">Active alarms (an alarm makes the cluster unhealthy for upgrade purposes).</param>
/// <param name="LeaderId">The leader agreed by the healthy members, 0 if none.</param>
public sealed record EtcdHealthReport(IReadOnlyList<EtcdMemberHealth> Members, IReadOnlyList<EtcdAlarm> Alarms, ulong LeaderId)
{
    /// <summary>Every member healthy, no learner pending, no alarm, a leader known.</summary>
    public bool AllHealthy => LeaderId != 0 && Alarms.Count == 0 && Members.All(m => m.Healthy && !m.Member.IsLearner);

    /// <summary>A sentence listing what is unhealthy, or "healthy".</summary>
    public string Describe()
    {
        var problems = new List<string>();
        if (LeaderId == 0) problems.Add("no leader");
        problems.AddRange(Alarms.Select(a => $"alarm {a.Alarm} on member {a.MemberId:x16}"));
        problems.AddRange(Members.Where(m => !m.Healthy).Select(m => $"member {Label(m.Member)} unhealthy: {m.Error}"));
        problems.AddRange(Members.Where(m => m.Member.IsLearner).Select(m => $"member {Label(m.Member)} is a learner (not yet promoted)"));
        return problems.Count == 0 ? "healthy" : string.Join("; ", problems);
    }

    private static string Label(EtcdMember m) => m.Name.Length > 0 ? $"'{m.Name}' ({m.IdHex})" : m.IdHex;
}

/// <summary>Outcome of a member removal: <see cref="AlreadyAbsent"/> means "member not found", which is success.</summary>
public sealed record EtcdMemberRemoval(ulong MemberId, bool AlreadyAbsent);

/// <summary>Outcome of a leadership move.</summary>
/// <param name="PreviousLeaderId">Leader before.</param>
/// <param name="NewLeaderId">Leader after (equals the previous one when nothing had to move).</param>
/// <param name="Moved">A MoveLeader call was made.</param>
public sealed record EtcdLeaderMove(ulong PreviousLeaderId, ulong NewLeaderId, bool Moved);

/// <summary>Why an etcd operation failed for good; the message names the member, the endpoint and the server's error.</summary>
public sealed class EtcdOperationException(string message, Exception? inner = null) : Exception(message, inner);
