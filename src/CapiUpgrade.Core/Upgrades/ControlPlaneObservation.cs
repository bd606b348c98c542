namespace CapiUpgrade.Core.Upgrades;

/// <summary>One control-plane Machine as observed on the management cluster (and its Node in the workload cluster).</summary>
/// <param name="Name">Machine name.</param>
/// <param name="Version">spec.version, e.g. v1.29.4.</param>
/// <param name="NodeName">status.nodeRef.name (or the Node found by providerID); null when it has none yet.</param>
/// <param name="NodeReady">The Node's Ready condition is True (and its static pods are Ready).</param>
/// <param name="Deleting">metadata.deletionTimestamp is set.</param>
/// <param name="HasUpgradeHook">Carries our pre-terminate hook annotation.</param>
/// <param name="ReplacementFor">The old Machine this one replaces (annotation written by the engine); null for others.</param>
/// <param name="IsInitMachine">Its KubeadmConfig is the init config, controller owner of the certificate secrets.</param>
public sealed record ObservedMachine(
    string Name,
    string Version,
    string? NodeName,
    bool NodeReady,
    bool Deleting = false,
    bool HasUpgradeHook = false,
    string? ReplacementFor = null,
    bool IsInitMachine = false);

/// <summary>One etcd member as observed over the etcd API.</summary>
/// <param name="TimedOut">Unhealthy only because it did not answer in time (not because it reported a problem).</param>
public sealed record ObservedEtcdMember(ulong Id, string Name, bool IsLearner, bool Healthy, bool IsLeader = false, string? Error = null, bool TimedOut = false);

/// <summary>What the engine saw of one cluster's control plane at one instant.</summary>
/// <param name="Machines">Control-plane Machines of the cluster.</param>
/// <param name="NodeNames">Names of the workload cluster's control-plane Nodes.</param>
/// <param name="Members">etcd members.</param>
/// <param name="Alarms">Active etcd alarms, as text (e.g. "NOSPACE on member m1").</param>
/// <param name="ClaimHolder">Value of the Cluster's `capi-upgrade.io/upgrade-id` annotation, if any.</param>
public sealed record ControlPlaneObservation(
    IReadOnlyList<ObservedMachine> Machines,
    IReadOnlyList<string> NodeNames,
    IReadOnlyList<ObservedEtcdMember> Members,
    IReadOnlyList<string> Alarms,
    string? ClaimHolder = null);

/// <summary>
/// The outcome of the read-only preflight step: the observation, the hop chain (computed by the version
/// rules of CapiUpgrade.Core from the observed control-plane version) and refusals found by those rules.
/// </summary>
public sealed record PreflightReport(
    ControlPlaneObservation Observation,
    string FromVersion,
    IReadOnlyList<string> Hops,
    IReadOnlyList<string> Refusals);
