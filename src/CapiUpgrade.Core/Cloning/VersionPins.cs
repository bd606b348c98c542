using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Cloning;

/// <summary>One string field that names a Kubernetes version other than the target.</summary>
public sealed record VersionPin(JsonPointer Path, string Value, string VersionText);

/// <summary>
/// Finds strings that look pinned to a Kubernetes version (<c>kindest/node:v1.29.4</c>,
/// <c>ubuntu-2204-kube-v1.29.4</c>, <c>capi-v1.29</c>) under an object's <c>spec</c>, for DESIGN §4 rule 12:
/// a replacement must boot the target, so a clone that still names another version is refused.
/// <para>What counts, to keep unrelated software versions (<c>nginx:1.25.3</c>, <c>cilium:v1.15.1</c>) out:</para>
/// <list type="bullet">
/// <item>only major 1 and a minor within 8 below to 3 above the target's (a plausible Kubernetes version);</item>
/// <item><c>v1.29.4</c> or <c>v1.29</c> (with the <c>v</c>, as Kubernetes tags and image names write it) when it
///   differs from the target;</item>
/// <item><c>1.29.4</c> without the <c>v</c> only when it is the old version (when known) or the string mentions
///   kube, k8s or kindest.</item>
/// </list>
/// </summary>
public static partial class VersionPins
{
    [GeneratedRegex(@"(?<![0-9A-Za-z.])(?<v>v?)(?<major>1)\.(?<minor>[0-9]+)\.(?<patch>[0-9]+)(?![0-9]|\.[0-9])")]
    private static partial Regex FullVersionRegex();

    [GeneratedRegex(@"(?<![0-9A-Za-z.])v(?<major>1)\.(?<minor>[0-9]+)(?![0-9]|\.[0-9])")]
    private static partial Regex MinorVersionRegex();

    [GeneratedRegex("kube|k8s|kindest", RegexOptions.IgnoreCase)]
    private static partial Regex KubernetesHintRegex();

    /// <summary>The pins under <paramref name="root"/>, skipping paths under any of <paramref name="ignored"/>.</summary>
    public static IReadOnlyList<VersionPin> Find(JsonNode? root, JsonPointer at, KubernetesVersion target,
        IReadOnlyCollection<JsonPointer>? ignored = null, KubernetesVersion? from = null)
    {
        var result = new List<VersionPin>();
        Walk(root, at, target, from, ignored ?? [], result);
        return result;
    }

    /// <summary>The version named by a single string, if any that is not the target.</summary>
    public static string? PinnedVersionIn(string value, KubernetesVersion target, KubernetesVersion? from = null)
    {
        bool Plausible(int minor) => minor >= target.Minor - 8 && minor <= target.Minor + 3;
        foreach (Match m in FullVersionRegex().Matches(value))
        {
            if (!int.TryParse(m.Groups["minor"].Value, out var minor) || !int.TryParse(m.Groups["patch"].Value, out var patch)) continue;
            var v = new KubernetesVersion(1, minor, patch);
            if (v == target || !Plausible(minor)) continue;
            if (m.Groups["v"].Length > 0 || v == from || KubernetesHintRegex().IsMatch(value)) return m.Value;
        }
        foreach (Match m in MinorVersionRegex().Matches(value))
        {
            if (int.TryParse(m.Groups["minor"].Value, out var minor) && minor != target.Minor && Plausible(minor)) return m.Value;
        }
        return null;
    }

    private static void Walk(JsonNode? node, JsonPointer at, KubernetesVersion target, KubernetesVersion? from,
        IReadOnlyCollection<JsonPointer> ignored, List<VersionPin> result)
    {
        if (ignored.Any(p => p.IsPrefixOf(at))) return;
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Walk(v, at.Append(k), target, from, ignored, result);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Walk(a[i], at.Append(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), target, from, ignored, result);
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (PinnedVersionIn(s, target, from) is { } pinned) result.Add(new VersionPin(at, s, pinned));
                break;
        }
    }
}
