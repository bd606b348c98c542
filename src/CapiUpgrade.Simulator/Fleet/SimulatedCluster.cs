using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>One workload cluster of the fleet: its certificates, API server, etcd and initial Machines.</summary>
public sealed class SimulatedCluster
{
    internal SimulatedCluster(string ns, string name, string version, ClusterCertificates certificates, KubeApiServer apiServer, string kubeconfig,
        EtcdCluster etcd, IReadOnlyList<string> initialMachines)
    {
        Namespace = ns;
        Name = name;
        Version = version;
        Certificates = certificates;
        ApiServer = apiServer;
        Kubeconfig = kubeconfig;
        Etcd = etcd;
        InitialMachines = initialMachines;
    }

    public string Namespace { get; }
    public string Name { get; }
    /// <summary>`namespace/name`.</summary>
    public string Key => $"{Namespace}/{Name}";
    /// <summary>The Kubernetes version the cluster was created at.</summary>
    public string Version { get; }
    public ClusterCertificates Certificates { get; }
    /// <summary>The workload API server (TLS by `&lt;cluster&gt;-ca`, client certificate required).</summary>
    public KubeApiServer ApiServer { get; }
    public string ApiServerUrl => ApiServer.Url;
    /// <summary>The admin kubeconfig, as stored in `&lt;cluster&gt;-kubeconfig` (key `value`).</summary>
    public string Kubeconfig { get; }
    public EtcdCluster Etcd { get; }
    /// <summary>Names of the control-plane Machines created with the cluster (= Node names = etcd member names).</summary>
    public IReadOnlyList<string> InitialMachines { get; }

    public override string ToString() => Key;
}
