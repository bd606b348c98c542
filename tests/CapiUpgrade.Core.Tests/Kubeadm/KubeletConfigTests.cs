using System.Text.Json.Nodes;
using CapiUpgrade.Core.Kubeadm;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Kubeadm;

public class KubeletConfigTests
{
    private static KubernetesVersion V(string s) => KubernetesVersion.Parse(s);

    [Theory]
    [InlineData("v1.21.14", "kubelet-config-1.21", "kubeadm:kubelet-config-1.21")]
    [InlineData("v1.23.17", "kubelet-config-1.23", "kubeadm:kubelet-config-1.23")]
    [InlineData("v1.24.0", "kubelet-config", "kubeadm:kubelet-config")]
    [InlineData("v1.30.2", "kubelet-config", "kubeadm:kubelet-config")]
    public void Names_by_version(string version, string configMap, string role)
    {
        Assert.Equal(configMap, KubeletConfigNames.ConfigMapName(V(version)));
        Assert.Equal(role, KubeletConfigNames.RoleName(V(version)));
    }

    [Theory]
    [InlineData("v1.22.5", "v1.23.1", true)]
    [InlineData("v1.23.5", "v1.24.1", true)]
    [InlineData("v1.29.4", "v1.30.2", false)]
    [InlineData("v1.22.5", "v1.22.9", false)]
    public void New_config_map_needed_only_when_the_name_changes(string from, string to, bool needed) =>
        Assert.Equal(needed, KubeletConfigNames.NeedsNewConfigMap(V(from), V(to)));

    [Fact]
    public void ConfigMap_copy_keeps_the_data_and_drops_server_metadata()
    {
        var previous = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubelet-config-1.22",
                ["namespace"] = "kube-system",
                ["resourceVersion"] = "12",
                ["uid"] = "abc",
                ["annotations"] = new JsonObject { ["kubeadm.kubernetes.io/component-config.hash"] = "sha256:00" },
            },
            ["data"] = new JsonObject { ["kubelet"] = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n" },
        };
        var copy = KubeletConfigObjects.ConfigMapFrom(previous, V("v1.23.17"));
        Assert.Equal("kubelet-config-1.23", copy["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("kube-system", copy["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Null(copy["metadata"]!["resourceVersion"]);
        Assert.Null(copy["metadata"]!["uid"]);
        Assert.True(JsonNode.DeepEquals(previous["data"], copy["data"]));
        Assert.Equal("sha256:00", copy["metadata"]!["annotations"]!["kubeadm.kubernetes.io/component-config.hash"]!.GetValue<string>());
    }

    [Fact]
    public void Role_grants_get_on_exactly_that_config_map()
    {
        var role = KubeletConfigObjects.Role(V("v1.23.1"));
        Assert.Equal("Role", role["kind"]!.GetValue<string>());
        Assert.Equal("kubeadm:kubelet-config-1.23", role["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("kube-system", role["metadata"]!["namespace"]!.GetValue<string>());
        var rule = role["rules"]![0]!;
        Assert.Equal("kubelet-config-1.23", rule["resourceNames"]![0]!.GetValue<string>());
        Assert.Equal("get", rule["verbs"]![0]!.GetValue<string>());
        Assert.Equal("configmaps", rule["resources"]![0]!.GetValue<string>());
    }

    [Fact]
    public void RoleBinding_binds_nodes_and_bootstrap_tokens()
    {
        var binding = KubeletConfigObjects.RoleBinding(V("v1.30.2"));
        Assert.Equal("kubeadm:kubelet-config", binding["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("kubeadm:kubelet-config", binding["roleRef"]!["name"]!.GetValue<string>());
        var groups = binding["subjects"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(["system:nodes", "system:bootstrappers:kubeadm:default-node-token"], groups);
        Assert.All(binding["subjects"]!.AsArray(), s => Assert.Equal("Group", s!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public void Get_nodes_cluster_role_and_binding()
    {
        var role = KubeletConfigObjects.GetNodesClusterRole();
        var binding = KubeletConfigObjects.GetNodesClusterRoleBinding();
        Assert.Equal("kubeadm:get-nodes", role["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(role["metadata"]!["namespace"]);
        Assert.Equal("nodes", role["rules"]![0]!["resources"]![0]!.GetValue<string>());
        Assert.Equal("ClusterRole", binding["roleRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token", binding["subjects"]![0]!["name"]!.GetValue<string>());
    }
}
