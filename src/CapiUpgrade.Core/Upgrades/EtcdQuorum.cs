namespace CapiUpgrade.Core.Upgrades;

/// <summary>Quorum arithmetic of DESIGN §4 rule 3: only voting members count; learners never do.</summary>
public static class EtcdQuorum
{
    /// <summary>Majority of <paramref name="voters"/> voting members.</summary>
    public static int Quorum(int voters) => voters / 2 + 1;

    /// <summary>
    /// Whether removing the member named <paramref name="memberName"/> keeps quorum: the healthy voters other
    /// than it must be at least ⌊(voters − 1)/2⌋ + 1. Removing a learner or an absent member changes no vote,
    /// so then the current voters only need quorum. The reason says why not, in words a person can act on.
    /// </summary>
    public static (bool Safe, string? Reason) CanRemove(IReadOnlyList<ObservedEtcdMember> members, string memberName)
    {
        var voters = members.Where(m => !m.IsLearner).ToList();
        var target = members.FirstOrDefault(m => m.Name == memberName);
        var healthyOthers = voters.Count(m => m.Healthy && m.Name != memberName);
        var votersAfter = target is { IsLearner: false } ? voters.Count - 1 : voters.Count;
        if (votersAfter <= 0)
            return (false, $"removing etcd member {memberName} would leave no voting member");
        var needed = Quorum(votersAfter);
        if (healthyOthers >= needed)
            return (true, null);
        return (false,
            $"removing etcd member {memberName} would leave {healthyOthers} healthy voting member(s) of {votersAfter}, " +
            $"quorum needs {needed}: bring the unhealthy members back first (etcdctl endpoint health)");
    }

    /// <summary>The healthy voting members are a quorum of the voters.</summary>
    public static bool HasHealthyQuorum(IReadOnlyList<ObservedEtcdMember> members)
    {
        var voters = members.Where(m => !m.IsLearner).ToList();
        return voters.Count > 0 && voters.Count(m => m.Healthy) >= Quorum(voters.Count);
    }
}
