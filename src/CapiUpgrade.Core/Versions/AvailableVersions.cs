namespace CapiUpgrade.Core.Versions;

/// <summary>
/// How the intermediate hops of a multi-minor upgrade choose their patch version.
/// <para>
/// A chain v1.28.x → v1.31.y passes through v1.29 and v1.30. For each intermediate minor the planner takes the
/// highest patch the operator listed as available (e.g. <c>--versions v1.29.10,v1.30.6</c>, or the versions
/// the infrastructure provider has images for); when the operator listed none for that minor it falls back to
/// <c>vX.Y.0</c>, which every release line has, and says so in an Info finding. The final hop always goes to
/// the exact target the operator asked for.
/// </para>
/// </summary>
public sealed class AvailableVersions
{
    private readonly Dictionary<(int Major, int Minor), KubernetesVersion> _highestPerMinor = new();

    public static AvailableVersions None { get; } = new([]);

    public AvailableVersions(IEnumerable<KubernetesVersion> versions)
    {
        foreach (var v in versions)
        {
            var key = (v.Major, v.Minor);
            if (!_highestPerMinor.TryGetValue(key, out var existing) || v > existing)
                _highestPerMinor[key] = v;
        }
    }

    /// <summary>Parses a comma/space separated list (<c>v1.29.10, 1.30.6</c>); throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static AvailableVersions Parse(string? list) =>
        string.IsNullOrWhiteSpace(list)
            ? None
            : new AvailableVersions(list.Split([',', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)
                .Select(KubernetesVersion.Parse));

    public IReadOnlyCollection<KubernetesVersion> All => _highestPerMinor.Values;

    /// <summary>The version to use for an intermediate hop into minor <paramref name="major"/>.<paramref name="minor"/>, and whether it was listed (false: the <c>.0</c> default).</summary>
    public (KubernetesVersion Version, bool Listed) ForMinor(int major, int minor) =>
        _highestPerMinor.TryGetValue((major, minor), out var v) ? (v, true) : (new KubernetesVersion(major, minor, 0), false);
}
