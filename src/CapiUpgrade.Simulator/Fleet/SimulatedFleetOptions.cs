using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>Which etcd a fleet runs.</summary>
public enum FleetEtcd
{
    /// <summary>Real etcd when the `etcd` binary is on PATH and the fleet has at most 10 clusters; simulated otherwise.</summary>
    Auto,
    Real,
    Simulated,
}

/// <summary>How to build a simulated fleet (`capi-upgrade sim serve` options).</summary>
public sealed record SimulatedFleetOptions
{
    public int Clusters { get; init; } = 1;
    public int ControlPlaneReplicas { get; init; } = 3;
    public string Version { get; init; } = "v1.29.4";
    public FleetEtcd Etcd { get; init; } = FleetEtcd.Auto;
    public TimeSpan ProvisionDelay { get; init; } = TimeSpan.FromSeconds(2);
    public double Jitter { get; init; } = 0.2;
    public int? RandomSeed { get; init; }
    /// <summary>Namespaces the clusters are spread over (round robin); 0 = min(4, clusters).</summary>
    public int Namespaces { get; init; }
    public string NamespacePrefix { get; init; } = "fleet";
    public string ClusterPrefix { get; init; } = "cluster";
    /// <summary>Management API server port on 127.0.0.1 (0 = any).</summary>
    public int ManagementPort { get; init; }
    /// <summary>Schema validation of the management API server (e.g. the API server's CRD validator over ../shared/capi-crds/v1.10.10); null = none.</summary>
    public CapiUpgrade.Simulator.ApiServer.Storage.IObjectValidator? ManagementValidator { get; init; }
    /// <summary>Folder of CRD YAMLs (e.g. ../shared/capi-crds/v1.10.10): the fleet's own management server validates CAPI objects against them.</summary>
    public string? CrdDirectory { get; init; }
    /// <summary>With <see cref="CrdDirectory"/>: writes to the management server that name no fieldValidation are validated Strict (unknown fields rejected, not pruned).</summary>
    public bool StrictFieldValidation { get; init; }
    /// <summary>Port of the admin endpoint (faults, dump, observer) on 127.0.0.1 (0 = any; -1 = none).</summary>
    public int AdminPort { get; init; }
    /// <summary>Where RSA keys come from; null = <see cref="RsaKeySource.Shared"/> (4 keys per process, every certificate distinct); RsaKeySource.Fresh for a new key per certificate.</summary>
    public RsaKeySource? Keys { get; init; }
    /// <summary>Clusters whose API servers and etcd ports share one Kestrel host.</summary>
    public int BatchSize { get; init; } = 250;
    /// <summary>Control-plane Machines allowed at any instant by the observer; 0 = replicas + 1.</summary>
    public int MaxControlPlaneMachines { get; init; }
    public TimeSpan ObserverPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>How long a simulated learner takes to catch up before it can be promoted.</summary>
    public TimeSpan LearnerCatchUp { get; init; } = TimeSpan.FromMilliseconds(300);
}
