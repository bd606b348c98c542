using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Kubernetes.Tests.Workload;

public sealed class WorkloadParsingTests
{
    private static JsonObject Pod(string component, string node, bool ready, string? urls = null)
    {
        var annotations = new JsonObject();
        if (urls is not null)
            annotations["kubeadm.kubernetes.io/etcd.advertise-client-urls"] = urls;
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{component}-{node}",
                ["namespace"] = "kube-system",
                ["labels"] = new JsonObject { ["component"] = component, ["tier"] = "control-plane" },
                ["annotations"] = annotations,
            },
            ["spec"] = new JsonObject { ["nodeName"] = node },
            ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }) },
        };
    }

    [Fact]
    public void A_Node_reports_readiness_version_role_and_providerID()
    {
        var node = WorkloadParsing.ToNode(JsonNode.Parse("""
            {"metadata":{"name":"cp-1","resourceVersion":"7","labels":{"node-role.kubernetes.io/control-plane":""}},
             "spec":{"providerID":"docker:////cp-1"},
             "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.30.2"}}}
            """)!.AsObject());
        Assert.Equal(new NodeInfo("cp-1", "docker:////cp-1", true, "v1.30.2", true, "7"), node);
    }

    [Fact]
    public void A_Node_without_a_Ready_condition_is_not_ready()
    {
        var node = WorkloadParsing.ToNode(JsonNode.Parse("""{"metadata":{"name":"n"},"status":{}}""")!.AsObject());
        Assert.False(node.Ready);
        Assert.False(node.IsControlPlane);
        Assert.Null(node.ProviderId);
    }

    [Fact]
    public void Etcd_pods_carry_their_client_urls()
    {
        var pod = WorkloadParsing.ToPod(Pod("etcd", "cp-1", true, "https://127.0.0.1:2379, https://10.0.0.1:2379"));
        Assert.Equal(["https://127.0.0.1:2379", "https://10.0.0.1:2379"], pod.EtcdClientUrls);
        Assert.Equal("cp-1", pod.NodeName);
        Assert.Equal("etcd", pod.Component);
    }

    [Fact]
    public void Static_pods_are_missing_until_all_four_are_ready_on_that_node()
    {
        var pods = new[]
        {
            WorkloadParsing.ToPod(Pod("etcd", "cp-2", true)),
            WorkloadParsing.ToPod(Pod("kube-apiserver", "cp-2", true)),
            WorkloadParsing.ToPod(Pod("kube-controller-manager", "cp-2", false)),
            WorkloadParsing.ToPod(Pod("kube-scheduler", "cp-1", true)),
        };
        Assert.Equal(["kube-controller-manager", "kube-scheduler"], WorkloadParsing.MissingReadyStaticPods(pods, "cp-2"));
        var all = WorkloadParsing.ControlPlaneComponents.Select(c => WorkloadParsing.ToPod(Pod(c, "cp-3", true)));
        Assert.Empty(WorkloadParsing.MissingReadyStaticPods(all, "cp-3"));
    }

    [Fact]
    public void Nodes_are_found_by_providerID_never_by_name()
    {
        var nodes = new[] { new NodeInfo("m-1", "docker:////m-2", true, "v1.30.2", true, "1"), new NodeInfo("m-2", "docker:////m-1", true, "v1.30.2", true, "1") };
        Assert.Equal("m-2", WorkloadParsing.FindByProviderId(nodes, "docker:////m-1")!.Name);
        Assert.Null(WorkloadParsing.FindByProviderId(nodes, "docker:////m-3"));
    }
}
