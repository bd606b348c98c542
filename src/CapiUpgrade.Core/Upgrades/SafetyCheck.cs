namespace CapiUpgrade.Core.Upgrades;

/// <summary>
/// DESIGN §4 rule 1: never start or continue a step while etcd is unhealthy or has an alarm, or while a
/// control-plane Machine — other than those the upgrade itself is replacing or waiting for — is being
/// deleted or has no Ready Node. Rule 11: stale members (no Machine, no Node) are reported apart.
/// </summary>
public static class SafetyCheck
{
    /// <summary>etcd members that belong to no Machine and no Node.</summary>
    public static IReadOnlyList<ObservedEtcdMember> StaleMembers(ControlPlaneObservation observation)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in observation.Machines)
        {
            known.Add(m.Name);
            if (m.NodeName is { } node) known.Add(node);
        }
        foreach (var n in observation.NodeNames) known.Add(n);
        return observation.Members.Where(m => !string.IsNullOrEmpty(m.Name) && !known.Contains(m.Name)).ToList();
    }

    /// <summary>
    /// Reasons not to go on, empty when it is safe. <paramref name="exemptMachines"/> are the Machines the
    /// upgrade is itself replacing or waiting for (the awaited replacement, the old Machine being removed).
    /// Deleting Machines that carry our hook are ours too and exempt.
    /// </summary>
    public static IReadOnlyList<string> Blockers(ControlPlaneObservation observation, IReadOnlyCollection<string> exemptMachines, string clusterName)
    {
        var blockers = new List<string>();
        foreach (var alarm in observation.Alarms)
            blockers.Add($"etcd alarm {alarm} is active in cluster {clusterName}: resolve it (e.g. compact, defragment, `etcdctl alarm disarm`), then resume");

        var stale = StaleMembers(observation).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var exemptNodes = observation.Machines.Where(m => exemptMachines.Contains(m.Name) || (m.Deleting && m.HasUpgradeHook))
            .SelectMany(m => new[] { m.Name, m.NodeName }).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var member in observation.Members)
        {
            if (member.Healthy || stale.Contains(member.Name) || exemptNodes.Contains(member.Name)) continue;
            var kind = member.IsLearner ? "learner" : "voting member";
            if (member.Name.Length == 0)
                blockers.Add($"etcd {kind} {member.Id:x16} of cluster {clusterName} was added but has never started (it has no name yet), as a control-plane join that failed leaves it: " +
                             $"if it is this upgrade's replacement, run the upgrade again with --retry; otherwise remove it (etcdctl member remove {member.Id:x16}), then resume");
            else
                blockers.Add($"etcd {kind} {member.Name} of cluster {clusterName} is unhealthy{(member.Error is { Length: > 0 } why ? $" ({why})" : "")}: repair it (etcdctl endpoint health), then resume");
        }
        if (observation.Members.Count > 0 && !EtcdQuorum.HasHealthyQuorum(observation.Members))
            blockers.Add($"etcd of cluster {clusterName} has no healthy quorum of voting members: repair etcd before any upgrade step");

        foreach (var machine in observation.Machines)
        {
            if (exemptMachines.Contains(machine.Name)) continue;
            if (machine.Deleting)
            {
                if (machine.HasUpgradeHook) continue;
                blockers.Add($"control-plane Machine {machine.Name} of cluster {clusterName} is being deleted by someone else: wait until it is gone, then resume");
            }
            else if (machine.NodeName is null)
                blockers.Add($"control-plane Machine {machine.Name} of cluster {clusterName} has no Node (status.nodeRef is empty): fix or remove it, then resume");
            else if (!machine.NodeReady)
                blockers.Add($"control-plane Machine {machine.Name} of cluster {clusterName}: its Node {machine.NodeName} is not Ready: fix it, then resume");
        }
        return blockers;
    }

    /// <summary>
    /// Whether every reason to stop is an etcd member that did not answer in time (<see cref="ObservedEtcdMember.TimedOut"/>):
    /// the check would pass were those members healthy. Such a member said nothing wrong, so a gate looks again
    /// for a while before it pauses; it never goes on without a look that finds nothing wrong.
    /// </summary>
    public static bool OnlyTimedOutMembersBlock(ControlPlaneObservation observation, IReadOnlyCollection<string> exemptMachines, string clusterName) =>
        observation.Members.Any(m => m.TimedOut)
        && Blockers(observation with { Members = observation.Members.Select(m => m.TimedOut ? m with { Healthy = true } : m).ToList() }, exemptMachines, clusterName).Count == 0;
}
