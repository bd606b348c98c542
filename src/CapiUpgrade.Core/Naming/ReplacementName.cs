using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Naming;

/// <summary>
/// Deterministic names for replacement Machines and their infrastructure and bootstrap objects.
/// <para>
/// The seed's form is <c>&lt;base&gt;-&lt;upgradeId&gt;</c>. In a multi-minor chain the intermediate hops add the
/// hop's minor (<c>cp-0-u-1a2b3c4d-1-29</c>, <c>cp-0-u-1a2b3c4d-1-30</c>), and the final hop yields the plain
/// <c>cp-0-u-1a2b3c4d</c>; the base is the old name with any suffix of this same upgrade removed, so names do
/// not grow from hop to hop and do not depend on where a recomputed plan starts counting.
/// </para>
/// <para>
/// The result is always a DNS-1123 subdomain of at most 63 characters (Machine names become Node and host
/// names). When the plain form would be too long or the base holds characters a name cannot, the base is
/// sanitized, truncated, and followed by 8 hex characters of SHA-256 over the full base, so distinct inputs
/// stay distinct.
/// </para>
/// </summary>
public static class ReplacementName
{
    public const int MaxLength = Dns1123.MaxLabelLength;

    /// <summary>The final-hop (or single-hop) name: <c>&lt;base&gt;-&lt;upgradeId&gt;</c>.</summary>
    public static string For(string oldName, string upgradeId) => Build(oldName, upgradeId, upgradeId);

    /// <summary>The name for a hop to <paramref name="hopTarget"/> of an upgrade whose final target is <paramref name="finalTarget"/>.</summary>
    public static string For(string oldName, string upgradeId, KubernetesVersion hopTarget, KubernetesVersion finalTarget) =>
        hopTarget == finalTarget
            ? Build(oldName, upgradeId, upgradeId)
            : Build(oldName, upgradeId, $"{upgradeId}-{hopTarget.Major}-{hopTarget.Minor}");

    /// <summary>True when <paramref name="name"/> is a name this upgrade gives (a replacement of an earlier hop or the final one).</summary>
    public static bool IsReplacementOf(string name, string upgradeId) => StripOwnSuffix(name, upgradeId) != name;

    private static string Build(string oldName, string upgradeId, string suffix)
    {
        if (string.IsNullOrEmpty(oldName)) throw new ArgumentException("the old name is empty", nameof(oldName));
        if (string.IsNullOrEmpty(upgradeId)) throw new ArgumentException("the upgrade id is empty", nameof(upgradeId));
        var safeSuffix = Dns1123.IsLabel(suffix) && suffix.Length <= 40 ? suffix : Dns1123.ShortHash(suffix, 12);
        var baseName = StripOwnSuffix(oldName, upgradeId);
        var plain = $"{baseName}-{safeSuffix}";
        if (plain.Length <= MaxLength && Dns1123.IsSubdomain(plain)) return plain;

        var hash = Dns1123.ShortHash(baseName);
        var room = MaxLength - safeSuffix.Length - hash.Length - 2;
        var sanitized = Dns1123.SanitizeToLabelCharacters(baseName);
        var truncated = sanitized[..Math.Min(sanitized.Length, Math.Max(room, 0))].TrimEnd('-');
        return truncated.Length == 0 ? $"{hash}-{safeSuffix}" : $"{truncated}-{hash}-{safeSuffix}";
    }

    /// <summary>Removes a trailing <c>-&lt;id&gt;</c> or <c>-&lt;id&gt;-&lt;major&gt;-&lt;minor&gt;</c>.</summary>
    private static string StripOwnSuffix(string name, string upgradeId)
    {
        var marker = "-" + upgradeId;
        var at = name.LastIndexOf(marker, StringComparison.Ordinal);
        if (at <= 0) return name;
        var rest = name[(at + marker.Length)..];
        if (rest.Length == 0) return name[..at];
        var parts = rest.Split('-');
        if (parts.Length == 3 && parts[0].Length == 0 && parts[1].All(char.IsAsciiDigit) && parts[2].All(char.IsAsciiDigit)
            && parts[1].Length > 0 && parts[2].Length > 0)
            return name[..at];
        return name;
    }
}
