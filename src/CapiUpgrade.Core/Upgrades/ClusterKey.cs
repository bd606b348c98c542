namespace CapiUpgrade.Core.Upgrades;

/// <summary>
/// Identifies one workload cluster on one management cluster. The entity id is `namespace/name` on the
/// default management cluster and `management/namespace/name` on a named one; the persistence id is
/// `cluster-upgrade/` followed by the entity id.
/// </summary>
public sealed record ClusterKey(string Namespace, string Name, string? Management = null)
{
    public const string DefaultManagement = "default";

    public string EntityId => IsDefaultManagement ? $"{Namespace}/{Name}" : $"{Management}/{Namespace}/{Name}";

    /// <summary>What every cluster's upgrade journal stream is named by: <c>cluster-upgrade/</c> and the entity id.</summary>
    public const string PersistenceIdPrefix = "cluster-upgrade/";

    public string PersistenceId => PersistenceIdPrefix + EntityId;

    public bool IsDefaultManagement => string.IsNullOrEmpty(Management) || Management == DefaultManagement;

    public override string ToString() => EntityId;

    /// <summary>Parses `namespace/name` or `management/namespace/name`.</summary>
    public static ClusterKey Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('/');
        if (parts.Length == 2 && parts.All(p => p.Length > 0))
            return new ClusterKey(parts[0], parts[1]);
        if (parts.Length == 3 && parts.All(p => p.Length > 0))
            return new ClusterKey(parts[1], parts[2], parts[0] == DefaultManagement ? null : parts[0]);
        throw new FormatException($"cluster '{value}' is not NAMESPACE/NAME (or MANAGEMENT/NAMESPACE/NAME); write it as e.g. default/my-cluster");
    }

    public static bool TryParse(string value, out ClusterKey? key)
    {
        try { key = Parse(value); return true; }
        catch (FormatException) { key = null; return false; }
    }
}

/// <summary>Every message and event about one cluster's upgrades carries its key, so a shard extractor can route it.</summary>
public interface IClusterScoped
{
    ClusterKey Cluster { get; }
}
