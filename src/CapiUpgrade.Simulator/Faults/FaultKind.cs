namespace CapiUpgrade.Simulator.Faults;

/// <summary>The faults the fleet can inject at run time.</summary>
public enum FaultKind
{
    /// <summary>New Machines of the cluster (or the named one) end in phase Failed with a failureReason.</summary>
    ProvisioningFails,
    /// <summary>The Node of the Machine (or of every Machine of the cluster) never becomes / stops being Ready.</summary>
    NodeNeverReady,
    /// <summary>A static pod (`Component`, default kube-apiserver) of the Machine's Node is not Ready.</summary>
    StaticPodNotReady,
    /// <summary>The etcd member (`Member`, default: the Machine's node) is stopped: port refuses, not in quorum.</summary>
    EtcdMemberStopped,
    /// <summary>The etcd member runs but is unhealthy (simulated: health reads time out; real: process frozen with SIGSTOP).</summary>
    EtcdMemberUnhealthy,
    /// <summary>
    /// The etcd member answers every call `LatencyMilliseconds` late (an overloaded member, a slow disk or network):
    /// it keeps its vote and quorum, but a client whose deadline is shorter hears nothing. Simulated etcd only.
    /// </summary>
    EtcdMemberSlow,
    /// <summary>An etcd NOSPACE alarm on the member (Alarm ACTIVATE over gRPC).</summary>
    EtcdAlarmNospace,
    /// <summary>Draining the Node of a deleted Machine never finishes (condition DrainingSucceeded False).</summary>
    DrainNeverFinishes,
    /// <summary>The API server (`Cluster` = "management" or a workload cluster) answers `Code` at `Rate` for `Verb`/`Resource`.</summary>
    ApiErrors,
    /// <summary>The API server adds `Latency` to requests of `Verb`/`Resource`.</summary>
    ApiLatency,
}
