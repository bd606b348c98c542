using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Tests.Management;

public sealed class ResourceKindTests
{
    [Theory]
    [InlineData("DockerMachine", "dockermachines")]
    [InlineData("KubeadmConfig", "kubeadmconfigs")]
    [InlineData("Machine", "machines")]
    [InlineData("MachineHealthCheck", "machinehealthchecks")]
    [InlineData("ClusterClass", "clusterclasses")]
    [InlineData("AWSMachine", "awsmachines")]
    [InlineData("VSphereMachine", "vspheremachines")]
    [InlineData("IngressClass", "ingressclasses")]
    [InlineData("NetworkPolicy", "networkpolicies")]
    [InlineData("Endpoints", "endpoints")]
    [InlineData("Proxy", "proxies")]
    [InlineData("Gateway", "gateways")]
    [InlineData("Box", "boxes")]
    [InlineData("Mesh", "meshes")]
    public void Kinds_map_to_their_plural_resource_names(string kind, string plural) =>
        Assert.Equal(plural, ResourceKind.Pluralize(kind));

    [Fact]
    public void A_reference_names_its_resource_kind()
    {
        var kind = ResourceKind.FromApiVersionAndKind("infrastructure.cluster.x-k8s.io/v1beta1", "DockerMachine");
        Assert.Equal(ResourceKind.DockerMachine, kind);
        Assert.Equal("infrastructure.cluster.x-k8s.io/v1beta1", kind.ApiVersion);

        var core = ResourceKind.FromApiVersionAndKind("v1", "Secret");
        Assert.Equal(ResourceKind.Secret, core);
        Assert.True(core.IsCore);
        Assert.Equal("v1", core.ApiVersion);
    }

    [Fact]
    public void An_incomplete_reference_is_refused_naming_the_missing_field()
    {
        var e = Assert.Throws<ArgumentException>(() => ResourceKind.FromApiVersionAndKind("", "DockerMachine"));
        Assert.Contains("apiVersion", e.Message);
        var k = Assert.Throws<ArgumentException>(() => ResourceKind.FromApiVersionAndKind("infrastructure.cluster.x-k8s.io/v1beta1", " "));
        Assert.Contains("kind", k.Message);
    }

    [Fact]
    public void Cluster_keys_parse_namespace_slash_name()
    {
        Assert.Equal(new ClusterKey("default", "prod-1"), ClusterKey.Parse("default/prod-1"));
        Assert.Equal("default/prod-1", new ClusterKey("default", "prod-1").ToString());
        Assert.Throws<FormatException>(() => ClusterKey.Parse("prod-1"));
        Assert.Throws<FormatException>(() => ClusterKey.Parse("a/b/c"));
    }
}
