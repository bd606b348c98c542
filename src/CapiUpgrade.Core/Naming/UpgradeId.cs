using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Naming;

/// <summary>
/// Upgrade ids: short, stable, DNS-safe. When the operator gives none, the id is derived from the cluster and
/// the target (<c>u-</c> + 8 hex characters of SHA-256 over <c>namespace/name@vX.Y.Z</c>), so rerunning the
/// same command resumes the same upgrade. The id ends every replacement Machine's name and is the value of
/// the Cluster's claim annotation.
/// </summary>
public static class UpgradeId
{
    public const int MaxLength = 32;

    /// <summary>
    /// <c>u-1a2b3c4d</c>. <paramref name="management"/> names the management cluster when the service serves several;
    /// null or <c>default</c> leaves it out, so the one-shot <c>run</c> and a single-management service agree.
    /// </summary>
    public static string Derive(string @namespace, string name, KubernetesVersion target, string? management = null)
    {
        var key = management is null or "default" ? $"{@namespace}/{name}" : $"{management}/{@namespace}/{name}";
        return "u-" + Dns1123.ShortHash($"{key}@{target}");
    }

    /// <summary>Checks an operator-supplied id: a DNS-1123 label of at most 32 characters. Null when valid.</summary>
    public static Finding? Validate(string? id)
    {
        if (id is not null && id.Length <= MaxLength && Dns1123.IsLabel(id)) return null;
        return Finding.Error("InvalidUpgradeId", "the upgrade", "--upgrade-id",
            $"'{id}' is not a valid upgrade id: it must be lowercase letters, digits and '-', start and end with a letter or digit, at most {MaxLength} characters",
            "pass an id like 'u-2024-06-cp' or leave --upgrade-id out to derive one from the cluster and target");
    }
}
