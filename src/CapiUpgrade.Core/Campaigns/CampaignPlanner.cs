using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// Resolves a <see cref="CampaignSpec"/> against facts about the fleet (DESIGN §2, issue 5): selects clusters,
/// runs the preflight checks (paused, already at target, version skew, single-node control plane, etcd health,
/// maintenance window label), and assigns the remaining clusters to waves in spec order. Pure: writes nothing.
/// <para>Clusters are taken in key order, so a plan is deterministic. Percentages of waves round up, the
/// failure budget's percentage (of the clusters in the waves) rounds down.</para>
/// </summary>
public static class CampaignPlanner
{
    public static CampaignPlan Plan(CampaignSpec spec, IEnumerable<ClusterFacts> candidates)
    {
        var findings = new List<Finding>();
        var available = new AvailableVersions(spec.AvailableVersions);
        var selected = candidates
            .Where(c => spec.Selector.Matches(c.Key, c.Labels))
            .OrderBy(c => c.Key)
            .ToList();
        var duplicates = selected.GroupBy(c => c.Key.ToString()).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw new ArgumentException($"candidate clusters listed twice: {string.Join(", ", duplicates)}", nameof(candidates));

        var preflight = new Dictionary<string, ClusterPreflight>();
        var eligible = new List<ClusterFacts>();
        foreach (var c in selected)
        {
            var result = Preflight(spec, c, available);
            preflight[c.Key.ToString()] = result;
            if (result.Included) eligible.Add(c);
        }

        if (selected.Count == 0)
        {
            findings.Add(Finding.Warning("NoClusterSelected", $"Campaign {spec.Name}", "selector",
                $"no cluster matches {spec.Selector}", "check the selector's namespaces, labels and names against `fleet versions`"));
        }

        var remaining = eligible;
        var waves = new List<PlannedWave>();
        for (var i = 0; i < spec.Waves.Count; i++)
        {
            var w = spec.Waves[i];
            var matching = w.Selector is null ? remaining : remaining.Where(c => w.Selector.Matches(c.Key, c.Labels)).ToList();
            var take = w.Size?.ResolveCeiling(matching.Count) ?? matching.Count;
            var members = matching.Take(take).ToList();
            remaining = remaining.Except(members).ToList();
            var maxConcurrent = Math.Max(1, w.MaxConcurrent.ResolveCeiling(members.Count));
            waves.Add(new PlannedWave(i, w.Name, members.Select(m => m.Key.ToString()).ToList(), maxConcurrent, w.Soak, w.RequiresApproval));
            foreach (var m in members) preflight[m.Key.ToString()] = preflight[m.Key.ToString()] with { Wave = i };
            if (members.Count == 0)
            {
                findings.Add(Finding.Warning("EmptyWave", $"Campaign {spec.Name}", $"waves[{i}]",
                    $"wave '{w.Name}' gets no cluster", "check its selector, or remove the wave"));
            }
        }
        foreach (var left in remaining)
        {
            var key = left.Key.ToString();
            var finding = Finding.Warning("NotInAnyWave", $"Cluster {key}", "waves",
                "is selected and eligible but no wave takes it, so it will not be upgraded",
                "add a last wave without selector, count or percentage to take every remaining cluster");
            preflight[key] = preflight[key] with { Exclusion = ClusterExclusion.NotInAnyWave, Findings = [.. preflight[key].Findings, finding] };
            findings.Add(finding);
        }

        var inWaves = waves.Sum(w => w.Clusters.Count);
        var budget = spec.FailureBudget.ResolveFloor(inWaves);
        var clusters = selected.Select(c => preflight[c.Key.ToString()]).ToList();
        return new CampaignPlan(spec.Name, spec.TargetVersion, waves, clusters, budget, spec.ClusterTimeout,
            [.. findings, .. clusters.SelectMany(c => c.Findings)]);
    }

    /// <summary>The checks for one cluster; the first exclusion found wins, every finding is kept.</summary>
    public static ClusterPreflight Preflight(CampaignSpec spec, ClusterFacts c, AvailableVersions? available = null)
    {
        var key = c.Key.ToString();
        var subject = $"Cluster {key}";
        var findings = new List<Finding>();
        var exclusion = ClusterExclusion.None;
        void Exclude(ClusterExclusion reason, Finding f)
        {
            if (exclusion == ClusterExclusion.None) exclusion = reason;
            findings.Add(f);
        }

        string? window = spec.DefaultMaintenanceWindow?.ToString();
        if (c.Labels.TryGetValue(spec.MaintenanceWindowLabel, out var labelValue))
        {
            if (MaintenanceWindow.TryParse(labelValue, out var w, out var error)) window = w.ToString();
            else
                Exclude(ClusterExclusion.InvalidMaintenanceWindow, Finding.Error("InvalidMaintenanceWindow", subject,
                    $"metadata.labels[{spec.MaintenanceWindowLabel}]", error,
                    $"correct the label (e.g. kubectl label cluster -n {c.Key.Namespace} {c.Key.Name} --overwrite {spec.MaintenanceWindowLabel}=mon-fri.22-06)"));
        }

        if (c.Paused)
        {
            Exclude(ClusterExclusion.Paused, Finding.Warning("ClusterPaused", subject, "spec.paused",
                "Cluster API reconciliation is paused on this cluster, so it is left out",
                $"unpause it (kubectl patch cluster -n {c.Key.Namespace} {c.Key.Name} --type merge -p '{{\"spec\":{{\"paused\":false}}}}') and plan again"));
        }

        var hops = 0;
        if (c.ControlPlaneVersions.Count == 0)
        {
            Exclude(ClusterExclusion.VersionUnknown, Finding.Error("VersionUnknown", subject, "Machine.spec.version",
                "no control-plane Machine version was found", "check that the cluster's control-plane Machines exist and carry spec.version"));
        }
        else
        {
            var plan = UpgradePlanner.Plan(key, c.ControlPlaneVersions, spec.TargetVersion, c.Nodes, available);
            hops = plan.Hops.Count;
            if (plan.IsNothingToDo)
                Exclude(ClusterExclusion.AlreadyAtTarget, Finding.Info("AlreadyAtTarget", subject, "spec.version",
                    $"the control plane is already at {spec.TargetVersion}"));
            else if (plan.IsRefused)
                foreach (var f in plan.Errors) Exclude(ClusterExclusion.VersionSkew, f);
            findings.AddRange(plan.Findings.Where(f => !f.IsError && f.Code != "AlreadyAtTarget"));
        }

        if (c.ControlPlaneReplicas == 1 && !spec.AllowSingleNodeControlPlane && exclusion != ClusterExclusion.AlreadyAtTarget)
        {
            Exclude(ClusterExclusion.SingleNodeControlPlane, Finding.Error("SingleNodeControlPlane", subject, "control-plane Machines",
                "has a single control-plane Machine: replacing it goes 1 -> 2 -> 1 etcd members and risks quorum (the seed tool's known failure)",
                "scale the control plane to 3 first, or set allowSingleNodeControlPlane: true in the campaign to accept the risk"));
        }
        else if (c.ControlPlaneReplicas == 1 && spec.AllowSingleNodeControlPlane)
        {
            findings.Add(Finding.Warning("SingleNodeControlPlane", subject, "control-plane Machines",
                "has a single control-plane Machine; allowed by allowSingleNodeControlPlane", "none: the risk was accepted"));
        }

        if (c.EtcdHealthy == false)
        {
            Exclude(ClusterExclusion.EtcdUnhealthy, Finding.Error("EtcdUnhealthy", subject, "etcd",
                c.EtcdProblem is { Length: > 0 } problem ? "etcd is not healthy: " + problem : "etcd is unhealthy or has an alarm", "repair etcd (`capi-upgrade etcd health " + key + "`) and plan again"));
        }

        return new ClusterPreflight(key, c.CurrentVersion?.ToString(), exclusion, null, window, hops, findings);
    }
}
