using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Watching;

namespace CapiUpgrade.Kubernetes.Tests.Watching;

public sealed class ClusterOwnershipTests
{
    [Fact]
    public void A_Cluster_belongs_to_itself()
    {
        var cluster = JsonNode.Parse("""{"metadata":{"name":"c1","namespace":"ns"}}""")!.AsObject();
        Assert.Equal(new ClusterKey("ns", "c1"), ClusterOwnership.ClusterOf(ResourceKind.Cluster, cluster));
    }

    [Fact]
    public void Objects_belong_to_the_cluster_of_their_label_first_then_spec_clusterName()
    {
        var labelled = JsonNode.Parse("""{"metadata":{"name":"m1","namespace":"ns","labels":{"cluster.x-k8s.io/cluster-name":"c1"}},"spec":{"clusterName":"other"}}""")!.AsObject();
        Assert.Equal(new ClusterKey("ns", "c1"), ClusterOwnership.ClusterOf(ResourceKind.Machine, labelled));

        var bySpec = JsonNode.Parse("""{"metadata":{"name":"m1","namespace":"ns"},"spec":{"clusterName":"c2"}}""")!.AsObject();
        Assert.Equal(new ClusterKey("ns", "c2"), ClusterOwnership.ClusterOf(ResourceKind.Machine, bySpec));

        var none = JsonNode.Parse("""{"metadata":{"name":"dm1","namespace":"ns"},"spec":{}}""")!.AsObject();
        Assert.Null(ClusterOwnership.ClusterOf(ResourceKind.DockerMachine, none));
    }
}
