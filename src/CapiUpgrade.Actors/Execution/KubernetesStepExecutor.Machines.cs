using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CapiConventions = CapiUpgrade.Core.Capi.CapiConventions;
using CapiUpgrade.Core.Cloning;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Watching;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Actors.Execution;

public sealed partial class KubernetesStepExecutor
{
    /// <summary>How soon the wait asks etcd again when the Node and its static pods are Ready but the member is not yet a healthy voter.</summary>
    private static readonly TimeSpan EtcdRecheck = TimeSpan.FromMilliseconds(100);
    /// <summary>How old an etcd check started before the wait's last condition held (see AwaitReplacementReadyAsync) may be to decide the wait.</summary>
    private static readonly TimeSpan EarlyEtcdCheckFreshFor = TimeSpan.FromSeconds(1);

    private static JsonObject AnnotationPatch(string key, string? value) => new()
    {
        ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value is null ? null : JsonValue.Create(value) } },
    };

    /// <summary>Rule 4: the old Machine carries our pre-terminate hook before anything else happens to it.</summary>
    private async Task<StepOutcome> AddHookAsync(StepRequest request, CancellationToken ct)
    {
        if (await GateAsync(request, ct) is { } blocked) return blocked;
        var old = request.Step.Machine!;
        var patched = await Api.MergePatchAsync(ResourceKind.Machine, _key.Namespace, old, AnnotationPatch(CapiConventions.UpgradePreTerminateHook, request.UpgradeId), ct);
        return patched is null
            ? new StepOutcome.Blocked($"control-plane Machine {_key.Namespace}/{old} of cluster {_cluster} disappeared before its replacement was created: rerun the upgrade to plan again")
            : new StepOutcome.Succeeded($"pre-terminate hook on Machine {old}");
    }

    /// <summary>Rule 2 and 12: clone infra and bootstrap, create the replacement at the hop's version (create-or-get, deterministic name).</summary>
    private async Task<StepOutcome> CreateReplacementAsync(StepRequest request, CancellationToken ct)
    {
        if (await GateAsync(request, ct) is { } blocked) return blocked;
        var oldName = request.Step.Machine!;
        var hop = KubernetesVersion.Parse(request.State.CurrentHopVersion);
        var (machines, _) = await ControlPlaneFromWatchesAsync(ct);
        var existing = machines.FirstOrDefault(m => MachineJson.ReplacementFor(m) == oldName && HopPlanner.SameVersion(MachineJson.Version(m), hop.ToString()));
        if (existing is not null)
            return new StepOutcome.Succeeded($"replacement {MachineJson.Name(existing)} exists already", Replacement: MachineJson.Name(existing));
        // Surge of one (rule 2): no other replacement of ours may be in flight.
        var surge = machines.FirstOrDefault(m => MachineJson.ReplacementFor(m) is { } f && f != oldName
                                                 && machines.Any(o => MachineJson.Name(o) == f && !MachineJson.Deleting(o)));
        if (surge is not null)
            return new StepOutcome.Blocked($"replacement Machine {MachineJson.Name(surge)} of another old Machine is still in flight in cluster {_cluster}: at most one extra control-plane Machine at a time; finish or remove it, then resume");

        var old = machines.FirstOrDefault(m => MachineJson.Name(m) == oldName)
                  ?? await Api.GetAsync(ResourceKind.Machine, _key.Namespace, oldName, ct);
        if (old is null)
            return new StepOutcome.Blocked($"control-plane Machine {_key.Namespace}/{oldName} of cluster {_cluster} disappeared before its replacement was created: rerun the upgrade to plan again");
        var name = ReplacementNameFor(request, oldName);

        var infra = await GetReferencedAsync(old, "infrastructureRef", ct)
                    ?? throw new Core.Errors.ValidationException(Core.Errors.Finding.Error("MissingInfrastructure", $"Machine {_key.Namespace}/{oldName}", "spec.infrastructureRef",
                        "the infrastructure object it names does not exist", "restore it or remove the Machine by hand"));
        var infraClone = InfrastructureMachineCloner.Clone(infra, name, hop, oldName, ParsePatch(request.State.Options.InfrastructurePatch, "--infra-patch")).ObjectOrThrow();
        await Api.CreateOrGetAsync(ReferencedKind(old, "infrastructureRef"), infraClone, ct);

        var bootstrap = await GetReferencedAsync(old, "bootstrap.configRef", ct)
                        ?? throw new Core.Errors.ValidationException(Core.Errors.Finding.Error("MissingBootstrapConfig", $"Machine {_key.Namespace}/{oldName}", "spec.bootstrap.configRef",
                            "the KubeadmConfig it names does not exist", "restore it or remove the Machine by hand"));
        var bootstrapClone = BootstrapConfigCloner.CloneAsControlPlaneJoin(bootstrap, name, hop, oldName, ParsePatch(request.State.Options.BootstrapPatch, "--bootstrap-patch")).ObjectOrThrow();
        await Api.CreateOrGetAsync(ReferencedKind(old, "bootstrap.configRef"), bootstrapClone, ct);

        var machine = ReplacementMachineBuilder.Build(old, name, name, name, hop, request.UpgradeId);
        var created = await Api.CreateOrGetAsync(ResourceKind.Machine, machine, ct);
        return new StepOutcome.Succeeded(created.Created ? $"created replacement {name} at {hop}" : $"replacement {name} exists already", Replacement: name);
    }

    /// <summary>
    /// Waits (by watch) until the replacement has a Ready Node with Ready static pods, and its etcd member is a
    /// promoted, healthy voter. A Machine in phase Failed ends the wait at once.
    /// </summary>
    private async Task<StepOutcome> AwaitReplacementReadyAsync(StepRequest request, CancellationToken ct)
    {
        var oldName = request.Step.Machine!;
        var name = request.Machine?.Replacement ?? ReplacementNameFor(request, oldName);
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        JsonObject? machine = null;
        var nodes = new ConcurrentDictionary<string, NodeInfo>();
        var pods = new ConcurrentDictionary<string, PodInfo>();
        using var machineWatch = await _access.Watches.SubscribeAsync(ResourceKind.Machine, _key, e =>
        {
            if (e.Name != name) return;
            Volatile.Write(ref machine, e.Type == ResourceEventType.Deleted ? null : e.Object);
            signal.Writer.TryWrite(true);
        }, ct);
        using var workloadWatch = await _access.Workloads.WatchAsync(_key, e =>
        {
            if (e.Node is { } n) { if (e.Type == ResourceEventType.Deleted) nodes.TryRemove(n.Name, out _); else nodes[n.Name] = n; }
            if (e.Pod is { } p) { if (e.Type == ResourceEventType.Deleted) pods.TryRemove(p.Name, out _); else pods[p.Name] = p; }
            signal.Writer.TryWrite(true);
        }, ct);
        machine ??= machineWatch.Snapshot.FirstOrDefault(m => MachineJson.Name(m) == name);
        foreach (var n in workloadWatch.Nodes) nodes.TryAdd(n.Name, n);
        foreach (var p in workloadWatch.Pods) pods.TryAdd(p.Name, p);

        var waitingFor = "its Machine";
        // The replacement's etcd member answers at its pod's client URLs: that connection (a TLS handshake) is
        // opened as soon as the pod is seen, while the Node is not yet Ready, not by the check that ends the wait.
        IReadOnlyCollection<string> warmed = [];
        void WarmUp(string nodeName)
        {
            var urls = EtcdUrlsOn(pods.Values, nodeName);
            if (urls.Count == 0 || urls.All(warmed.Contains)) return;
            warmed = urls;
            _ = WarmUpEtcdAsync(urls, ct);
        }
        // etcd is asked before the wait's last condition holds — once the replacement's etcd pod is Ready while its
        // Node is not yet, or once the Node is Ready while other static pods are not (separate watch streams, either
        // may trail the other) — and the answer decides the wait if it is still fresh when everything else is Ready.
        Task<EtcdHealthReport>? early = null;
        var earlyAt = DateTimeOffset.MinValue;
        void AskEtcdEarly(string nodeName)
        {
            if (early is null || DateTimeOffset.UtcNow - earlyAt >= EarlyEtcdCheckFreshFor && early.IsCompleted)
                (early, earlyAt) = (EtcdHealthAsync(ct, EtcdUrlsOn(pods.Values, nodeName)), DateTimeOffset.UtcNow);
        }
        try
        {
            while (true)
            {
                var m = Volatile.Read(ref machine);
                if (m is null) waitingFor = $"Machine {name} to exist";
                else if (MachineJson.Phase(m) == "Failed")
                    return new StepOutcome.TimedOut($"replacement Machine {_key.Namespace}/{name} of {oldName} failed: {MachineJson.FailureReason(m) ?? "phase Failed"}");
                else if (MachineJson.NodeName(m, nodes.Values) is not { } nodeName) waitingFor = $"Machine {name} to get a Node (status.nodeRef)";
                else if (!nodes.TryGetValue(nodeName, out var node) || !node.Ready)
                {
                    waitingFor = $"Node {nodeName} to be Ready";
                    WarmUp(nodeName);
                    if (pods.Values.Any(p => p.NodeName == nodeName && p.Component == "etcd" && p.Ready)) AskEtcdEarly(nodeName);
                }
                else if (WorkloadParsing.MissingReadyStaticPods(pods.Values, nodeName) is { Count: > 0 } missing)
                {
                    waitingFor = $"static pods {string.Join(", ", missing)} on Node {nodeName} to be Ready";
                    WarmUp(nodeName);
                    AskEtcdEarly(nodeName);
                }
                else
                {
                    // etcd has no membership watch: it is asked only once its pod or the Node is Ready (one health
                    // check, reused by the next step's gate), then every EtcdRecheck until the member is a voter.
                    var health = early is not null && DateTimeOffset.UtcNow - earlyAt < EarlyEtcdCheckFreshFor ? await early : await EtcdHealthAsync(ct, EtcdUrlsOn(pods.Values, nodeName));
                    early = null;
                    if (EtcdMemberPending(health, nodeName) is not { } pending)
                        return ReplacementReady(name, nodeName);
                    waitingFor = pending;
                    await Task.Delay(EtcdRecheck, ct);
                    continue;
                }
                await signal.Reader.ReadAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new StepOutcome.TimedOut($"replacement {_key.Namespace}/{name} of Machine {oldName} was not Ready by {request.Deadline:HH:mm:ss} UTC (machine timeout {request.State.Options.MachineTimeout}); still waiting for {waitingFor}");
        }
        finally
        {
            // An early check left unused must not end as an unobserved exception.
            _ = early?.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>The client URLs the etcd static pod on <paramref name="nodeName"/> advertises: where the replacement's member answers.</summary>
    private static IReadOnlyCollection<string> EtcdUrlsOn(IEnumerable<PodInfo> pods, string nodeName) =>
        pods.Where(p => p.NodeName == nodeName && p.Component == "etcd").SelectMany(p => p.EtcdClientUrls).ToList();

    /// <summary>What the wait still needs from etcd for the member named <paramref name="name"/>, or null when it is a promoted, healthy voter.</summary>
    private static string? EtcdMemberPending(EtcdHealthReport health, string name) =>
        health.Members.FirstOrDefault(h => h.Member.Name == name) switch
        {
            null => $"etcd member {name} to join",
            { Member.IsLearner: true } => $"etcd learner {name} to be promoted",
            { Healthy: false } => $"etcd member {name} to be healthy",
            _ => null,
        };

    private static StepOutcome ReplacementReady(string machine, string node) =>
        new StepOutcome.Succeeded($"replacement {machine} Ready on Node {node}, etcd member promoted and healthy", Replacement: machine, Node: node);

    /// <summary>Rule 4: delete the old Machine (it carries our hook); "already gone" is success.</summary>
    private async Task<StepOutcome> DeleteOldMachineAsync(StepRequest request, CancellationToken ct)
    {
        if (await GateAsync(request, ct) is { } blocked) return blocked;
        var old = request.Step.Machine!;
        var deleted = await Api.DeleteAsync(ResourceKind.Machine, _key.Namespace, old, ct);
        return new StepOutcome.Succeeded(deleted ? $"deletion of Machine {old} issued" : $"Machine {old} already gone");
    }

    /// <summary>Waits until Cluster API has drained the old Machine and holds it on our pre-terminate hook (or it is gone).</summary>
    private async Task<StepOutcome> AwaitHeldByHookAsync(StepRequest request, CancellationToken ct)
    {
        var old = request.Step.Machine!;
        var m = await WaitForMachineAsync(old, m => m is null || MachineJson.HeldByPreTerminateHook(m) || (MachineJson.Deleting(m) && !MachineJson.HasUpgradeHook(m)), ct);
        return new StepOutcome.Succeeded(m is null ? $"Machine {old} is gone" : $"Machine {old} drained and held by the pre-terminate hook");
    }

    private async Task<StepOutcome> ReleaseHookAsync(StepRequest request, CancellationToken ct)
    {
        var old = request.Step.Machine!;
        var patched = await Api.MergePatchAsync(ResourceKind.Machine, _key.Namespace, old, AnnotationPatch(CapiConventions.UpgradePreTerminateHook, null), ct);
        return new StepOutcome.Succeeded(patched is null ? $"Machine {old} already gone" : $"pre-terminate hook released on Machine {old}");
    }

    private async Task<StepOutcome> AwaitGoneAsync(StepRequest request, string name, CancellationToken ct)
    {
        await WaitForMachineAsync(name, m => m is null, ct);
        return new StepOutcome.Succeeded($"Machine {name} is gone");
    }

    /// <summary>`retry`: remove the failed replacement's etcd member (if it joined), the Machine and its clones; wait until gone.</summary>
    private async Task<StepOutcome> RemoveFailedReplacementAsync(StepRequest request, CancellationToken ct)
    {
        var oldName = request.Step.Machine!;
        var name = request.Machine?.Replacement ?? ReplacementNameFor(request, oldName);
        var replacement = await Api.GetAsync(ResourceKind.Machine, _key.Namespace, name, ct);
        var template = replacement ?? await Api.GetAsync(ResourceKind.Machine, _key.Namespace, oldName, ct);
        var nodeName = replacement is null ? null : MachineJson.NodeRef(replacement);
        var removedMember = await RemoveMemberIfPresentAsync(nodeName ?? name, ct);
        if (replacement is not null)
            await Api.DeleteAsync(ResourceKind.Machine, _key.Namespace, name, ct);
        if (template is not null)
        {
            await Api.DeleteAsync(ReferencedKind(template, "infrastructureRef"), _key.Namespace, name, ct);
            await Api.DeleteAsync(ReferencedKind(template, "bootstrap.configRef"), _key.Namespace, name, ct);
        }
        await WaitForMachineAsync(name, m => m is null, ct);
        return new StepOutcome.Succeeded($"failed replacement {name} removed" + (removedMember is null ? "" : $", with its etcd member {removedMember}"));
    }

    /// <summary>Waits, by the shared Machine watch, until <paramref name="done"/> holds for the Machine (null = absent).</summary>
    private async Task<JsonObject?> WaitForMachineAsync(string name, Func<JsonObject?, bool> done, CancellationToken ct)
    {
        var updates = Channel.CreateUnbounded<JsonObject?>();
        using var subscription = await _access.Watches.SubscribeAsync(ResourceKind.Machine, _key, e =>
        {
            if (e.Name == name) updates.Writer.TryWrite(e.Type == ResourceEventType.Deleted ? null : e.Object);
        }, ct);
        var current = subscription.Snapshot.FirstOrDefault(m => MachineJson.Name(m) == name);
        if (done(current)) return current;
        await foreach (var update in updates.Reader.ReadAllAsync(ct))
        {
            if (done(update)) return update;
        }
        return current;
    }
}
