using System.Collections.Concurrent;

namespace CapiUpgrade.Kubernetes.Management;

/// <summary>
/// Named management clusters ("default" when there is one). The engine resolves a cluster's management
/// cluster by name; each has one <see cref="ManagementClusterAccess"/> (so one set of shared watches).
/// </summary>
public sealed class ManagementClusterRegistry : IAsyncDisposable
{
    /// <summary>The name used when there is a single management cluster.</summary>
    public const string DefaultName = "default";

    private readonly ConcurrentDictionary<string, ManagementClusterAccess> _clusters = new(StringComparer.Ordinal);

    /// <summary>Registers a management cluster under its <see cref="ManagementClusterAccess.Name"/>; refuses a duplicate name.</summary>
    public void Add(ManagementClusterAccess access)
    {
        if (!_clusters.TryAdd(access.Name, access))
            throw new InvalidOperationException($"A management cluster named '{access.Name}' is already registered; give each kubeconfig a distinct name.");
    }

    /// <summary>The management cluster named <paramref name="name"/>; throws naming the known ones when absent.</summary>
    public ManagementClusterAccess Get(string name = DefaultName) =>
        _clusters.TryGetValue(name, out var access)
            ? access
            : throw new KeyNotFoundException($"No management cluster named '{name}' is configured (known: {string.Join(", ", _clusters.Keys.Order())}); add it to the configuration.");

    /// <summary>Names of the registered management clusters.</summary>
    public IReadOnlyCollection<string> Names => _clusters.Keys.ToList();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var access in _clusters.Values)
            await access.DisposeAsync();
        _clusters.Clear();
    }
}
