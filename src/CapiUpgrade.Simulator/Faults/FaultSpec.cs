using System.Text.Json.Serialization;

namespace CapiUpgrade.Simulator.Faults;

/// <summary>
/// One fault: its kind and target. `Cluster` is `namespace/name` of a workload cluster (or "management"
/// for API faults on the management server); `Machine` narrows it to one Machine; `Member` names an etcd
/// member (defaults to the Machine's node name).
/// </summary>
public sealed record FaultSpec
{
    [JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
    public FaultKind Kind { get; init; }
    public string Cluster { get; init; } = "";
    public string? Machine { get; init; }
    public string? Member { get; init; }
    /// <summary>StaticPodNotReady: etcd, kube-apiserver, kube-controller-manager or kube-scheduler.</summary>
    public string? Component { get; init; }
    /// <summary>ProvisioningFails: the failureReason (default CreateError).</summary>
    public string? Reason { get; init; }
    /// <summary>ApiErrors: fraction of matching requests that fail (0..1).</summary>
    public double Rate { get; init; } = 1.0;
    /// <summary>ApiErrors: HTTP status (500, 429, 409...).</summary>
    public int Code { get; init; } = 500;
    /// <summary>ApiLatency, EtcdMemberSlow: added latency in milliseconds.</summary>
    public int LatencyMilliseconds { get; init; }
    /// <summary>API faults: verb (get, list, watch, create, update, patch, delete) or null for all.</summary>
    public string? Verb { get; init; }
    /// <summary>API faults: resource plural (machines, nodes...) or null for all.</summary>
    public string? Resource { get; init; }

    public const string Management = "management";

    /// <summary>Whether this fault applies to <paramref name="machine"/> of <paramref name="cluster"/>.</summary>
    public bool AppliesTo(string cluster, string? machine) =>
        string.Equals(Cluster, cluster, StringComparison.Ordinal) && (Machine is null || machine is null || Machine == machine);

    public override string ToString() =>
        $"{Kind} on {Cluster}{(Machine is null ? "" : "/" + Machine)}{(Member is null ? "" : " member " + Member)}{(Component is null ? "" : " " + Component)}";
}
