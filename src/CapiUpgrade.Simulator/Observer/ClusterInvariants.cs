namespace CapiUpgrade.Simulator.Observer;

/// <summary>What an upgrade must hold for one cluster, as observed at <see cref="Time"/>.</summary>
public sealed record ClusterInvariants(
    DateTimeOffset Time,
    string Cluster,
    int ControlPlaneMachines,
    int EtcdMembers,
    int Voters,
    int Learners,
    int HealthyVoters,
    int Quorum,
    IReadOnlyList<string> StaleMembers,
    IReadOnlyList<string> MissingSecrets,
    IReadOnlyList<string> Alarms)
{
    public bool HasQuorum => Voters > 0 && HealthyVoters >= Quorum;

    /// <summary>Same facts (ignoring the time)?</summary>
    public bool SameAs(ClusterInvariants? other) =>
        other is not null && other.ControlPlaneMachines == ControlPlaneMachines && other.EtcdMembers == EtcdMembers && other.Voters == Voters
        && other.Learners == Learners && other.HealthyVoters == HealthyVoters && other.StaleMembers.SequenceEqual(StaleMembers)
        && other.MissingSecrets.SequenceEqual(MissingSecrets) && other.Alarms.SequenceEqual(Alarms);

    public override string ToString() =>
        $"{Time:HH:mm:ss.fff} {Cluster}: {ControlPlaneMachines} control-plane Machines, etcd {EtcdMembers} members ({Voters} voters, {Learners} learners), " +
        $"{HealthyVoters}/{Voters} healthy voters (quorum {Quorum})" +
        (StaleMembers.Count > 0 ? $", stale members [{string.Join(", ", StaleMembers)}]" : "") +
        (MissingSecrets.Count > 0 ? $", missing secrets [{string.Join(", ", MissingSecrets)}]" : "") +
        (Alarms.Count > 0 ? $", alarms [{string.Join(", ", Alarms)}]" : "");
}

/// <summary>Which invariant was broken.</summary>
public enum InvariantKind
{
    /// <summary>More control-plane Machines than allowed (replicas + maxSurge 1).</summary>
    TooManyControlPlaneMachines,
    /// <summary>Healthy voting members below quorum.</summary>
    QuorumLost,
    /// <summary>An etcd member with no Machine.</summary>
    StaleMember,
    /// <summary>A certificate or kubeconfig secret of the cluster is gone.</summary>
    MissingSecret,
    /// <summary>An etcd alarm is raised.</summary>
    EtcdAlarm,
}

/// <summary>A broken invariant, when it started, and what was seen.</summary>
public sealed record InvariantViolation(DateTimeOffset Time, string Cluster, InvariantKind Kind, string Message)
{
    public override string ToString() => $"{Time:HH:mm:ss.fff} {Cluster} {Kind}: {Message}";
}
