using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Cloning;

/// <summary>
/// Builds the replacement control-plane Machine from the old one (seed step 8): new name; new
/// <c>spec.bootstrap.configRef.name</c> and <c>spec.infrastructureRef.name</c> (uid and resourceVersion of the refs
/// dropped); no <c>spec.providerID</c>, no <c>spec.bootstrap.dataSecretName</c>, no status; <c>spec.version</c> =
/// target; labels and annotations kept except this product's own and its hook; annotated with
/// <c>capi-upgrade.io/replacement-for</c> (old Machine name) and <c>capi-upgrade.io/upgrade-id</c>.
/// </summary>
public static class ReplacementMachineBuilder
{
    public static JsonObject Build(
        JsonObject oldMachine,
        string newName,
        string bootstrapConfigName,
        string infrastructureName,
        KubernetesVersion target,
        string upgradeId)
    {
        var oldName = oldMachine.GetString("metadata", "name");
        var machine = CloneMetadata.CopyForClone(oldMachine, newName, oldName);
        machine.GetOrAddObject("metadata", "annotations")[CapiConventions.UpgradeIdAnnotation] = upgradeId;

        var spec = machine.GetOrAddObject("spec");
        spec["version"] = target.ToString();
        spec.Remove("providerID");

        var bootstrap = spec.GetOrAddObject("bootstrap");
        bootstrap.Remove("dataSecretName");
        var configRef = bootstrap.GetOrAddObject("configRef");
        configRef["name"] = bootstrapConfigName;
        configRef.Remove("uid");
        configRef.Remove("resourceVersion");

        var infrastructureRef = spec.GetOrAddObject("infrastructureRef");
        infrastructureRef["name"] = infrastructureName;
        infrastructureRef.Remove("uid");
        infrastructureRef.Remove("resourceVersion");
        return machine;
    }
}
