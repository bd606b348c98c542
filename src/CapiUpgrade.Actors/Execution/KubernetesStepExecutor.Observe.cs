using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Core.Cloning;
using CapiUpgrade.Core.Naming;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Actors.Execution;

public sealed partial class KubernetesStepExecutor
{
    private IEtcdCluster? _etcd;
    private readonly SemaphoreSlim _etcdLock = new(1, 1);

    /// <summary>What the engine saw, with the raw objects it was built from.</summary>
    private sealed record Observed(ControlPlaneObservation Observation, IReadOnlyList<JsonObject> Machines, IReadOnlyList<NodeInfo> Nodes, EtcdHealthReport Health);

    private async Task<IEtcdCluster> EtcdAsync(CancellationToken ct)
    {
        if (_etcd is { } open) return open;
        await _etcdLock.WaitAsync(ct);
        try
        {
            return _etcd ??= await _access.Etcd.ConnectAsync(_key, ct);
        }
        finally
        {
            _etcdLock.Release();
        }
    }

    /// <summary>
    /// etcd health through the cluster's shared connection. A connection whose endpoints all fail re-reads
    /// them from the etcd static pods by itself (the adapter's reseed), so a failure needs no reconnect here.
    /// </summary>
    /// <param name="alsoAsk">Client URLs where a member that joined since the last check is expected (its etcd pod's), asked beside the member list.</param>
    /// <param name="ct">Cancels the check.</param>
    private async Task<EtcdHealthReport> EtcdHealthAsync(CancellationToken ct, IReadOnlyCollection<string>? alsoAsk = null)
    {
        var report = await (await EtcdAsync(ct)).CheckHealthAsync(alsoAsk ?? [], ct);
        Volatile.Write(ref _lastHealth, new TimedHealth(report, DateTimeOffset.UtcNow));
        return report;
    }

    /// <summary>Opens connections to where a new member is expected; never fails (the health check that follows judges).</summary>
    private async Task WarmUpEtcdAsync(IReadOnlyCollection<string> endpoints, CancellationToken ct)
    {
        try
        {
            await (await EtcdAsync(ct)).WarmUpAsync(endpoints, ct);
        }
        catch (Exception)
        {
            // Connecting to the cluster's etcd failed: the wait's own check reports it.
        }
    }

    /// <summary>
    /// How old the last etcd health report may be for a writing step's gate to use it instead of asking etcd
    /// again: the gate right after a wait that ended on a live check (the old Machine's delete right after the
    /// replacement's member was seen promoted) saves a round trip to every member. Steps that change etcd membership or
    /// leadership (member remove, leader move, stale-member cleanup) always ask live.
    /// </summary>
    private static readonly TimeSpan GateMayReuseEtcdFor = TimeSpan.FromSeconds(1);

    private sealed record TimedHealth(EtcdHealthReport Report, DateTimeOffset At);
    private TimedHealth? _lastHealth;

    /// <summary>The connection for a membership or leadership change: the last health report no longer stands.</summary>
    private Task<IEtcdCluster> EtcdForWriteAsync(CancellationToken ct)
    {
        Volatile.Write(ref _lastHealth, null);
        return EtcdAsync(ct);
    }

    private async Task<EtcdHealthReport> RecentEtcdHealthAsync(TimeSpan maxAge, CancellationToken ct) =>
        Volatile.Read(ref _lastHealth) is { } last && DateTimeOffset.UtcNow - last.At < maxAge ? last.Report : await EtcdHealthAsync(ct);

    /// <summary>What the control plane looks like now: Machines, Nodes and etcd health, and for the preflight also the claim and the certificate secrets' owners.</summary>
    /// <param name="ct">Cancels the observation.</param>
    /// <param name="forPreflight">
    /// The preflight's observation (once per upgrade, and again after a retry or resume): Machines and Nodes read live, as
    /// an operator's kubectl would, so a cause fixed just before the retry is seen, with the Cluster's claim and the
    /// certificate secrets' owners. Every other step reads the watch caches and needs neither.
    /// </param>
    /// <param name="etcdMaxAge">How old the last etcd health report may be to be used instead of asking etcd (default: ask).</param>
    private async Task<Observed> ObserveAsync(CancellationToken ct, bool forPreflight = false, TimeSpan etcdMaxAge = default)
    {
        var (machines, nodes) = forPreflight ? await ControlPlaneLiveAsync(ct) : await ControlPlaneFromWatchesAsync(ct);
        var health = await RecentEtcdHealthAsync(etcdMaxAge, ct);
        string? claim = null;
        var secretOwners = new HashSet<string>(StringComparer.Ordinal);
        if (forPreflight)
        {
            var cluster = await Api.GetAsync(ResourceKind.Cluster, _key.Namespace, _key.Name, ct);
            claim = cluster is null ? null : MachineJson.Annotation(cluster, CapiConventions.UpgradeIdAnnotation);
            secretOwners = await CertificateSecretOwnersAsync(ct);
        }
        var observedMachines = machines.Select(m =>
        {
            var node = MachineJson.NodeName(m, nodes);
            var ready = node is not null && nodes.Any(n => n.Name == node && n.Ready);
            return new ObservedMachine(MachineJson.Name(m), MachineJson.Version(m), node, ready, MachineJson.Deleting(m),
                MachineJson.HasUpgradeHook(m), MachineJson.ReplacementFor(m),
                MachineJson.BootstrapConfigName(m) is { } kc && secretOwners.Contains(kc));
        }).ToList();
        var members = health.Members.Select(Kubernetes.Etcd.EtcdQuorum.ToObserved).ToList();
        var alarms = health.Alarms.Select(a => $"{a.Alarm} on member {a.MemberId:x16}").ToList();
        var observation = new ControlPlaneObservation(observedMachines, nodes.Where(n => n.IsControlPlane).Select(n => n.Name).ToList(), members, alarms, claim);
        return new Observed(observation, machines, nodes, health);
    }

    /// <summary>
    /// The cluster's control-plane Machines and its Nodes from the shared watch caches (DESIGN §3), as a
    /// controller's informers give them: once the watches run (the first call lists and starts them; the
    /// workload watches linger between steps) an observation costs no API request. The caches follow the
    /// server within a watch event's delay; every decision that could lose quorum also asks etcd live.
    /// </summary>
    private async Task<(IReadOnlyList<JsonObject> Machines, IReadOnlyList<NodeInfo> Nodes)> ControlPlaneFromWatchesAsync(CancellationToken ct)
    {
        using var machines = await _access.Watches.SubscribeAsync(ResourceKind.Machine, _key, static _ => { }, ct);
        using var workload = await _access.Workloads.WatchAsync(_key, static _ => { }, ct);
        var controlPlane = machines.Snapshot
            .Where(m => m.Get("metadata", "labels") is JsonObject labels && labels.ContainsKey(Core.Capi.CapiConventions.ControlPlaneLabel))
            .OrderBy(MachineJson.Name, StringComparer.Ordinal)
            .ToList();
        return (controlPlane, workload.Nodes);
    }

    private async Task<(IReadOnlyList<JsonObject> Machines, IReadOnlyList<NodeInfo> Nodes)> ControlPlaneLiveAsync(CancellationToken ct)
    {
        var machines = await Api.ListControlPlaneMachinesAsync(_key, ct);
        var workload = await _access.Workloads.GetAsync(_key, ct);
        return (machines, await workload.ListNodesAsync(ct));
    }

    /// <summary>KubeadmConfig names that are controller owners of the certificate secrets (the init config's, until re-owned).</summary>
    private async Task<HashSet<string>> CertificateSecretOwnersAsync(CancellationToken ct)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var suffix in Core.Capi.CapiConventions.CertificateSecretSuffixes)
        {
            var secret = await Api.GetAsync(ResourceKind.Secret, _key.Namespace, _key.Name + suffix, ct);
            if (secret?.Get("metadata", "ownerReferences") is not JsonArray refs) continue;
            foreach (var r in refs.OfType<JsonObject>())
            {
                if (r.GetString("kind") == "KubeadmConfig" && r.Get("controller")?.GetValue<bool>() == true && r.GetString("name") is { } name)
                    owners.Add(name);
            }
        }
        return owners;
    }

    /// <summary>How long a gate that found a reason to stop waits before it looks again, live, and stops only if the reason is still there.</summary>
    private static readonly TimeSpan GateConfirmAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a gate keeps looking (2 s, 4 s, 8 s... apart) while its only reason to stop is etcd members that
    /// did not answer in time: a slow member said nothing wrong, and a pause calls a person.
    /// </summary>
    private static readonly TimeSpan GatePatienceWithSlowMembers = TimeSpan.FromSeconds(14);

    /// <summary>
    /// DESIGN §4 rule 1 before a writing step: Blocked with every reason, or null when it is safe to go on. A
    /// pause calls a person, so what stops the upgrade is confirmed first: an etcd health check that missed its
    /// deadline under load, or a watch cache a moment behind the server, is looked at again (etcd live) after
    /// <see cref="GateConfirmAfter"/>, and only what is still wrong then stops it — at once if a member reported
    /// a problem or is unreachable, after <see cref="GatePatienceWithSlowMembers"/> if members only answered late.
    /// Nothing is written while the gate looks; only a look that finds nothing wrong lets the step go on.
    /// </summary>
    private async Task<StepOutcome?> GateAsync(StepRequest request, CancellationToken ct)
    {
        var exempt = new List<string>();
        if (request.Machine is { } m)
        {
            exempt.Add(m.OldMachine);
            exempt.Add(ReplacementNameFor(request, m.OldMachine));
            if (m.Replacement is { } r) exempt.Add(r);
        }
        IReadOnlyList<string> blockers = [];
        await LookAgainWhileAsync(await ObserveAsync(ct, etcdMaxAge: GateMayReuseEtcdFor), () => ObserveAsync(ct), (observed, waited) =>
        {
            blockers = SafetyCheck.Blockers(observed.Observation, exempt, _cluster.ToString());
            return blockers.Count > 0 && (waited == TimeSpan.Zero
                || waited < GatePatienceWithSlowMembers && SafetyCheck.OnlyTimedOutMembersBlock(observed.Observation, exempt, _cluster.ToString()));
        }, ct);
        return blockers.Count == 0 ? null : new StepOutcome.Blocked(string.Join("; ", blockers));
    }

    /// <summary>
    /// Looks again, live (<paramref name="look"/>), <see cref="GateConfirmAfter"/>, then twice as long, four times...
    /// after the last look, while <paramref name="lookAgain"/> (given the last look and the time waited so far) says
    /// so; the last look.
    /// </summary>
    private static async Task<T> LookAgainWhileAsync<T>(T first, Func<Task<T>> look, Func<T, TimeSpan, bool> lookAgain, CancellationToken ct)
    {
        var last = first;
        var waited = TimeSpan.Zero;
        for (var wait = GateConfirmAfter; lookAgain(last, waited); wait *= 2)
        {
            await Task.Delay(wait, ct);
            waited += wait;
            last = await look();
        }
        return last;
    }

    private static string ReplacementNameFor(StepRequest request, string oldMachine)
    {
        var hop = KubernetesVersion.Parse(request.State.CurrentHopVersion);
        var final = KubernetesVersion.Parse(request.State.Hops.Count > 0 ? request.State.Hops[^1] : request.State.TargetVersion);
        return ReplacementName.For(oldMachine, request.UpgradeId, hop, final);
    }

    private async Task<StepOutcome> PreflightAsync(StepRequest request, CancellationToken ct)
    {
        // etcd members that did not answer in time are asked again (2 s, 4 s, 8 s... apart, at most
        // GatePatienceWithSlowMembers) before the decider sees them unhealthy and pauses the upgrade.
        var observed = await LookAgainWhileAsync(await ObserveAsync(ct, forPreflight: true), () => ObserveAsync(ct, forPreflight: true),
            (o, waited) => waited < GatePatienceWithSlowMembers && o.Observation.Members.Any(m => m.TimedOut), ct);
        var state = request.State;
        if (!KubernetesVersion.TryParse(state.TargetVersion, out var target, out var error))
            return new StepOutcome.Refused($"target version of upgrade {state.UpgradeId}: {error}");

        var refusals = new List<string>();
        var versions = new List<KubernetesVersion>();
        foreach (var m in observed.Machines.Where(m => !MachineJson.Deleting(m)))
        {
            if (KubernetesVersion.TryParse(MachineJson.Version(m), out var v, out var why)) versions.Add(v);
            else refusals.Add($"Machine {_cluster.Namespace}/{MachineJson.Name(m)} field spec.version: {why}");
        }
        var kubelets = observed.Nodes
            .Where(n => KubernetesVersion.TryParse(n.KubeletVersion, out _))
            .Select(n => new NodeKubelet(n.Name, KubernetesVersion.Parse(n.KubeletVersion), n.IsControlPlane));
        var plan = UpgradePlanner.Plan(_cluster.ToString(), versions, target, kubelets);
        refusals.AddRange(plan.Errors.Select(f => f.Message));
        var hops = plan.Hops.Select(h => h.To.ToString()).ToList();

        // Rule 12: the replacement must boot the target; refuse now, naming the field, when the clone cannot tell.
        if (refusals.Count == 0 && state.Hops.Count == 0 && hops.Count > 0)
            refusals.AddRange(await CloneFindingsAsync(request, observed.Machines, KubernetesVersion.Parse(hops[0]), ct));

        var report = new PreflightReport(observed.Observation, plan.Current.ToString(), hops, refusals);
        return new StepOutcome.Succeeded(Preflight: report);
    }

    private async Task<IEnumerable<string>> CloneFindingsAsync(StepRequest request, IReadOnlyList<JsonObject> machines, KubernetesVersion hop, CancellationToken ct)
    {
        var old = machines.FirstOrDefault(m => !MachineJson.Deleting(m) && MachineJson.ReplacementFor(m) is null
                                               && KubernetesVersion.TryParse(MachineJson.Version(m), out var v) && v < hop);
        if (old is null) return [];
        var name = MachineJson.Name(old);
        var findings = new List<string>();
        var infra = await GetReferencedAsync(old, "infrastructureRef", ct);
        if (infra is not null)
        {
            var clone = InfrastructureMachineCloner.Clone(infra, name + "-preflight", hop, name, ParsePatch(request.State.Options.InfrastructurePatch, "--infra-patch"));
            findings.AddRange(clone.Findings.Where(f => f.IsError).Select(f => f.Message));
        }
        var bootstrap = await GetReferencedAsync(old, "bootstrap.configRef", ct);
        if (bootstrap is not null)
        {
            var clone = BootstrapConfigCloner.CloneAsControlPlaneJoin(bootstrap, name + "-preflight", hop, name, ParsePatch(request.State.Options.BootstrapPatch, "--bootstrap-patch"));
            findings.AddRange(clone.Findings.Where(f => f.IsError).Select(f => f.Message));
        }
        return findings;
    }

    /// <summary>GETs the object a Machine's spec.&lt;path&gt; reference names (same namespace).</summary>
    private async Task<JsonObject?> GetReferencedAsync(JsonObject machine, string refPath, CancellationToken ct)
    {
        if (machine.Get("spec." + refPath) is not JsonObject reference) return null;
        var kind = ResourceKind.FromApiVersionAndKind(reference.GetString("apiVersion") ?? "", reference.GetString("kind") ?? "");
        var name = reference.GetString("name") ?? "";
        return await Api.GetAsync(kind, reference.GetString("namespace") ?? _key.Namespace, name, ct);
    }

    private static ResourceKind ReferencedKind(JsonObject machine, string refPath) =>
        machine.Get("spec." + refPath) is JsonObject reference
            ? ResourceKind.FromApiVersionAndKind(reference.GetString("apiVersion") ?? "", reference.GetString("kind") ?? "")
            : throw new InvalidOperationException($"Machine {MachineJson.Name(machine)} has no spec.{refPath}");

    private async Task<StepOutcome> ClaimAsync(StepRequest request, CancellationToken ct)
    {
        var result = await Api.ClaimClusterAsync(_key, request.UpgradeId, ct);
        return result.Succeeded ? new StepOutcome.Succeeded(result.Message) : new StepOutcome.Refused(result.Message);
    }

    private async Task<StepOutcome> ReleaseClaimAsync(StepRequest request, CancellationToken ct)
    {
        var result = await Api.ReleaseClusterAsync(_key, request.UpgradeId, ct);
        // Held by another id: it is not ours to release; nothing of ours is left on the Cluster.
        return new StepOutcome.Succeeded(result.Message);
    }
}
