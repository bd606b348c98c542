using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Tests.Management;

public sealed class CertificateOwnershipTests
{
    private static JsonObject Secret(params JsonObject[] owners) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "c1-etcd", ["namespace"] = "default", ["ownerReferences"] = new JsonArray(owners) },
    };

    private static JsonObject Owner(string kind, string name, string uid, bool controller) => new()
    {
        ["apiVersion"] = kind == "Cluster" ? "cluster.x-k8s.io/v1beta1" : "bootstrap.cluster.x-k8s.io/v1beta1",
        ["kind"] = kind, ["name"] = name, ["uid"] = uid, ["controller"] = controller,
    };

    [Fact]
    public void The_init_KubeadmConfig_is_replaced_by_the_Cluster_as_controller_owner()
    {
        var secret = Secret(Owner("KubeadmConfig", "c1-init", "u-kc", true));
        Assert.True(CertificateOwnership.ReownToCluster(secret, "c1", "u-cluster"));
        var owners = secret["metadata"]!["ownerReferences"]!.AsArray();
        var owner = Assert.Single(owners)!;
        Assert.Equal("Cluster", owner["kind"]!.GetValue<string>());
        Assert.Equal("u-cluster", owner["uid"]!.GetValue<string>());
        Assert.True(owner["controller"]!.GetValue<bool>());
    }

    [Fact]
    public void Reowning_twice_changes_nothing_the_second_time()
    {
        var secret = Secret(Owner("KubeadmConfig", "c1-init", "u-kc", true));
        Assert.True(CertificateOwnership.ReownToCluster(secret, "c1", "u-cluster"));
        var before = secret.ToJsonString();
        Assert.False(CertificateOwnership.ReownToCluster(secret, "c1", "u-cluster"));
        Assert.Equal(before, secret.ToJsonString());
    }

    [Fact]
    public void Other_owners_are_kept_but_lose_the_controller_role()
    {
        var secret = Secret(Owner("KubeadmControlPlane", "kcp", "u-kcp", true));
        Assert.True(CertificateOwnership.ReownToCluster(secret, "c1", "u-cluster"));
        var owners = secret["metadata"]!["ownerReferences"]!.AsArray();
        Assert.Equal(2, owners.Count);
        Assert.False(owners.Single(o => o!["kind"]!.GetValue<string>() == "KubeadmControlPlane")!["controller"]!.GetValue<bool>());
        Assert.Single(owners, o => o!["controller"]!.GetValue<bool>());
    }

    [Fact]
    public void A_secret_without_owners_gets_the_Cluster()
    {
        var secret = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "c1-sa" } };
        Assert.True(CertificateOwnership.ReownToCluster(secret, "c1", "u-cluster"));
        Assert.Equal("c1", secret["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>());
    }
}
