using k8s;

namespace CapiUpgrade.Kubernetes.Management;

public sealed partial class ManagementClusterAccess
{
    /// <summary>Connects to the management cluster of a kubeconfig file (its current context unless <paramref name="context"/>).</summary>
    public static ManagementClusterAccess FromKubeconfigFile(string path, string name = "default", string? context = null, KubernetesAccessOptions? options = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Kubeconfig '{path}' for management cluster '{name}' does not exist; pass --kubeconfig with an existing file.", path);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        return FromConfiguration(config, name, options);
    }

    /// <summary>Connects to the management cluster of a kubeconfig document (YAML text).</summary>
    public static ManagementClusterAccess FromKubeconfigText(string kubeconfig, string name = "default", string? context = null, KubernetesAccessOptions? options = null)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kubeconfig));
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(stream, context);
        return FromConfiguration(config, name, options);
    }

    /// <summary>Connects with an explicit client configuration (e.g. <c>Host = "http://127.0.0.1:PORT"</c>).</summary>
    public static ManagementClusterAccess FromConfiguration(KubernetesClientConfiguration configuration, string name = "default", KubernetesAccessOptions? options = null)
    {
        options ??= KubernetesAccessOptions.Default;
        var client = CapiUpgrade.Kubernetes.Api.KubernetesClients.Create(configuration, options.RequestTimeout);
        var server = $"management cluster '{name}' ({configuration.Host})";
        var retry = Retries.RetryRunner.ForKubernetes(options.Api);
        var resources = new Api.ResourceClient(client, retry, server);
        var api = new ManagementCluster(name, resources, options.Api);
        // The shared watches get connections of their own, over HTTP/1.1 (one per watch). Over HTTP/2 every request of
        // every upgrade shares one connection with the watch streams, and at 200 clusters in lockstep the engine's
        // Machine watch fell 1,000+ events behind the API server; over its own HTTP/2 connection it fell further
        // behind (one stream's flow-control window); over HTTP/1.1 it keeps up (BENCHMARKS.md, engine).
        var watchClient = CapiUpgrade.Kubernetes.Api.KubernetesClients.Create(configuration, options.RequestTimeout, http11: true);
        var watches = new Watching.SharedWatches(new Api.ResourceClient(watchClient, retry, server), options.Watch);
        var workloads = new Workload.WorkloadClusters(api, options);
        var etcd = new Etcd.EtcdClusters(api, workloads, options);
        return new ManagementClusterAccess(api, watches, workloads, etcd, options, client, watchClient);
    }
}
