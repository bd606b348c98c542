using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Cloning;

/// <summary>
/// Clones a control-plane Machine's KubeadmConfig as a control-plane <em>join</em> config for its replacement
/// (seed step 8), the way Cluster API's KubeadmControlPlane builds join configs:
/// <list type="bullet">
/// <item><c>spec.initConfiguration</c> is removed; its <c>nodeRegistration</c> (and <c>patches</c>, and
///   <c>localAPIEndpoint.bindPort</c>) move into <c>spec.joinConfiguration</c> unless the join config already has them;</item>
/// <item><c>spec.joinConfiguration.controlPlane</c> is set (<c>{}</c> when absent): that is what marks a control-plane join;</item>
/// <item><c>spec.clusterConfiguration</c> is kept (KCP keeps it so the bootstrap provider can tell external etcd),
///   with its <c>kubernetesVersion</c> set to the target when present;</item>
/// <item><c>spec.joinConfiguration.discovery.bootstrapToken</c> is a placeholder Cluster API's bootstrap controller fills:
///   the old <c>token</c> (which may have expired) is dropped, so CAPI mints a new one; apiServerEndpoint and
///   caCertHashes, when set, are kept (CAPI fills them when empty). File discovery is kept as is;</item>
/// <item>a <c>nodeRegistration.name</c> equal to the old Machine's name becomes the new name;</item>
/// <item>metadata and status as for every clone (<see cref="CloneMetadata"/>); then the operator's <c>--bootstrap-patch</c>.</item>
/// </list>
/// </summary>
public static class BootstrapConfigCloner
{
    public static CloneResult CloneAsControlPlaneJoin(
        JsonObject source,
        string newName,
        KubernetesVersion target,
        string? oldMachineName = null,
        OperatorPatch? patch = null)
    {
        var findings = new List<Finding>();
        var clone = CloneMetadata.CopyForClone(source, newName, oldMachineName ?? source.GetString("metadata", "name"));
        var spec = clone.GetOrAddObject("spec");
        var join = spec["joinConfiguration"] as JsonObject ?? new JsonObject();
        spec["joinConfiguration"] = join;

        if (spec["initConfiguration"] is JsonObject init)
        {
            if (join["nodeRegistration"] is null && init["nodeRegistration"] is JsonObject nodeRegistration)
                join["nodeRegistration"] = nodeRegistration.DeepClone();
            if (join["patches"] is null && init["patches"] is JsonObject patches)
                join["patches"] = patches.DeepClone();
            if (init.Get("localAPIEndpoint", "bindPort") is { } bindPort &&
                join.Get("controlPlane", "localAPIEndpoint", "bindPort") is null)
                join.GetOrAddObject("controlPlane", "localAPIEndpoint")["bindPort"] = bindPort.DeepClone();
        }
        spec.Remove("initConfiguration");

        if (join["controlPlane"] is not JsonObject) join["controlPlane"] = new JsonObject();

        var discovery = join.GetOrAddObject("discovery");
        if (discovery["file"] is null)
        {
            var token = discovery.GetOrAddObject("bootstrapToken");
            token.Remove("token");
        }

        if (oldMachineName is not null && join.GetString("nodeRegistration", "name") == oldMachineName)
            join.GetOrAddObject("nodeRegistration")["name"] = newName;

        if (spec["clusterConfiguration"] is JsonObject clusterConfiguration && clusterConfiguration["kubernetesVersion"] is not null)
            clusterConfiguration["kubernetesVersion"] = target.ToString();

        if (patch is not null)
        {
            clone = patch.Apply(clone);
            findings.Add(Finding.Info("BootstrapPatchApplied", clone.Describe(), null, $"applied {patch.Source}"));
            if (clone.Get("spec", "joinConfiguration", "controlPlane") is not JsonObject)
            {
                findings.Add(Finding.Error("BootstrapNotControlPlaneJoin", clone.Describe(), "spec.joinConfiguration.controlPlane",
                    $"{patch.Source} removed the controlPlane section, so the replacement would join as a worker",
                    "keep spec.joinConfiguration.controlPlane in the bootstrap patch"));
            }
        }
        return new CloneResult(clone, findings);
    }
}
