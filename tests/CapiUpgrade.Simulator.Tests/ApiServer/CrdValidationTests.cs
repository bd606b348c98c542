using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.ApiServer.Schema;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>Validation against the real CAPI v1.10.10 CRD schemas, through the store (same path as HTTP).</summary>
public sealed class CrdValidationTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await KubeApiServer.StartAsync(CrdLoader.Apply(new KubeApiServerOptions(), TestPaths.CapiCrds));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private JsonObject CreateMachine(string spec, bool strict = false) =>
        _server.Store.Create(_server.Registry.Find("cluster.x-k8s.io", "v1beta1", "machines")!, "default",
            JsonNode.Parse("""{"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine","metadata":{"name":"m1"},"spec":""" + spec + "}")!.AsObject(), strictFields: strict);

    [Fact]
    public void Every_crd_of_the_folder_is_served_with_its_status_subresource()
    {
        var kcp = _server.Registry.Find("controlplane.cluster.x-k8s.io", "v1beta1", "kubeadmcontrolplanes");
        Assert.NotNull(kcp);
        Assert.True(kcp!.HasStatus);
        Assert.Contains("kcp", kcp.ShortNames);
        Assert.False(_server.Registry.Find("infrastructure.cluster.x-k8s.io", "v1beta1", "dockermachinetemplates")!.HasStatus);
    }

    [Fact]
    public void Unknown_fields_are_pruned_or_rejected_when_strict()
    {
        var created = CreateMachine("""{"clusterName":"c1","colour":"blue","bootstrap":{"dataSecretName":"x","extra":1},"infrastructureRef":{"kind":"DockerMachine","name":"m1"}}""");
        Assert.Null(created["spec"]!["colour"]);
        Assert.Null(created["spec"]!["bootstrap"]!["extra"]);
        Assert.Equal("c1", created["spec"]!["clusterName"]!.GetValue<string>());

        var e = Assert.Throws<ApiException>(() => CreateMachine("""{"clusterName":"c1","colour":"blue","bootstrap":{}}""", strict: true));
        Assert.Equal(400, e.Code);
        Assert.Contains("strict decoding error: unknown field \"spec.colour\"", e.Message);
    }

    [Fact]
    public void Type_and_required_errors_name_every_field_path()
    {
        var e = Assert.Throws<ApiException>(() => CreateMachine("""{"version":42,"bootstrap":{}}"""));
        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.StartsWith("Machine.cluster.x-k8s.io \"m1\" is invalid: [", e.Message);
        Assert.Contains(e.Causes, c => c.Field == "spec.version" && c.Message.Contains("must be of type string: \"integer\""));
        Assert.Contains(e.Causes, c => c.Field == "spec.clusterName" && c.Message == "Required value");
    }

    [Fact]
    public void Enum_and_format_are_checked()
    {
        var kcpType = _server.Registry.Find("controlplane.cluster.x-k8s.io", "v1beta1", "kubeadmcontrolplanes")!;
        var kcp = JsonNode.Parse("""
            {"apiVersion":"controlplane.cluster.x-k8s.io/v1beta1","kind":"KubeadmControlPlane","metadata":{"name":"k"},
             "spec":{"version":"v1.29.4","replicas":3,"machineTemplate":{"infrastructureRef":{"kind":"DockerMachineTemplate","name":"t"}},
                     "kubeadmConfigSpec":{"format":"yaml"},"rolloutBefore":{"certificatesExpiryDays":"soon"},"rolloutAfter":"yesterday"}}
            """)!.AsObject();
        var e = Assert.Throws<ApiException>(() => _server.Store.Create(kcpType, "default", kcp));
        Assert.Contains(e.Causes, c => c.Field == "spec.kubeadmConfigSpec.format" && c.Message.StartsWith("Unsupported value: \"yaml\""));
        Assert.Contains(e.Causes, c => c.Field == "spec.rolloutBefore.certificatesExpiryDays" && c.Message.Contains("must be of type integer"));
        Assert.Contains(e.Causes, c => c.Field == "spec.rolloutAfter" && c.Message.Contains("date-time"));
    }
}
