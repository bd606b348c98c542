using CapiUpgrade.Core.Errors;

namespace CapiUpgrade.Core.Versions;

/// <summary>
/// The version skew rules (DESIGN §4 rule 5), as a pure function from versions to an <see cref="UpgradePlan"/>:
/// <list type="bullet">
/// <item>no downgrade; a control plane already at the target has nothing to do;</item>
/// <item>one minor per hop: a multi-minor target becomes a chain (v1.28.x → v1.31.y = v1.29.?, v1.30.?, v1.31.y),
///   intermediate patch versions chosen by <see cref="AvailableVersions"/> (highest listed, else <c>.0</c>);</item>
/// <item>no major version change;</item>
/// <item>a hop is refused when any Node's kubelet would end more than <c>maxKubeletSkew</c> (3) minors behind
///   the control plane, or ahead of it. Control-plane Nodes are replaced by the hop, so only the others count.</item>
/// </list>
/// </summary>
public static class UpgradePlanner
{
    /// <summary>The kubelet may be up to this many minors older than kube-apiserver (Kubernetes' policy since v1.28).</summary>
    public const int DefaultMaxKubeletSkew = 3;

    /// <summary>Plans from the control-plane Machines' versions (possibly mixed when an upgrade was interrupted mid-hop).</summary>
    public static UpgradePlan Plan(
        string cluster,
        IReadOnlyCollection<KubernetesVersion> controlPlaneVersions,
        KubernetesVersion target,
        IEnumerable<NodeKubelet>? nodes = null,
        AvailableVersions? available = null,
        int maxKubeletSkew = DefaultMaxKubeletSkew)
    {
        if (controlPlaneVersions.Count == 0)
        {
            return new UpgradePlan(cluster, target, target, [],
            [
                Finding.Error("NoControlPlaneMachines", $"Cluster {cluster}", "spec.version",
                    "no control-plane Machine with a version was found (labels cluster.x-k8s.io/cluster-name and cluster.x-k8s.io/control-plane)",
                    "check the cluster name and namespace, and that its control-plane Machines carry both labels"),
            ]);
        }

        var lowest = controlPlaneVersions.Min();
        var highest = controlPlaneVersions.Max();
        var findings = new List<Finding>();
        if (lowest != highest)
        {
            if (lowest.Major != highest.Major || highest.Minor - lowest.Minor > 1)
            {
                findings.Add(Finding.Error("ControlPlaneSkew", $"Cluster {cluster}", "Machine.spec.version",
                    $"the control-plane Machines span {lowest} to {highest}, more than one minor apart",
                    "bring the control plane to one minor version by hand before upgrading"));
                return new UpgradePlan(cluster, lowest, target, [], findings);
            }
            findings.Add(Finding.Info("MixedControlPlane", $"Cluster {cluster}", "Machine.spec.version",
                $"the control plane is mixed ({lowest} and {highest}), as an interrupted upgrade leaves it; planning from {lowest}"));
        }

        var plan = Plan(cluster, lowest, target, nodes, available, maxKubeletSkew);
        if (highest > target)
        {
            findings.Add(Finding.Error("VersionDowngrade", $"Cluster {cluster}", "spec.version",
                $"a control-plane Machine is already at {highest}, above the target {target}; downgrades are not supported",
                $"choose a target of at least {highest}"));
            return plan with { Findings = [.. findings, .. plan.Findings.Where(f => f.Code != "VersionDowngrade")] };
        }
        return plan with { Findings = [.. findings, .. plan.Findings] };
    }

    /// <summary>Plans from one current control-plane version.</summary>
    public static UpgradePlan Plan(
        string cluster,
        KubernetesVersion current,
        KubernetesVersion target,
        IEnumerable<NodeKubelet>? nodes = null,
        AvailableVersions? available = null,
        int maxKubeletSkew = DefaultMaxKubeletSkew)
    {
        available ??= AvailableVersions.None;
        var nodeList = nodes?.ToList() ?? [];
        var findings = new List<Finding>();
        var subject = $"Cluster {cluster}";

        if (target < current)
        {
            findings.Add(Finding.Error("VersionDowngrade", subject, "target version",
                $"the control plane is at {current} and the target {target} is older; downgrades are not supported",
                $"choose a target of at least {current}"));
            return new UpgradePlan(cluster, current, target, [], findings);
        }
        if (target == current)
        {
            findings.Add(Finding.Info("AlreadyAtTarget", subject, "target version",
                $"the control plane is already at {target}"));
            return new UpgradePlan(cluster, current, target, [], findings);
        }
        if (target.Major != current.Major)
        {
            findings.Add(Finding.Error("MajorVersionChange", subject, "target version",
                $"the control plane is at {current} and the target {target} changes the major version",
                $"choose a target within v{current.Major}.x"));
            return new UpgradePlan(cluster, current, target, [], findings);
        }

        var hops = new List<UpgradeHop>();
        var from = current;
        for (var minor = current.Minor + 1; minor < target.Minor; minor++)
        {
            var (to, listed) = available.ForMinor(current.Major, minor);
            if (!listed)
            {
                findings.Add(Finding.Info("IntermediateVersionDefaulted", subject, "available versions",
                    $"no v{current.Major}.{minor} version was listed as available, so the intermediate hop goes to {to}",
                    $"list the patch you want (e.g. --versions v{current.Major}.{minor}.N) to use another"));
            }
            hops.Add(new UpgradeHop(hops.Count, from, to));
            from = to;
        }
        hops.Add(new UpgradeHop(hops.Count, from, target));

        foreach (var node in nodeList.Where(n => !n.IsControlPlane))
        {
            foreach (var hop in hops)
            {
                var finding = CheckKubeletSkew(cluster, node, hop, maxKubeletSkew);
                if (finding is null) continue;
                findings.Add(finding);
                break; // one finding per Node: the first hop it blocks
            }
        }
        return new UpgradePlan(cluster, current, target, hops, findings);
    }

    /// <summary>The kubelet skew rule for one Node and one hop, or null when the Node is fine.</summary>
    public static Finding? CheckKubeletSkew(string cluster, NodeKubelet node, UpgradeHop hop, int maxKubeletSkew = DefaultMaxKubeletSkew)
    {
        var kubelet = node.IsControlPlane ? hop.To : node.KubeletVersion;
        var subject = $"Node {node.NodeName} (cluster {cluster})";
        const string field = "status.nodeInfo.kubeletVersion";
        if (kubelet.Major != hop.To.Major || kubelet.Minor > hop.To.Minor)
        {
            return Finding.Error("KubeletAhead", subject, field,
                $"the kubelet is at {node.KubeletVersion}, which would be ahead of the control plane at {hop.To} after hop {hop}",
                $"choose a target of at least v{kubelet.Major}.{kubelet.Minor}.0, or bring that Node back to the control plane's version");
        }
        var behind = hop.To.Minor - kubelet.Minor;
        if (behind > maxKubeletSkew)
        {
            return Finding.Error("KubeletTooOld", subject, field,
                $"the kubelet is at {node.KubeletVersion}, which would be {behind} minors behind the control plane at {hop.To} after hop {hop} (at most {maxKubeletSkew} allowed)",
                $"upgrade the workers (their MachineDeployment's spec.template.spec.version) to at least v{hop.To.Major}.{hop.To.Minor - maxKubeletSkew}.0 first, or choose a target of at most v{kubelet.Major}.{kubelet.Minor + maxKubeletSkew}.x");
        }
        return null;
    }
}
