using CapiUpgrade.Core.Cloning;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Cloning;

public class ReplacementMachineBuilderTests
{
    [Fact]
    public void Replacement_machine_has_new_refs_target_version_and_no_server_state()
    {
        var old = CapiSamples.Machine();
        var m = ReplacementMachineBuilder.Build(old, "cluster-1-cp-0-u-1a2b3c4d", "cluster-1-cp-0-u-1a2b3c4d",
            "cluster-1-cp-0-u-1a2b3c4d", KubernetesVersion.Parse("v1.30.2"), "u-1a2b3c4d");
        var metadata = m["metadata"]!;
        Assert.Equal("cluster-1-cp-0-u-1a2b3c4d", metadata["name"]!.GetValue<string>());
        Assert.Equal("default", metadata["namespace"]!.GetValue<string>());
        Assert.Null(metadata["uid"]);
        Assert.Null(metadata["resourceVersion"]);
        Assert.Null(metadata["finalizers"]);
        Assert.Null(metadata["ownerReferences"]);
        Assert.Null(m["status"]);
        var spec = m["spec"]!;
        Assert.Equal("v1.30.2", spec["version"]!.GetValue<string>());
        Assert.Null(spec["providerID"]);
        Assert.Null(spec["bootstrap"]!["dataSecretName"]);
        Assert.Equal("cluster-1-cp-0-u-1a2b3c4d", spec["bootstrap"]!["configRef"]!["name"]!.GetValue<string>());
        Assert.Equal("KubeadmConfig", spec["bootstrap"]!["configRef"]!["kind"]!.GetValue<string>());
        Assert.Null(spec["bootstrap"]!["configRef"]!["uid"]);
        Assert.Null(spec["bootstrap"]!["configRef"]!["resourceVersion"]);
        Assert.Equal("cluster-1-cp-0-u-1a2b3c4d", spec["infrastructureRef"]!["name"]!.GetValue<string>());
        Assert.Equal("DockerMachine", spec["infrastructureRef"]!["kind"]!.GetValue<string>());
        Assert.Null(spec["infrastructureRef"]!["uid"]);
        Assert.Equal("cluster-1", spec["clusterName"]!.GetValue<string>());
        Assert.Equal("fd1", spec["failureDomain"]!.GetValue<string>());
        Assert.Equal("10s", spec["nodeDeletionTimeout"]!.GetValue<string>());
        // labels kept; our annotations replaced; others' kept
        Assert.Equal("", metadata["labels"]!["cluster.x-k8s.io/control-plane"]!.GetValue<string>());
        Assert.Equal("platform", metadata["labels"]!["team"]!.GetValue<string>());
        var annotations = metadata["annotations"]!.AsObject();
        Assert.False(annotations.ContainsKey("pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"));
        Assert.Equal("ops", annotations["example.com/owner"]!.GetValue<string>());
        Assert.Equal("backup-operator", annotations["pre-drain.delete.hook.machine.cluster.x-k8s.io/backup"]!.GetValue<string>());
        Assert.Equal("u-1a2b3c4d", annotations["capi-upgrade.io/upgrade-id"]!.GetValue<string>());
        Assert.Equal("cluster-1-cp-0", annotations["capi-upgrade.io/replacement-for"]!.GetValue<string>());
        // the old Machine is untouched
        Assert.Equal("v1.29.4", old["spec"]!["version"]!.GetValue<string>());
    }
}
