using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Simulator.Controllers;

/// <summary>Tunables of the simulated Machine controller.</summary>
public sealed record MachineControllerOptions
{
    public TimeSpan ProvisionDelay { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Relative jitter of the provision delay (0.2 = ±20 %).</summary>
    public double Jitter { get; init; } = 0.2;
    public int? RandomSeed { get; init; }
    /// <summary>Machines reconciled at once (Cluster API's --machine-concurrency, 10 by default); the rest wait their turn.</summary>
    public int MaxConcurrentReconciles { get; init; } = 10;
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Cluster API's Machine controller with the kubeadm bootstrap and Docker infrastructure providers, as
/// far as the upgrade needs it, acting only through the API servers' HTTP API:
/// one shared watch of Machines across the management cluster; a new Machine goes Pending →
/// Provisioning → Provisioned → Running after a jittered delay (a timer, not a sleep), its Node joins
/// the workload cluster with the version its DockerMachine boots, its static pods appear, and a
/// control-plane join adds its etcd member as a learner, starts it and promotes it. Deletion runs the
/// pre-drain hooks, the drain, the pre-terminate hooks, then deletes infrastructure, bootstrap and Node,
/// stops the etcd member's process (never removes the member) and removes the finalizer.
/// </summary>
public sealed class MachineController : IAsyncDisposable
{
    public const string PreDrainHookPrefix = "pre-drain.delete.hook.machine.cluster.x-k8s.io/";
    public const string PreTerminateHookPrefix = "pre-terminate.delete.hook.machine.cluster.x-k8s.io/";

    private readonly KubeHttpClient _management;
    private readonly WorkloadClients _workloads;
    private readonly Func<string, EtcdCluster?> _etcdOf;
    private readonly FleetFaults _faults;
    private readonly MachineControllerOptions _options;
    private readonly SharedWatch _machines;
    private readonly Random _random;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ITimer> _timers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _due = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    // Keys waiting for a reconcile that has not started yet: like client-go's work queue, a key is queued once
    // however many events arrive for it before its reconcile starts.
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _workers;
    // The Node and static pod readiness last reported for each Running Machine, as a kubelet reports a change and
    // not every status again: a reconcile whose wanted readiness is the one reported reads nothing from the
    // workload API server. Forgotten when a fault changes, so the next reconcile compares with the server again.
    private readonly ConcurrentDictionary<string, string> _reportedReadiness = new(StringComparer.Ordinal);

    public MachineController(KubeHttpClient management, SharedWatch machines, Func<string, EtcdCluster?> etcdOf, FleetFaults faults, MachineControllerOptions? options = null)
    {
        _management = management;
        _machines = machines;
        _workloads = new WorkloadClients(management);
        _etcdOf = etcdOf;
        _faults = faults;
        _options = options ?? new MachineControllerOptions();
        _random = _options.RandomSeed is { } seed ? new Random(seed) : new Random();
        _workers = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentReconciles));
        _machines.Subscribe(change =>
        {
            if (change.Type == "SYNC" && Json.Str(change.Object, "status", "phase") == "Running" && Json.At(change.Object, "metadata", "deletionTimestamp") is null)
                return Task.CompletedTask; // the seeded fleet: nothing to do until something changes
            Enqueue(change.Key);
            return Task.CompletedTask;
        });
        _faults.Changed += (fault, _) =>
        {
            _reportedReadiness.Clear();
            RequeueCluster(fault.Cluster);
        };
    }

    /// <summary>Errors of reconciles (for diagnostics; the controller retries on the next event).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Reconciles every Machine of cluster `namespace/name` again (after a fault changed).</summary>
    public void RequeueCluster(string clusterKey)
    {
        foreach (var (key, machine) in _machines.Cache)
            if ($"{Json.Str(machine, "metadata", "namespace")}/{Json.Str(machine, "spec", "clusterName")}" == clusterKey) Enqueue(key);
    }

    public void Enqueue(string key)
    {
        if (_stop.IsCancellationRequested || !_queued.TryAdd(key, 0)) return;
        var task = Task.Run(() => ReconcileGuardedAsync(key));
        _running[task] = 0;
        task.ContinueWith(done => _running.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ReconcileGuardedAsync(string key)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        try
        {
            await gate.WaitAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            _queued.TryRemove(key, out _);
            return;
        }
        try
        {
            // A worker, as controller-runtime's: events for the key that arrive while it waits coalesce into this reconcile.
            await _workers.WaitAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            _queued.TryRemove(key, out _);
            gate.Release();
            return;
        }
        try
        {
            // From here on, a new event queues the key again: the reconcile below may not see it.
            _queued.TryRemove(key, out _);
            await ReconcileAsync(key, _stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Errors.Enqueue($"{DateTimeOffset.UtcNow:O} machine {key}: {e.Message}");
            while (Errors.Count > 200) Errors.TryDequeue(out _);
            // retry later, as a controller requeues with backoff
            Schedule(key, TimeSpan.FromSeconds(1), markDue: false);
        }
        finally
        {
            _workers.Release();
            gate.Release();
        }
    }

    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        if (!_machines.Cache.TryGetValue(key, out var machine))
        {
            if (_timers.TryRemove(key, out var timer)) timer.Dispose();
            return;
        }
        if (Json.At(machine, "metadata", "deletionTimestamp") is not null)
        {
            await ReconcileDeleteAsync(machine, ct);
            return;
        }
        switch (Json.Str(machine, "status", "phase"))
        {
            case null or "" or "Pending":
                await StartProvisioningAsync(key, machine, ct);
                break;
            case "Provisioning" or "Provisioned":
                if (_due.ContainsKey(key)) await FinishProvisioningAsync(key, machine, ct);
                else if (!_timers.ContainsKey(key)) Schedule(key, JitteredDelay(), markDue: true);
                break;
            case "Running":
                await ReconcileReadinessAsync(machine, ct);
                break;
        }
    }

    // ------------------------------------------------------------------ provisioning

    private async Task StartProvisioningAsync(string key, JsonObject machine, CancellationToken ct)
    {
        var (ns, name, _) = Identity(machine);
        // Adopt bootstrap and infrastructure objects (the Machine becomes their controller owner).
        foreach (var refName in new[] { "bootstrap", "infrastructure" })
        {
            var reference = refName == "bootstrap" ? Json.At(machine, "spec", "bootstrap", "configRef") : Json.At(machine, "spec", "infrastructureRef");
            if (reference is null) continue;
            await AdoptAsync(ns, reference.AsObject(), machine, ct);
        }
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Pending",
                ["bootstrapReady"] = false,
                ["infrastructureReady"] = false,
                ["conditions"] = Conditions(machine,
                    Json.Condition("BootstrapReady", false, "WaitingForDataSecret", severity: "Info"),
                    Json.Condition("InfrastructureReady", false, "WaitingForInfrastructure", severity: "Info"),
                    Json.Condition("Ready", false, "WaitingForInfrastructure", severity: "Info")),
            },
        }, ct);

        // kubeadm bootstrap: data secret + KubeadmConfig ready.
        var configRef = Json.At(machine, "spec", "bootstrap", "configRef");
        if (configRef is not null)
        {
            var configName = Json.Str(configRef, "name")!;
            var configPath = $"{ApiPaths.KubeadmConfigs(ns)}/{configName}";
            var config = await _management.GetAsync(configPath, ct)
                ?? throw new InvalidOperationException($"Machine {ns}/{name}: spec.bootstrap.configRef names KubeadmConfig {configName}, which does not exist; create it.");
            await _management.CreateOrGetAsync(ApiPaths.Secrets(ns),
                ManagementObjects.BootstrapDataSecret(ns, Json.Str(machine, "spec", "clusterName")!, configName, config), ct);
            await _management.MergePatchAsync(configPath + "/status", new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["ready"] = true,
                    ["dataSecretName"] = configName,
                    ["observedGeneration"] = 1,
                    ["conditions"] = Conditions(config, Json.Condition("Ready", true), Json.Condition("DataSecretAvailable", true), Json.Condition("CertificatesAvailable", true)),
                },
            }, ct);
            await _management.MergePatchAsync(ApiPaths.Machine(ns, name), new JsonObject { ["spec"] = new JsonObject { ["bootstrap"] = new JsonObject { ["dataSecretName"] = configName } } }, ct);
        }
        var current = _machines.Cache.TryGetValue(key, out var latest) ? latest : machine;
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Provisioning",
                ["bootstrapReady"] = true,
                ["conditions"] = Conditions(current, Json.Condition("BootstrapReady", true)),
            },
        }, ct);
        Schedule(key, JitteredDelay(), markDue: true);
    }

    private async Task FinishProvisioningAsync(string key, JsonObject machine, CancellationToken ct)
    {
        var (ns, name, cluster) = Identity(machine);
        var clusterKey = ns + "/" + cluster;
        _due.TryRemove(key, out _);

        if (_faults.Find(FaultKind.ProvisioningFails, clusterKey, name) is { } failure)
        {
            var reason = failure.Reason ?? "CreateError";
            var message = $"DockerMachine {ns}/{name} failed to provision: the container could not be created (injected fault {failure.Kind}).";
            await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["phase"] = "Failed",
                    ["failureReason"] = reason,
                    ["failureMessage"] = message,
                    ["conditions"] = Conditions(machine, Json.Condition("InfrastructureReady", false, "ContainerProvisioningFailed", message, "Error"),
                        Json.Condition("Ready", false, "ContainerProvisioningFailed", message, "Error")),
                },
            }, ct);
            return;
        }

        // Infrastructure: the DockerMachine boots its customImage (or the Machine's version).
        var version = Json.Str(machine, "spec", "version") ?? "v1.29.4";
        var providerId = ManagementObjects.ProviderId(name);
        var infraRef = Json.At(machine, "spec", "infrastructureRef");
        if (infraRef is not null)
        {
            var infraPath = $"{ApiPaths.ForReference(Json.Str(infraRef, "apiVersion")!, Json.Str(infraRef, "kind")!, ns)}/{Json.Str(infraRef, "name")}";
            var infra = await _management.GetAsync(infraPath, ct);
            if (infra is not null)
            {
                version = KubernetesVersions.FromNodeImage(Json.Str(infra, "spec", "customImage")) ?? version;
                await _management.MergePatchAsync(infraPath, new JsonObject { ["spec"] = new JsonObject { ["providerID"] = providerId, ["bootstrapped"] = true } }, ct);
                await _management.MergePatchAsync(infraPath + "/status", new JsonObject
                {
                    ["status"] = new JsonObject
                    {
                        ["ready"] = true,
                        ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" }),
                        ["conditions"] = Conditions(infra, Json.Condition("Ready", true), Json.Condition("ContainerProvisioned", true), Json.Condition("BootstrapExecSucceeded", true)),
                    },
                }, ct);
            }
        }
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name), new JsonObject { ["spec"] = new JsonObject { ["providerID"] = providerId } }, ct);
        machine = _machines.Cache.TryGetValue(key, out var m1) ? m1 : machine;
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Provisioned",
                ["infrastructureReady"] = true,
                ["addresses"] = new JsonArray(
                    new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" },
                    new JsonObject { ["type"] = "Hostname", ["address"] = name }),
                ["conditions"] = Conditions(machine, Json.Condition("InfrastructureReady", true),
                    Json.Condition("NodeHealthy", false, "WaitingForNodeRef", severity: "Info")),
            },
        }, ct);

        // The node boots: kubelet registers the Node; a control-plane join runs kubeadm's etcd join.
        var workload = await _workloads.ForAsync(ns, cluster, ct);
        var controlPlane = Json.At(machine, "metadata", "labels", ManagementObjects.ControlPlaneLabel) is not null;
        var node = await workload.CreateOrGetAsync(ApiPaths.Nodes(), WorkloadObjects.Node(name, version, ready: false, controlPlane), ct);
        string? etcdUrl = null;
        if (controlPlane && _etcdOf(clusterKey) is { } etcd)
        {
            if (etcd.Processes.All(p => p.Name != name)) await etcd.JoinAsync(name, ct);
            etcdUrl = etcd.ClientUrlOf(name);
        }
        if (controlPlane)
        {
            var apiPort = new Uri(workload.Server).Port;
            foreach (var component in WorkloadObjects.StaticPodComponents)
            {
                var ready = !StaticPodNotReady(clusterKey, name, component);
                await workload.CreateOrGetAsync(ApiPaths.Pods("kube-system"), WorkloadObjects.StaticPod(component, name, version, etcdUrl, apiPort, ready, node), ct);
                // The API server drops a created pod's status; the kubelet reports it as the container starts
                // (kubeadm's join waits for the control-plane components before the node is done).
                await workload.MergePatchAsync(ApiPaths.StaticPod(component, name) + "/status", new JsonObject { ["status"] = WorkloadObjects.PodStatus(ready) }, ct);
            }
        }
        var nodeReady = !_faults.Has(FaultKind.NodeNeverReady, clusterKey, name);
        await workload.MergePatchAsync($"{ApiPaths.Nodes()}/{name}/status", new JsonObject { ["status"] = WorkloadObjects.NodeStatus(name, version, nodeReady) }, ct);
        _reportedReadiness[key] = WantedReadiness(clusterKey, name);

        machine = _machines.Cache.TryGetValue(key, out var m2) ? m2 : machine;
        var status = ManagementObjects.RunningStatus(name, Json.Str(node, "metadata", "uid")!);
        status["conditions"] = Conditions(machine, Json.Condition("Ready", true), Json.Condition("BootstrapReady", true), Json.Condition("InfrastructureReady", true),
            nodeReady ? Json.Condition("NodeHealthy", true) : Json.Condition("NodeHealthy", false, "NodeConditionsFailed", "Node condition Ready is False", "Warning"));
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject { ["status"] = status }, ct);
    }

    /// <summary>The Node and static pod readiness the active faults want for a Machine, as one comparable string.</summary>
    private string WantedReadiness(string clusterKey, string machine) =>
        (_faults.Has(FaultKind.NodeNeverReady, clusterKey, machine) ? "node-not-ready" : "node-ready")
        + string.Concat(WorkloadObjects.StaticPodComponents.Where(c => StaticPodNotReady(clusterKey, machine, c)).Select(c => " " + c + "-not-ready"));

    private bool StaticPodNotReady(string clusterKey, string machine, string component) =>
        _faults.Find(FaultKind.StaticPodNotReady, clusterKey, machine) is { } f && (f.Component ?? "kube-apiserver") == component;

    /// <summary>Running Machines: Node and static pod readiness follow the active faults.</summary>
    private async Task ReconcileReadinessAsync(JsonObject machine, CancellationToken ct)
    {
        var (ns, name, cluster) = Identity(machine);
        var clusterKey = ns + "/" + cluster;
        var nodeName = Json.Str(machine, "status", "nodeRef", "name");
        if (nodeName is null) return;
        var key = SharedWatch.KeyOf(machine);
        var wanted = WantedReadiness(clusterKey, name);
        if (_reportedReadiness.TryGetValue(key, out var reported) && reported == wanted) return;
        var workload = await _workloads.ForAsync(ns, cluster, ct);
        var node = await workload.GetAsync($"{ApiPaths.Nodes()}/{nodeName}", ct);
        if (node is null) return;
        var wantReady = !_faults.Has(FaultKind.NodeNeverReady, clusterKey, name);
        var isReady = (Json.At(node, "status", "conditions") as JsonArray)?.Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True") == true;
        if (wantReady != isReady)
        {
            var ready = wantReady
                ? Json.CoreCondition("Ready", true, "KubeletReady", "kubelet is posting ready status")
                : Json.CoreCondition("Ready", false, "KubeletNotReady", "container runtime network not ready (injected fault NodeNeverReady)");
            await workload.MergePatchAsync($"{ApiPaths.Nodes()}/{nodeName}/status",
                new JsonObject { ["status"] = new JsonObject { ["conditions"] = Json.WithCondition(Json.At(node, "status", "conditions"), ready) } }, ct);
            await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["conditions"] = Conditions(machine, wantReady ? Json.Condition("NodeHealthy", true)
                        : Json.Condition("NodeHealthy", false, "NodeConditionsFailed", "Node condition Ready is False", "Warning")),
                },
            }, ct);
        }
        if (Json.At(machine, "metadata", "labels", ManagementObjects.ControlPlaneLabel) is null) return;
        foreach (var component in WorkloadObjects.StaticPodComponents)
        {
            var podPath = ApiPaths.StaticPod(component, nodeName);
            var pod = await workload.GetAsync(podPath, ct);
            if (pod is null) continue;
            var want = !StaticPodNotReady(clusterKey, name, component);
            var have = (Json.At(pod, "status", "conditions") as JsonArray)?.Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True") == true;
            if (want != have)
                await workload.MergePatchAsync(podPath + "/status", new JsonObject { ["status"] = WorkloadObjects.PodStatus(want) }, ct);
        }
        _reportedReadiness[key] = wanted;
    }

    // ------------------------------------------------------------------ deletion

    private async Task ReconcileDeleteAsync(JsonObject machine, CancellationToken ct)
    {
        var (ns, name, cluster) = Identity(machine);
        var clusterKey = ns + "/" + cluster;
        var key = ns + "/" + name;
        if (_timers.TryRemove(key, out var timer)) timer.Dispose();
        _reportedReadiness.TryRemove(key, out _);
        _due.TryRemove(key, out _);
        var finalizers = (Json.At(machine, "metadata", "finalizers") as JsonArray)?.Select(f => f?.GetValue<string>()).ToList() ?? [];
        if (!finalizers.Contains(ManagementObjects.MachineFinalizer)) return;

        var annotations = (Json.At(machine, "metadata", "annotations") as JsonObject)?.Select(a => a.Key).ToList() ?? [];
        if (Json.Str(machine, "status", "phase") != "Deleting") await PatchPhaseAsync(machine, "Deleting", ct);

        if (annotations.Any(a => a.StartsWith(PreDrainHookPrefix, StringComparison.Ordinal)))
        {
            await SetConditionAsync(machine, Json.Condition("PreDrainDeleteHookSucceeded", false, "WaitingExternalHook", severity: "Info"), ct);
            return;
        }
        await SetConditionAsync(machine, Json.Condition("PreDrainDeleteHookSucceeded", true), ct);

        var nodeName = Json.Str(machine, "status", "nodeRef", "name");
        KubeHttpClient? workload = null;
        if (nodeName is not null)
        {
            workload = await _workloads.ForAsync(ns, cluster, ct);
            await workload.MergePatchAsync($"{ApiPaths.Nodes()}/{nodeName}", new JsonObject { ["spec"] = new JsonObject { ["unschedulable"] = true } }, ct);
            if (_faults.Has(FaultKind.DrainNeverFinishes, clusterKey, name))
            {
                await SetConditionAsync(machine, Json.Condition("DrainingSucceeded", false, "Draining",
                    $"Drain not completed yet: pod kube-system/blocked-by-pdb on Node {nodeName} cannot be evicted (injected fault DrainNeverFinishes)", "Info"), ct);
                return;
            }
            await SetConditionAsync(machine, Json.Condition("DrainingSucceeded", true), ct);
        }

        if (annotations.Any(a => a.StartsWith(PreTerminateHookPrefix, StringComparison.Ordinal)))
        {
            await SetConditionAsync(machine, Json.Condition("PreTerminateDeleteHookSucceeded", false, "WaitingExternalHook", severity: "Info"), ct);
            return;
        }
        await SetConditionAsync(machine, Json.Condition("PreTerminateDeleteHookSucceeded", true), ct);

        // Infrastructure and bootstrap go; the machine's processes (etcd) stop; the Node goes.
        foreach (var reference in new[] { Json.At(machine, "spec", "infrastructureRef"), Json.At(machine, "spec", "bootstrap", "configRef") })
        {
            if (reference is null) continue;
            await _management.DeleteAsync($"{ApiPaths.ForReference(Json.Str(reference, "apiVersion")!, Json.Str(reference, "kind")!, ns)}/{Json.Str(reference, "name")}", cancellationToken: ct);
        }
        var memberName = nodeName ?? name;
        if (_etcdOf(clusterKey) is { } etcd && etcd.Processes.Any(p => p.Name == memberName && p.IsRunning))
            await etcd.StopMemberAsync(memberName, ct);
        if (nodeName is not null && workload is not null)
        {
            foreach (var component in WorkloadObjects.StaticPodComponents)
                await workload.DeleteAsync(ApiPaths.StaticPod(component, nodeName), cancellationToken: ct);
            await workload.DeleteAsync($"{ApiPaths.Nodes()}/{nodeName}", cancellationToken: ct);
        }

        var latest = _machines.Cache.TryGetValue(key, out var l) ? l : machine;
        var remaining = new JsonArray();
        foreach (var f in (Json.At(latest, "metadata", "finalizers") as JsonArray ?? []).Select(f => f!.GetValue<string>()).Where(f => f != ManagementObjects.MachineFinalizer))
            remaining.Add(f);
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name), new JsonObject
        {
            ["metadata"] = new JsonObject { ["finalizers"] = remaining, ["resourceVersion"] = Json.Str(latest, "metadata", "resourceVersion") },
        }, ct);
    }

    private async Task PatchPhaseAsync(JsonObject machine, string phase, CancellationToken ct)
    {
        var (ns, name, _) = Identity(machine);
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject { ["status"] = new JsonObject { ["phase"] = phase } }, ct);
    }

    /// <summary>Sets a Machine condition when its status or reason changes (no write otherwise: no event storm).</summary>
    private async Task SetConditionAsync(JsonObject machine, JsonObject condition, CancellationToken ct)
    {
        var (ns, name, _) = Identity(machine);
        var key = ns + "/" + name;
        var latest = _machines.Cache.TryGetValue(key, out var l) ? l : machine;
        var type = Json.Str(condition, "type");
        var existing = (Json.At(latest, "status", "conditions") as JsonArray)?.FirstOrDefault(c => Json.Str(c, "type") == type);
        if (existing is not null && Json.Str(existing, "status") == Json.Str(condition, "status") && Json.Str(existing, "reason") == Json.Str(condition, "reason")
            && Json.Str(existing, "message") == Json.Str(condition, "message"))
            return;
        if (existing is null && Json.Str(condition, "status") == "True" && type != "PreTerminateDeleteHookSucceeded")
            return; // CAPI only records these conditions once they have been False
        await _management.MergePatchAsync(ApiPaths.Machine(ns, name) + "/status", new JsonObject
        {
            ["status"] = new JsonObject { ["conditions"] = Conditions(latest, condition) },
        }, ct);
    }

    private static JsonArray Conditions(JsonObject obj, params JsonObject[] conditions)
    {
        JsonNode? current = Json.At(obj, "status", "conditions");
        JsonArray result = current?.DeepClone().AsArray() ?? [];
        foreach (var c in conditions) result = Json.WithCondition(result, c);
        return result;
    }

    private async Task AdoptAsync(string ns, JsonObject reference, JsonObject machine, CancellationToken ct)
    {
        var path = $"{ApiPaths.ForReference(Json.Str(reference, "apiVersion")!, Json.Str(reference, "kind")!, ns)}/{Json.Str(reference, "name")}";
        var obj = await _management.GetAsync(path, ct);
        if (obj is null) return;
        var uid = Json.Str(machine, "metadata", "uid");
        var refs = Json.At(obj, "metadata", "ownerReferences") as JsonArray;
        if (refs?.Any(r => Json.Str(r, "uid") == uid) == true) return;
        var updated = new JsonArray();
        foreach (var r in refs ?? [])
            if (r is not null && Json.At(r, "controller")?.GetValue<bool>() != true) updated.Add(r.DeepClone());
        updated.Add(Json.OwnerReference(machine, controller: true));
        var labels = new JsonObject { [ManagementObjects.ClusterNameLabel] = Json.Str(machine, "spec", "clusterName") };
        await _management.MergePatchAsync(path, new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = updated, ["labels"] = labels } }, ct);
    }

    private static (string Namespace, string Name, string Cluster) Identity(JsonObject machine) =>
        (Json.Str(machine, "metadata", "namespace")!, Json.Str(machine, "metadata", "name")!,
         Json.Str(machine, "spec", "clusterName") ?? Json.Str(machine, "metadata", "labels", ManagementObjects.ClusterNameLabel) ?? "");

    private TimeSpan JitteredDelay()
    {
        double factor;
        lock (_random) factor = 1 + _options.Jitter * (2 * _random.NextDouble() - 1);
        return TimeSpan.FromMilliseconds(Math.Max(0, _options.ProvisionDelay.TotalMilliseconds * factor));
    }

    private void Schedule(string key, TimeSpan delay, bool markDue)
    {
        if (_stop.IsCancellationRequested) return;
        ITimer? timer = null;
        timer = _options.Time.CreateTimer(_ =>
        {
            _timers.TryRemove(new KeyValuePair<string, ITimer>(key, timer!));
            timer?.Dispose();
            if (markDue) _due[key] = 0;
            Enqueue(key);
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_timers.TryRemove(key, out var previous)) previous.Dispose();
        _timers[key] = timer;
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var t in _timers.Values) t.Dispose();
        _timers.Clear();
        try { await Task.WhenAll(_running.Keys.ToArray()).WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        _workloads.Dispose();
    }
}
