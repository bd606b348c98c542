using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Etcd;
using KubeQuorum = CapiUpgrade.Kubernetes.Etcd.EtcdQuorum;

namespace CapiUpgrade.Actors.Execution;

public sealed partial class KubernetesStepExecutor
{
    /// <summary>Rule 11: remove the stale members planned at preflight that still have no Machine and no Node, one at a time, each quorum-checked.</summary>
    private async Task<StepOutcome> RemoveStaleMembersAsync(StepRequest request, CancellationToken ct)
    {
        var observed = await ObserveAsync(ct);
        var stale = SafetyCheck.StaleMembers(observed.Observation).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var name in request.State.StaleMembers.Where(stale.Contains))
        {
            if (await RemovalCheckAsync(h => h.Members.FirstOrDefault(m => m.Member.Name == name), ct) is not ({ } member, { } safety)) continue;
            if (!safety.Safe)
                return new StepOutcome.Blocked($"stale etcd member {name} of cluster {_cluster} cannot be removed safely: {safety.Reason}");
            await (await EtcdForWriteAsync(ct)).RemoveMemberAsync(member.Member.Id, ct);
            removed.Add(name);
        }
        return new StepOutcome.Succeeded(removed.Count == 0 ? "no stale member left" : "removed stale etcd member(s) " + string.Join(", ", removed));
    }

    /// <summary>
    /// The live health check a member's removal is decided on: the member <paramref name="find"/> picks and whether
    /// removing it keeps quorum, or (null, null) when there is no such member. A removal that only voters which did
    /// not answer in time stand in the way of is looked at again, live, as the gate does (after
    /// <see cref="GateConfirmAfter"/>, then twice as long... up to <see cref="GatePatienceWithSlowMembers"/>): an
    /// etcd slow under load is not a lost quorum, and a pause calls a person. Nothing is removed until a live
    /// check finds the removal safe.
    /// </summary>
    private async Task<(EtcdMemberHealth? Member, MemberRemovalSafety? Safety)> RemovalCheckAsync(Func<EtcdHealthReport, EtcdMemberHealth?> find, CancellationToken ct)
    {
        var health = await LookAgainWhileAsync(await EtcdHealthAsync(ct), () => EtcdHealthAsync(ct), (h, waited) =>
            waited < GatePatienceWithSlowMembers && find(h) is { } m && KubeQuorum.OnlySilentVotersBlockRemoval(h.Members, m.Member.Id), ct);
        return find(health) is { } member ? (member, KubeQuorum.CanRemoveMember(health.Members, member.Member.Id)) : (null, null);
    }

    private string OldMemberName(StepRequest request) =>
        request.Machine?.OldNode ?? request.Step.Machine ?? throw new InvalidOperationException("no Machine");

    /// <summary>Rule 3: move leadership away from the old member before it is removed.</summary>
    private async Task<StepOutcome> MoveLeaderAsync(StepRequest request, CancellationToken ct)
    {
        var name = OldMemberName(request);
        var health = await EtcdHealthAsync(ct);
        if (health.Members.FirstOrDefault(m => m.Member.Name == name) is not { } member)
            return new StepOutcome.Succeeded($"etcd member {name} is not in the member list");
        if (health.LeaderId != member.Member.Id && !member.IsLeader)
            return new StepOutcome.Succeeded($"etcd member {name} does not lead");
        var move = await (await EtcdForWriteAsync(ct)).MoveLeaderAwayFromAsync(member.Member.Id, health, ct);
        return new StepOutcome.Succeeded($"etcd leadership moved from {name} to {move.NewLeaderId:x16}");
    }

    /// <summary>Rule 3: remove the old member only if the healthy voters left keep quorum; "not found" is success.</summary>
    private async Task<StepOutcome> RemoveMemberAsync(StepRequest request, CancellationToken ct)
    {
        var name = OldMemberName(request);
        if (await RemovalCheckAsync(h => h.Members.FirstOrDefault(m => m.Member.Name == name), ct) is not ({ } member, { } safety))
            return new StepOutcome.Succeeded($"etcd member {name} already removed");
        if (!safety.Safe)
            return new StepOutcome.Blocked($"etcd member {name} of cluster {_cluster} not removed: {safety.Reason}");
        var removal = await (await EtcdForWriteAsync(ct)).RemoveMemberAsync(member.Member.Id, ct);
        return new StepOutcome.Succeeded(removal.AlreadyAbsent ? $"etcd member {name} already removed" : $"etcd member {name} ({member.Member.IdHex}) removed");
    }

    /// <summary>
    /// Removes the etcd member of a failed replacement (a learner or a voter that never got healthy), quorum-checked.
    /// A member added by the join whose etcd never started has no name yet (etcd names a member when it first
    /// starts): with no member of that name, the one unnamed learner is taken as the failed join's — at most one
    /// replacement is in flight (rule 2), and a learner casts no vote, so removing it cannot cost quorum.
    /// </summary>
    private async Task<string?> RemoveMemberIfPresentAsync(string name, CancellationToken ct)
    {
        static EtcdMemberHealth? Find(EtcdHealthReport health, string name)
        {
            var unnamedLearners = health.Members.Where(m => m.Member.Name.Length == 0 && m.Member.IsLearner).ToList();
            return health.Members.FirstOrDefault(m => m.Member.Name == name) ?? (unnamedLearners.Count == 1 ? unnamedLearners[0] : null);
        }
        if (await RemovalCheckAsync(h => Find(h, name), ct) is not ({ } member, { } safety)) return null;
        if (!safety.Safe)
            throw new EtcdOperationException($"etcd member {name} of the failed replacement cannot be removed safely: {safety.Reason}");
        await (await EtcdForWriteAsync(ct)).RemoveMemberAsync(member.Member.Id, ct);
        return member.Member.Name.Length > 0 ? name : $"{member.Member.IdHex} (an unstarted learner)";
    }
}
