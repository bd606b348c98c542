using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Cloning;

/// <summary>
/// Re-points a container image reference whose tag is a Kubernetes version (<c>kindest/node:v1.29.4</c>) to
/// another version (<c>kindest/node:v1.30.2</c>), keeping the repository and the tag's <c>v</c> style.
/// Refuses digests (<c>@sha256:…</c>) and tags that merely contain a version (<c>v1.29.4-custom</c>): the
/// right image for the target cannot be known, the operator must say it.
/// </summary>
public static class ContainerImage
{
    public enum RepointOutcome
    {
        /// <summary>The tag was a version and now names the target.</summary>
        Repointed,
        /// <summary>The tag already names the target.</summary>
        AlreadyTarget,
        /// <summary>The image names no version at all (e.g. no tag): nothing to re-point.</summary>
        NoVersion,
        /// <summary>It names a version in a way that cannot be rewritten safely.</summary>
        CannotRepoint,
    }

    public static (RepointOutcome Outcome, string Image, string? Reason) Repoint(string image, KubernetesVersion target)
    {
        if (image.Contains('@'))
            return (RepointOutcome.CannotRepoint, image, "it is pinned by digest, which names one exact image");
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (colon <= slash)
        {
            return VersionPins.PinnedVersionIn(image, target) is { } named
                ? (RepointOutcome.CannotRepoint, image, $"its name contains {named} but it has no version tag")
                : (RepointOutcome.NoVersion, image, null);
        }
        var repository = image[..colon];
        var tag = image[(colon + 1)..];
        if (KubernetesVersion.TryParse(tag, out var tagged))
        {
            if (tagged == target) return (RepointOutcome.AlreadyTarget, image, null);
            var newTag = tag.StartsWith('v') ? target.ToString() : target.ToStringWithoutPrefix();
            return (RepointOutcome.Repointed, $"{repository}:{newTag}", null);
        }
        return VersionPins.PinnedVersionIn(image, target) is { } pinned
            ? (RepointOutcome.CannotRepoint, image, $"its tag '{tag}' contains {pinned} but is not a plain version tag")
            : (RepointOutcome.NoVersion, image, null);
    }
}
