namespace CapiUpgrade.Core.Upgrades;

/// <summary>The answer to "is it safe to remove member X", with the numbers behind it.</summary>
/// <param name="MemberId">The member asked about.</param>
/// <param name="Safe">Removing it keeps a healthy voting quorum (or there is nothing to remove).</param>
/// <param name="IsMember">The member is in the list (false: nothing to remove, which is safe).</param>
/// <param name="IsLearner">The member is a learner (never counts towards quorum).</param>
/// <param name="Voters">Voting members now, the member included if it votes.</param>
/// <param name="HealthyVotersOtherThanMember">Healthy voters other than the member.</param>
/// <param name="Required">Healthy voters other than the member that are required.</param>
/// <param name="Reason">A sentence a person can act on.</param>
public sealed record MemberRemovalSafety(ulong MemberId, bool Safe, bool IsMember, bool IsLearner, int Voters, int HealthyVotersOtherThanMember, int Required, string Reason);

/// <summary>
/// Quorum arithmetic of DESIGN §4 rule 3, the one place it lives (the decider, the executor and the etcd
/// adapter all ask here): only voting members count; learners never do.
/// </summary>
public static class EtcdQuorum
{
    /// <summary>Majority of <paramref name="voters"/> voting members (⌊voters/2⌋ + 1).</summary>
    public static int Quorum(int voters) => voters / 2 + 1;

    /// <summary>
    /// Removing voter X is safe when the healthy voters other than X are at least ⌊(voters − 1)/2⌋ + 1, i.e. a
    /// quorum of the membership that remains. Removing a learner changes no quorum, but the removal itself
    /// must be committed: it is safe when the healthy voters reach the current quorum. A member that is not
    /// in the list is safe to "remove" (nothing to do).
    /// </summary>
    public static MemberRemovalSafety CanRemoveMember(IReadOnlyList<ObservedEtcdMember> members, ulong memberId)
    {
        var target = members.FirstOrDefault(m => m.Id == memberId);
        var voters = members.Where(m => !m.IsLearner).ToList();
        var healthyOthers = voters.Count(m => m.Healthy && m.Id != memberId);
        var id = memberId.ToString("x16");
        if (target is null)
            return new(memberId, true, false, false, voters.Count, healthyOthers, 0,
                $"etcd member {id} is not in the member list: nothing to remove.");

        var name = target.Name.Length > 0 ? $"'{target.Name}' ({id})" : id;
        if (target.IsLearner)
        {
            var requiredForLearner = Quorum(voters.Count);
            var safeLearner = healthyOthers >= requiredForLearner;
            return new(memberId, safeLearner, true, true, voters.Count, healthyOthers, requiredForLearner, safeLearner
                ? $"etcd member {name} is a learner: removing it keeps all {voters.Count} voters ({healthyOthers} healthy, quorum {requiredForLearner})."
                : $"etcd member {name} is a learner, but only {healthyOthers} of {voters.Count} voters are healthy (quorum {requiredForLearner}): the removal could not be committed; make the unhealthy voters healthy first.");
        }

        var required = Quorum(voters.Count - 1);
        var safe = voters.Count > 1 && healthyOthers >= required;
        var reason = safe
            ? $"removing etcd member {name} leaves {healthyOthers} healthy voters of {voters.Count - 1}, quorum {required}."
            : voters.Count <= 1
                ? $"etcd member {name} is the only voter: removing it would destroy the cluster's etcd."
                : $"removing etcd member {name} would leave {healthyOthers} healthy voters, fewer than the quorum {required} of the remaining {voters.Count - 1}{Silent(voters, memberId)}; make the unhealthy members healthy (or remove stale ones) first.";
        return new(memberId, safe, true, false, voters.Count, healthyOthers, required, reason);
    }

    /// <summary>
    /// Names the voters other than <paramref name="memberId"/> that are unhealthy only because they did not answer
    /// in time: "0 healthy voters" alone reads as a lost quorum, when etcd (or the way to it) was only slow.
    /// </summary>
    private static string Silent(IEnumerable<ObservedEtcdMember> voters, ulong memberId)
    {
        var silent = voters.Where(m => m.Id != memberId && m is { Healthy: false, TimedOut: true }).Select(m => m.Name.Length > 0 ? m.Name : m.Id.ToString("x16")).ToList();
        return silent.Count == 0 ? "" : $" ({string.Join(", ", silent)} did not answer in time: slow or unreachable, not reported unhealthy)";
    }

    /// <summary>Whether removing <paramref name="memberId"/> is unsafe only because voters did not answer in time (it would be safe were they healthy).</summary>
    public static bool OnlySilentVotersBlockRemoval(IReadOnlyList<ObservedEtcdMember> members, ulong memberId) =>
        members.Any(m => m.Id != memberId && m is { Healthy: false, TimedOut: true })
        && !CanRemoveMember(members, memberId).Safe
        && CanRemoveMember(members.Select(m => m.TimedOut ? m with { Healthy = true } : m).ToList(), memberId).Safe;

    /// <summary>The healthy voting members are a quorum of the voters.</summary>
    public static bool HasHealthyQuorum(IReadOnlyList<ObservedEtcdMember> members)
    {
        var voters = members.Where(m => !m.IsLearner).ToList();
        return voters.Count > 0 && voters.Count(m => m.Healthy) >= Quorum(voters.Count);
    }
}
