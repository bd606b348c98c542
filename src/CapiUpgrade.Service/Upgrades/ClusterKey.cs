namespace CapiUpgrade.Service.Upgrades;

/// <summary>
/// A cluster across management clusters: <c>&lt;management&gt;/&lt;namespace&gt;/&lt;name&gt;</c>;
/// <c>NAMESPACE/NAME</c> alone means the <c>default</c> management cluster.
/// </summary>
public readonly record struct ClusterKey(string Management, string Namespace, string Name)
{
    public const string DefaultManagement = "default";

    public override string ToString() => $"{Management}/{Namespace}/{Name}";

    /// <summary>The engine's entity id within one management cluster.</summary>
    public string EntityId => $"{Namespace}/{Name}";

    public static bool TryParse(string text, out ClusterKey key)
    {
        var parts = text.Split('/');
        key = parts.Length switch
        {
            2 when parts.All(p => p.Length > 0) => new ClusterKey(DefaultManagement, parts[0], parts[1]),
            3 when parts.All(p => p.Length > 0) => new ClusterKey(parts[0], parts[1], parts[2]),
            _ => default,
        };
        return key.Name is not null;
    }

    public static ClusterKey Parse(string text) => TryParse(text, out var key) ? key
        : throw new Commands.CommandException($"'{text}' is not a cluster: write NAMESPACE/NAME or MANAGEMENT/NAMESPACE/NAME");
}
