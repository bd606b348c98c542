using CapiUpgrade.Service.Hosting;
using k8s;

namespace CapiUpgrade.Service.Fleet;

/// <summary>One KubernetesClient per management cluster given with --kubeconfig, by name.</summary>
public sealed class ManagementClients : IDisposable
{
    private readonly Dictionary<string, k8s.Kubernetes> _clients = new(StringComparer.Ordinal);

    public ManagementClients(ServiceOptions options)
    {
        foreach (var m in options.ManagementClusters)
            _clients[m.Name] = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(m.KubeconfigFile));
    }

    public IReadOnlyCollection<string> Names => _clients.Keys;

    public IEnumerable<(string Name, k8s.Kubernetes Client)> All => _clients.Select(kv => (kv.Key, kv.Value));

    public void Dispose()
    {
        foreach (var c in _clients.Values) c.Dispose();
    }
}
