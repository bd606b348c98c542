using System.Text.Json.Nodes;
using CapiUpgrade.Core.Cloning;
using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Cloning;

public class BootstrapConfigClonerTests
{
    private static readonly KubernetesVersion Target = KubernetesVersion.Parse("v1.30.2");

    [Fact]
    public void Init_config_becomes_a_control_plane_join_config()
    {
        var source = CapiSamples.InitKubeadmConfig();
        var result = BootstrapConfigCloner.CloneAsControlPlaneJoin(source, "cluster-1-cp-0-u-1a2b3c4d", Target, "cluster-1-cp-0");
        Assert.False(result.IsRefused);
        var clone = result.Object;
        var spec = clone["spec"]!.AsObject();
        Assert.False(spec.ContainsKey("initConfiguration"));
        var join = spec["joinConfiguration"]!.AsObject();
        Assert.True(JsonNode.DeepEquals(source["spec"]!["initConfiguration"]!["nodeRegistration"], join["nodeRegistration"]));
        Assert.Equal(6443, join["controlPlane"]!["localAPIEndpoint"]!["bindPort"]!.GetValue<int>());
        Assert.Null(join["controlPlane"]!["localAPIEndpoint"]!["advertiseAddress"]); // node-specific: not carried
        Assert.Equal("/etc/kubernetes/patches", join["patches"]!["directory"]!.GetValue<string>());
        Assert.NotNull(join["discovery"]!["bootstrapToken"]);
        Assert.Null(join["discovery"]!["bootstrapToken"]!["token"]);
        // KCP keeps clusterConfiguration on join configs
        Assert.Equal("v1.30.2", spec["clusterConfiguration"]!["kubernetesVersion"]!.GetValue<string>());
        Assert.Equal("250", spec["clusterConfiguration"]!["etcd"]!["local"]!["extraArgs"]!["heartbeat-interval"]!.GetValue<string>());
        // everything else kept
        Assert.True(JsonNode.DeepEquals(source["spec"]!["files"], spec["files"]));
        Assert.True(JsonNode.DeepEquals(source["spec"]!["preKubeadmCommands"], spec["preKubeadmCommands"]));
        Assert.Equal("cloud-config", spec["format"]!.GetValue<string>());
        // metadata/status
        Assert.Null(clone["status"]);
        Assert.Null(clone["metadata"]!["ownerReferences"]);
        Assert.Null(clone["metadata"]!["uid"]);
        Assert.Null(clone["metadata"]!["resourceVersion"]);
        Assert.Equal("cluster-1-cp-0-u-1a2b3c4d", clone["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("cluster-1-cp-0", clone["metadata"]!["annotations"]!["capi-upgrade.io/replacement-for"]!.GetValue<string>());
        Assert.Equal("cluster-1", clone["metadata"]!["labels"]!["cluster.x-k8s.io/cluster-name"]!.GetValue<string>());
    }

    [Fact]
    public void Join_config_stays_a_join_config_with_a_fresh_token_placeholder()
    {
        var source = CapiSamples.JoinKubeadmConfig();
        var result = BootstrapConfigCloner.CloneAsControlPlaneJoin(source, "cluster-1-cp-1-u-1", Target, "cluster-1-cp-1");
        var join = result.Object["spec"]!["joinConfiguration"]!;
        var token = join["discovery"]!["bootstrapToken"]!;
        Assert.Null(token["token"]);
        Assert.Equal("172.18.0.3:6443", token["apiServerEndpoint"]!.GetValue<string>());
        Assert.Equal("sha256:abc", token["caCertHashes"]![0]!.GetValue<string>());
        Assert.Equal(6443, join["controlPlane"]!["localAPIEndpoint"]!["bindPort"]!.GetValue<int>());
        // a literal node name equal to the old Machine's follows the new name
        Assert.Equal("cluster-1-cp-1-u-1", join["nodeRegistration"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void A_worker_style_join_config_gets_controlPlane_set()
    {
        var source = CapiSamples.JoinKubeadmConfig();
        source["spec"]!["joinConfiguration"]!.AsObject().Remove("controlPlane");
        var result = BootstrapConfigCloner.CloneAsControlPlaneJoin(source, "n", Target);
        Assert.IsType<JsonObject>(result.Object["spec"]!["joinConfiguration"]!["controlPlane"]);
    }

    [Fact]
    public void File_discovery_is_kept_as_is()
    {
        var source = CapiSamples.JoinKubeadmConfig();
        source["spec"]!["joinConfiguration"]!["discovery"] = JsonNode.Parse("""{"file":{"kubeConfigPath":"/etc/kubernetes/discovery.yaml"}}""");
        var result = BootstrapConfigCloner.CloneAsControlPlaneJoin(source, "n", Target);
        var discovery = result.Object["spec"]!["joinConfiguration"]!["discovery"]!;
        Assert.Null(discovery["bootstrapToken"]);
        Assert.Equal("/etc/kubernetes/discovery.yaml", discovery["file"]!["kubeConfigPath"]!.GetValue<string>());
    }

    [Fact]
    public void Bootstrap_patch_is_applied_and_may_not_remove_the_control_plane_section()
    {
        var ok = OperatorPatch.Parse("""[{"op":"add","path":"/spec/preKubeadmCommands/-","value":"echo upgraded"}]""", "bootstrap.json");
        var result = BootstrapConfigCloner.CloneAsControlPlaneJoin(CapiSamples.InitKubeadmConfig(), "n", Target, patch: ok);
        Assert.False(result.IsRefused);
        Assert.Equal("echo upgraded", result.Object["spec"]!["preKubeadmCommands"]![1]!.GetValue<string>());

        var bad = OperatorPatch.Parse("""[{"op":"remove","path":"/spec/joinConfiguration/controlPlane"}]""", "bootstrap.json");
        var refused = BootstrapConfigCloner.CloneAsControlPlaneJoin(CapiSamples.InitKubeadmConfig(), "n", Target, patch: bad);
        Assert.True(refused.IsRefused);
        Assert.Equal("spec.joinConfiguration.controlPlane", Assert.Single(refused.Findings, f => f.IsError).Field);
    }
}
