namespace CapiUpgrade.Kubernetes.Management;

/// <summary>
/// Identifies one CAPI-managed (workload) cluster on a management cluster: the Cluster object's
/// namespace and name. Watch subscriptions, workload access and etcd access are keyed by it.
/// </summary>
public sealed record ClusterKey(string Namespace, string Name)
{
    /// <summary>Parses <c>namespace/name</c>.</summary>
    public static ClusterKey Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
            throw new FormatException($"Cluster key '{text}' must be NAMESPACE/NAME, e.g. 'default/prod-1'.");
        return new ClusterKey(text[..slash], text[(slash + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Name}";
}
