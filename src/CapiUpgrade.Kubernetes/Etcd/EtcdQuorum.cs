using CapiUpgrade.Core.Upgrades;
using CoreQuorum = CapiUpgrade.Core.Upgrades.EtcdQuorum;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>The domain's quorum rules (<see cref="CoreQuorum"/>) applied to what the etcd adapter reports.</summary>
public static class EtcdQuorum
{
    /// <summary>Whether removing <paramref name="memberId"/> keeps a healthy voting quorum: <see cref="CoreQuorum.CanRemoveMember"/>.</summary>
    public static MemberRemovalSafety CanRemoveMember(IReadOnlyList<EtcdMemberHealth> members, ulong memberId) =>
        CoreQuorum.CanRemoveMember(members.Select(ToObserved).ToList(), memberId);

    /// <summary>Whether only members that did not answer in time make the removal unsafe: <see cref="CoreQuorum.OnlySilentVotersBlockRemoval"/>.</summary>
    public static bool OnlySilentVotersBlockRemoval(IReadOnlyList<EtcdMemberHealth> members, ulong memberId) =>
        CoreQuorum.OnlySilentVotersBlockRemoval(members.Select(ToObserved).ToList(), memberId);

    /// <summary>The domain's view of one member's health.</summary>
    public static ObservedEtcdMember ToObserved(EtcdMemberHealth h) => new(h.Member.Id, h.Member.Name, h.Member.IsLearner, h.Healthy, h.IsLeader, h.Error, h.TimedOut);
}
