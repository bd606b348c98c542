using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Kubeadm;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Core.Yaml;

namespace CapiUpgrade.Core.Tests.Kubeadm;

public class KubeadmConfigMapTests
{
    private static readonly KubernetesVersion Target = KubernetesVersion.Parse("v1.30.2");

    /// <summary>Every field other than kubernetesVersion must be identical after the edit.</summary>
    private static void AssertOnlyVersionChanged(string before, string after, string expectedVersion)
    {
        var b = YamlJson.Parse(before)!.AsObject();
        var a = YamlJson.Parse(after)!.AsObject();
        Assert.Equal(expectedVersion, a["kubernetesVersion"]!.GetValue<string>());
        b.Remove("kubernetesVersion");
        a.Remove("kubernetesVersion");
        Assert.True(JsonNode.DeepEquals(b, a), $"fields changed:\n{before}\n---\n{after}");
    }

    [Fact]
    public void Sets_kubernetesVersion_in_v1beta3_keeping_every_field_the_order_and_comments()
    {
        var after = ClusterConfigurationYaml.SetKubernetesVersion(KubeadmSamples.V1Beta3, Target);
        AssertOnlyVersionChanged(KubeadmSamples.V1Beta3, after, "v1.30.2");
        Assert.Equal(KubeadmSamples.V1Beta3.Replace("kubernetesVersion: v1.29.4", "kubernetesVersion: v1.30.2"), after);
        Assert.Contains("# pinned by CAPI from Machine.spec.version", after);
    }

    [Fact]
    public void Sets_kubernetesVersion_in_v1beta4_keeping_the_quotes_and_list_style_extraArgs()
    {
        var v = KubernetesVersion.Parse("v1.32.0");
        var after = ClusterConfigurationYaml.SetKubernetesVersion(KubeadmSamples.V1Beta4, v);
        AssertOnlyVersionChanged(KubeadmSamples.V1Beta4, after, "v1.32.0");
        Assert.Contains("kubernetesVersion: \"v1.32.0\"", after);
        Assert.Contains("- name: profiling\n    value: \"false\"", after);
    }

    [Fact]
    public void Setting_the_same_version_returns_the_text_unchanged()
    {
        var v = KubernetesVersion.Parse("v1.29.4");
        Assert.Same(KubeadmSamples.V1Beta3, ClusterConfigurationYaml.SetKubernetesVersion(KubeadmSamples.V1Beta3, v));
    }

    [Fact]
    public void Adds_kubernetesVersion_when_absent()
    {
        var without = KubeadmSamples.V1Beta3.Replace("kubernetesVersion: v1.29.4\n", "");
        var after = ClusterConfigurationYaml.SetKubernetesVersion(without, Target);
        Assert.Equal(Target, ClusterConfigurationYaml.ReadKubernetesVersion(after));
        var b = YamlJson.Parse(without)!.AsObject();
        var a = YamlJson.Parse(after)!.AsObject();
        a.Remove("kubernetesVersion");
        Assert.True(JsonNode.DeepEquals(b, a));
    }

    [Fact]
    public void Flow_style_document_is_rewritten_without_losing_fields()
    {
        const string flow = "{apiVersion: kubeadm.k8s.io/v1beta3, kind: ClusterConfiguration, kubernetesVersion: v1.29.4, networking: {podSubnet: 10.0.0.0/16}}";
        var after = ClusterConfigurationYaml.SetKubernetesVersion(flow, Target);
        AssertOnlyVersionChanged(flow, after, "v1.30.2");
    }

    [Fact]
    public void Reads_kubernetesVersion()
    {
        Assert.Equal(KubernetesVersion.Parse("v1.29.4"), ClusterConfigurationYaml.ReadKubernetesVersion(KubeadmSamples.V1Beta3));
        Assert.Equal(KubernetesVersion.Parse("v1.31.1"), ClusterConfigurationYaml.ReadKubernetesVersion(KubeadmSamples.V1Beta4));
        Assert.Null(ClusterConfigurationYaml.ReadKubernetesVersion("kind: ClusterConfiguration\n"));
    }

    [Fact]
    public void A_bad_kubernetesVersion_is_reported_naming_the_field()
    {
        var e = Assert.Throws<ValidationException>(() => ClusterConfigurationYaml.ReadKubernetesVersion("kubernetesVersion: v1.30.0-rc.1\n"));
        var f = Assert.Single(e.Findings);
        Assert.Equal("data.ClusterConfiguration.kubernetesVersion", f.Field);
        Assert.Contains("kube-system/kubeadm-config", f.Object);
    }

    [Fact]
    public void Invalid_yaml_is_reported_with_line_and_field()
    {
        var e = Assert.Throws<ValidationException>(() => ClusterConfigurationYaml.SetKubernetesVersion("a: b\n  c: d: e\n", Target));
        Assert.Contains("data.ClusterConfiguration", e.Findings[0].Field);
        Assert.Contains("line", e.Findings[0].Problem);
        var e2 = Assert.Throws<ValidationException>(() => ClusterConfigurationYaml.SetKubernetesVersion("a: [b\nc: d", Target));
        Assert.Equal("InvalidYaml", e2.Findings[0].Code);
    }

    [Fact]
    public void ConfigMap_edit_returns_a_copy_with_the_resourceVersion_and_all_metadata()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta3);
        var edit = KubeadmConfigMap.SetKubernetesVersion(cm, Target);
        Assert.True(edit.Changed);
        Assert.NotSame(cm, edit.ConfigMap);
        Assert.Equal("4711", edit.ConfigMap["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("kubeadm", edit.ConfigMap["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal(Target, KubeadmConfigMap.ReadKubernetesVersion(edit.ConfigMap));
        Assert.Equal(KubernetesVersion.Parse("v1.29.4"), KubeadmConfigMap.ReadKubernetesVersion(cm)); // original untouched
        Assert.False(KubeadmConfigMap.SetKubernetesVersion(edit.ConfigMap, Target).Changed);
    }

    [Fact]
    public void ConfigMap_without_ClusterConfiguration_is_reported()
    {
        var cm = KubeadmSamples.ConfigMap("x: y");
        cm["data"]!.AsObject().Remove("ClusterConfiguration");
        var e = Assert.Throws<ValidationException>(() => KubeadmConfigMap.SetKubernetesVersion(cm, Target));
        Assert.Equal("data.ClusterConfiguration", e.Findings[0].Field);
        Assert.Equal("ConfigMap kube-system/kubeadm-config", e.Findings[0].Object);
    }

    [Fact]
    public void Pre_1_22_ClusterStatus_drops_endpoints_whose_node_is_gone_and_keeps_the_rest_verbatim()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta2ClusterConfiguration, KubeadmSamples.V1Beta2ClusterStatus);
        Assert.True(KubeadmConfigMap.HasClusterStatus(cm));
        var edit = KubeadmConfigMap.ReconcileApiEndpoints(cm, ["old-cluster-cp-abcde", "old-cluster-cp-klmno", "worker-1"]);
        Assert.True(edit.Changed);
        Assert.Equal(["old-cluster-cp-fghij"], edit.RemovedApiEndpoints);
        var status = edit.ConfigMap["data"]!["ClusterStatus"]!.GetValue<string>();
        Assert.Equal(KubeadmSamples.V1Beta2ClusterStatus.Replace(
            "  old-cluster-cp-fghij:\n    advertiseAddress: 172.18.0.6\n    bindPort: 6443\n", ""), status);
        Assert.Equal(["old-cluster-cp-abcde", "old-cluster-cp-klmno"], ClusterStatusYaml.ApiEndpointNodeNames(status));
        // ClusterConfiguration untouched
        Assert.Equal(KubeadmSamples.V1Beta2ClusterConfiguration, edit.ConfigMap["data"]!["ClusterConfiguration"]!.GetValue<string>());
    }

    [Fact]
    public void Removing_the_last_endpoint_of_the_map_keeps_the_document_valid()
    {
        var (yaml, removed) = ClusterStatusYaml.RemoveEndpointsWithoutNode(KubeadmSamples.V1Beta2ClusterStatus,
            new HashSet<string> { "old-cluster-cp-abcde", "old-cluster-cp-fghij" });
        Assert.Equal(["old-cluster-cp-klmno"], removed);
        var parsed = YamlJson.Parse(yaml)!.AsObject();
        Assert.Equal(2, parsed["apiEndpoints"]!.AsObject().Count);
        Assert.Equal("ClusterStatus", parsed["kind"]!.GetValue<string>());
        Assert.Equal("kubeadm.k8s.io/v1beta2", parsed["apiVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Removing_every_endpoint_leaves_an_empty_map_and_every_other_field()
    {
        var (yaml, removed) = ClusterStatusYaml.RemoveEndpointsWithoutNode(KubeadmSamples.V1Beta2ClusterStatus, new HashSet<string>());
        Assert.Equal(3, removed.Count);
        var parsed = YamlJson.Parse(yaml)!.AsObject();
        Assert.Empty(parsed["apiEndpoints"]!.AsObject());
        Assert.Equal("ClusterStatus", parsed["kind"]!.GetValue<string>());
    }

    [Fact]
    public void Reconcile_is_a_no_op_when_every_endpoint_has_a_node()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta2ClusterConfiguration, KubeadmSamples.V1Beta2ClusterStatus);
        var edit = KubeadmConfigMap.ReconcileApiEndpoints(cm, ["old-cluster-cp-abcde", "old-cluster-cp-fghij", "old-cluster-cp-klmno"]);
        Assert.False(edit.Changed);
        Assert.Empty(edit.RemovedApiEndpoints);
    }

    [Fact]
    public void Reconcile_is_a_no_op_without_ClusterStatus_as_from_1_22()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta3);
        var edit = KubeadmConfigMap.ReconcileApiEndpoints(cm, []);
        Assert.False(edit.Changed);
        Assert.False(KubeadmConfigMap.HasClusterStatus(cm));
        Assert.True(JsonNode.DeepEquals(cm, edit.ConfigMap));
    }

    [Fact]
    public void Pre_1_22_version_edit_and_endpoint_reconcile_compose()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta2ClusterConfiguration, KubeadmSamples.V1Beta2ClusterStatus);
        var v = KubernetesVersion.Parse("v1.21.14");
        var edited = KubeadmConfigMap.SetKubernetesVersion(cm, v).ConfigMap;
        edited = KubeadmConfigMap.ReconcileApiEndpoints(edited, ["old-cluster-cp-abcde"]).ConfigMap;
        Assert.Equal(v, KubeadmConfigMap.ReadKubernetesVersion(edited));
        Assert.Equal(["old-cluster-cp-abcde"], ClusterStatusYaml.ApiEndpointNodeNames(edited["data"]!["ClusterStatus"]!.GetValue<string>()));
        var config = YamlJson.Parse(edited["data"]!["ClusterConfiguration"]!.GetValue<string>())!;
        Assert.Equal("k8s.gcr.io", config["imageRepository"]!.GetValue<string>());
        Assert.Equal("CoreDNS", config["dns"]!["type"]!.GetValue<string>());
    }
}

public class KubeadmConfigPatchTests
{
    [Fact]
    public void Operator_patch_applies_to_the_ClusterConfiguration_document_keeping_other_fields()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta3);
        var patch = CapiUpgrade.Core.Patches.OperatorPatch.Parse("""[{"op":"replace","path":"/imageRepository","value":"mirror.local/k8s"}]""", "kubeadm.json");
        var edit = KubeadmConfigMap.ApplyClusterConfigurationPatch(cm, patch);
        Assert.True(edit.Changed);
        var doc = YamlJson.Parse(edit.ConfigMap["data"]!["ClusterConfiguration"]!.GetValue<string>())!.AsObject();
        Assert.Equal("mirror.local/k8s", doc["imageRepository"]!.GetValue<string>());
        var before = YamlJson.Parse(KubeadmSamples.V1Beta3)!.AsObject();
        before["imageRepository"] = "mirror.local/k8s";
        Assert.True(JsonNode.DeepEquals(before, doc));
        Assert.Equal("\"true\"", "\"" + doc["controllerManager"]!["extraArgs"]!["enable-hostpath-provisioner"]!.GetValue<string>() + "\"");
    }

    [Fact]
    public void Failing_operator_patch_names_the_config_map_and_document()
    {
        var cm = KubeadmSamples.ConfigMap(KubeadmSamples.V1Beta4);
        var patch = CapiUpgrade.Core.Patches.OperatorPatch.Parse("""[{"op":"remove","path":"/etcd/external"}]""", "kubeadm.json");
        var e = Assert.Throws<CapiUpgrade.Core.Patches.PatchException>(() => KubeadmConfigMap.ApplyClusterConfigurationPatch(cm, patch));
        Assert.Equal("ConfigMap kube-system/kubeadm-config data.ClusterConfiguration", e.Target);
        Assert.Equal("/etcd/external", e.Path);
    }
}
