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
/// A full version (<c>1.29.4</c> or <c>v1.29.4</c>, major 1) counts when it differs from the target; a
/// <c>v1.29</c>-style minor counts when its minor differs.
/// </summary>
public static partial class VersionPins
{
    [GeneratedRegex(@"(?<![0-9A-Za-z.])v?(?<major>1)\.(?<minor>[0-9]+)\.(?<patch>[0-9]+)(?![0-9]|\.[0-9])")]
    private static partial Regex FullVersionRegex();

    [GeneratedRegex(@"(?<![0-9A-Za-z.])v(?<major>1)\.(?<minor>[0-9]+)(?![0-9]|\.[0-9])")]
    private static partial Regex MinorVersionRegex();

    /// <summary>The pins under <paramref name="root"/>, skipping paths under any of <paramref name="ignored"/>.</summary>
    public static IReadOnlyList<VersionPin> Find(JsonNode? root, JsonPointer at, KubernetesVersion target, IReadOnlyCollection<JsonPointer>? ignored = null)
    {
        var result = new List<VersionPin>();
        Walk(root, at, target, ignored ?? [], result);
        return result;
    }

    /// <summary>The version named by a single string, if any that is not the target.</summary>
    public static string? PinnedVersionIn(string value, KubernetesVersion target)
    {
        foreach (Match m in FullVersionRegex().Matches(value))
        {
            var v = new KubernetesVersion(1, int.Parse(m.Groups["minor"].Value), int.Parse(m.Groups["patch"].Value));
            if (v != target) return m.Value;
        }
        foreach (Match m in MinorVersionRegex().Matches(value))
        {
            if (int.Parse(m.Groups["minor"].Value) != target.Minor) return m.Value;
        }
        return null;
    }

    private static void Walk(JsonNode? node, JsonPointer at, KubernetesVersion target, IReadOnlyCollection<JsonPointer> ignored, List<VersionPin> result)
    {
        if (ignored.Any(p => p.IsPrefixOf(at))) return;
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Walk(v, at.Append(k), target, ignored, result);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++) Walk(a[i], at.Append(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), target, ignored, result);
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (PinnedVersionIn(s, target) is { } pinned) result.Add(new VersionPin(at, s, pinned));
                break;
        }
    }
}
