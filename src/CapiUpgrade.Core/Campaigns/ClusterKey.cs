namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// A workload cluster's identity across management clusters. Written <c>namespace/name</c> for the management
/// cluster named <c>default</c> and <c>management/namespace/name</c> otherwise, as the service keys its entities.
/// </summary>
public sealed record ClusterKey(string Management, string Namespace, string Name) : IComparable<ClusterKey>
{
    public const string DefaultManagement = "default";

    public override string ToString() =>
        Management == DefaultManagement ? $"{Namespace}/{Name}" : $"{Management}/{Namespace}/{Name}";

    /// <summary>Parses <c>namespace/name</c> or <c>management/namespace/name</c>.</summary>
    public static ClusterKey Parse(string text)
    {
        if (TryParse(text, out var key)) return key;
        throw new FormatException($"'{text}' is not a cluster key: write namespace/name, or management/namespace/name when several management clusters are served");
    }

    public static bool TryParse(string? text, out ClusterKey key)
    {
        key = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('/');
        if (parts.Any(p => p.Length == 0)) return false;
        switch (parts.Length)
        {
            case 2:
                key = new ClusterKey(DefaultManagement, parts[0], parts[1]);
                return true;
            case 3:
                key = new ClusterKey(parts[0], parts[1], parts[2]);
                return true;
            default:
                return false;
        }
    }

    public int CompareTo(ClusterKey? other) =>
        other is null ? 1 : string.CompareOrdinal(ToString(), other.ToString());
}
