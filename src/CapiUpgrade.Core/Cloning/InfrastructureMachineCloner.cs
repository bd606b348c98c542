using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Cloning;

/// <summary>
/// Clones a Machine's infrastructure object (DockerMachine, AWSMachine, …) for its replacement (seed step 8,
/// DESIGN §4 rule 12):
/// <list type="number">
/// <item>copy with the new name, without server-set metadata, ownerReferences, status and <c>spec.providerID</c>
///   (and DockerMachine's <c>spec.bootstrapped</c>, which would make CAPD skip bootstrapping);</item>
/// <item>re-point known image fields (DockerMachine <c>spec.customImage</c> <c>kindest/node:v1.29.4</c> →
///   <c>kindest/node:v1.30.2</c>);</item>
/// <item>apply the operator's <c>--infra-patch</c>, which wins over step 2;</item>
/// <item>refuse (an Error finding naming the field) when a known image field cannot be re-pointed, or any string
///   under <c>spec</c> still looks pinned to another version — unless the operator's patch wrote that field.</item>
/// </list>
/// </summary>
public static class InfrastructureMachineCloner
{
    /// <summary>Image fields this cloner knows how to re-point, by kind.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string[]>> KnownImageFields =
        new Dictionary<string, IReadOnlyList<string[]>>
        {
            ["DockerMachine"] = [["spec", "customImage"]],
        };

    /// <summary>Spec fields dropped from the clone, by kind, besides <c>spec.providerID</c>.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> DroppedSpecFields =
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["DockerMachine"] = ["bootstrapped"],
        };

    /// <param name="from">The old Machine's version, when known: an unprefixed <c>1.29.4</c> anywhere under spec then counts as a pin.</param>
    public static CloneResult Clone(
        JsonObject source,
        string newName,
        KubernetesVersion target,
        string? replacementFor = null,
        OperatorPatch? patch = null,
        KubernetesVersion? from = null)
    {
        var kind = source.GetString("kind") ?? "";
        var clone = CloneMetadata.CopyForClone(source, newName, replacementFor ?? source.GetString("metadata", "name"));
        var spec = clone["spec"] as JsonObject;
        spec?.Remove("providerID");
        if (spec is not null && DroppedSpecFields.TryGetValue(kind, out var dropped))
            foreach (var f in dropped) spec.Remove(f);

        var findings = new List<Finding>();
        var described = $"{clone.Describe()} (clone of {source.Describe()})";
        var fix = $"pass --infra-patch FILE that sets it for {target}";

        var imageFieldProblems = new List<(JsonPointer Path, Finding Finding)>();
        if (KnownImageFields.TryGetValue(kind, out var imageFields))
        {
            foreach (var segments in imageFields)
            {
                if (clone.GetString(segments) is not { Length: > 0 } image) continue;
                var path = JsonPointer.FromSegments(segments);
                var (outcome, repointed, reason) = ContainerImage.Repoint(image, target);
                switch (outcome)
                {
                    case ContainerImage.RepointOutcome.Repointed:
                        clone.Set(segments, repointed);
                        findings.Add(Finding.Info("InfraImageRepointed", described, path.ToDotted(),
                            $"re-pointed {image} to {repointed}"));
                        break;
                    case ContainerImage.RepointOutcome.AlreadyTarget:
                        break;
                    case ContainerImage.RepointOutcome.NoVersion:
                        imageFieldProblems.Add((path, Finding.Error("InfraImageUnknownVersion", described, path.ToDotted(),
                            $"'{image}' names no Kubernetes version, so it cannot be told whether the replacement would boot {target}",
                            $"{fix}, e.g. [{{\"op\":\"replace\",\"path\":\"{path}\",\"value\":\"<image with {target}>\"}}]")));
                        break;
                    default:
                        imageFieldProblems.Add((path, Finding.Error("InfraImagePinned", described, path.ToDotted(),
                            $"'{image}' cannot be re-pointed to {target}: {reason}",
                            $"{fix}, e.g. [{{\"op\":\"replace\",\"path\":\"{path}\",\"value\":\"<image with {target}>\"}}]")));
                        break;
                }
            }
        }

        var touched = patch?.TouchedPaths() ?? [];
        if (patch is not null)
        {
            clone = patch.Apply(clone);
            findings.Add(Finding.Info("InfraPatchApplied", described, null, $"applied {patch.Source}"));
        }

        foreach (var (path, finding) in imageFieldProblems)
        {
            if (!touched.Any(t => t.IsPrefixOf(path))) findings.Add(finding);
        }
        var reported = imageFieldProblems.Select(p => p.Path).ToHashSet();
        foreach (var pin in VersionPins.Find(clone["spec"], JsonPointer.FromSegments("spec"), target, touched, from))
        {
            if (reported.Contains(pin.Path)) continue;
            findings.Add(Finding.Error("InfraVersionPinned", described, pin.Path.ToDotted(),
                $"'{pin.Value}' looks pinned to Kubernetes {pin.VersionText}, so the replacement may not boot {target}",
                $"{fix}, e.g. [{{\"op\":\"replace\",\"path\":\"{pin.Path}\",\"value\":\"<value for {target}>\"}}]; a field the patch writes is trusted as is"));
        }
        return new CloneResult(clone, findings);
    }
}
