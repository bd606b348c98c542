using System.Text.Json.Serialization;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CapiUpgrade.Core.Versions;

/// <summary>
/// A released Kubernetes version (<c>v1.30.2</c>). Parses <c>v1.30.2</c> and <c>1.30.2</c>; refuses anything that
/// is not a release: pre-releases (<c>v1.31.0-rc.1</c>), build metadata (<c>+k3s1</c>), missing parts (<c>v1.30</c>),
/// leading zeros. Ordered by major, minor, patch. Formats with the leading <c>v</c>, as Cluster API writes it.
/// </summary>
[JsonConverter(typeof(KubernetesVersionJsonConverter))]
public readonly record struct KubernetesVersion(int Major, int Minor, int Patch) : IComparable<KubernetesVersion>
{
    /// <summary><c>1.30</c>: the minor this version belongs to.</summary>
    public string MinorString => $"{Major}.{Minor}";

    public override string ToString() => $"v{Major}.{Minor}.{Patch}";

    /// <summary>Without the <c>v</c>: <c>1.30.2</c>.</summary>
    public string ToStringWithoutPrefix() => $"{Major}.{Minor}.{Patch}";

    /// <summary>Same major and minor.</summary>
    public bool IsSameMinor(KubernetesVersion other) => Major == other.Major && Minor == other.Minor;

    /// <summary>How many minors <paramref name="other"/> is ahead of this one (negative when behind); only meaningful within one major.</summary>
    public int MinorsUntil(KubernetesVersion other) => other.Minor - Minor;

    public KubernetesVersion WithPatch(int patch) => this with { Patch = patch };

    public int CompareTo(KubernetesVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c != 0) return c;
        c = Minor.CompareTo(other.Minor);
        return c != 0 ? c : Patch.CompareTo(other.Patch);
    }

    public static bool operator <(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KubernetesVersion a, KubernetesVersion b) => a.CompareTo(b) >= 0;

    public static KubernetesVersion Max(KubernetesVersion a, KubernetesVersion b) => a >= b ? a : b;
    public static KubernetesVersion Min(KubernetesVersion a, KubernetesVersion b) => a <= b ? a : b;

    /// <summary>Parses or throws <see cref="FormatException"/> whose message says what is wrong and what a valid version looks like.</summary>
    public static KubernetesVersion Parse(string? text)
    {
        if (TryParse(text, out var version, out var error)) return version;
        throw new FormatException(error);
    }

    public static bool TryParse(string? text, out KubernetesVersion version) => TryParse(text, out version, out _);

    /// <summary>Parses; on failure <paramref name="error"/> says why, e.g. "v1.31.0-rc.1 is a pre-release".</summary>
    public static bool TryParse(string? text, out KubernetesVersion version, [NotNullWhen(false)] out string? error)
    {
        version = default;
        const string example = "use a released version such as v1.30.2 (or 1.30.2)";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"the Kubernetes version is empty: {example}";
            return false;
        }
        var s = text.Trim();
        var body = s.StartsWith('v') || s.StartsWith('V') ? s[1..] : s;
        var plus = body.IndexOf('+');
        if (plus >= 0)
        {
            error = $"'{s}' carries build metadata ('{body[plus..]}'), which is not a released Kubernetes version: {example}";
            return false;
        }
        var dash = body.IndexOf('-');
        if (dash >= 0)
        {
            error = $"'{s}' is a pre-release ('{body[(dash + 1)..]}'), not a released Kubernetes version: {example}";
            return false;
        }
        var parts = body.Split('.');
        if (parts.Length != 3)
        {
            error = $"'{s}' is not a full version (major.minor.patch): {example}";
            return false;
        }
        var numbers = new int[3];
        for (var i = 0; i < 3; i++)
        {
            var p = parts[i];
            if (p.Length == 0 || !p.All(char.IsAsciiDigit) ||
                !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                error = $"'{s}' has a part that is not a number ('{p}'): {example}";
                return false;
            }
            if (p.Length > 1 && p[0] == '0')
            {
                error = $"'{s}' has a leading zero in '{p}': {example}";
                return false;
            }
        }
        version = new KubernetesVersion(numbers[0], numbers[1], numbers[2]);
        error = null;
        return true;
    }
}
