using System.Net;
using System.Text.Json;
using CapiUpgrade.Simulator.ApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>Cluster API kinds through KubernetesClient's untyped CustomObjects API.</summary>
public sealed class CustomObjectTests : IAsyncLifetime
{
    private const string Group = "cluster.x-k8s.io";
    private const string Version = "v1beta1";
    private KubeApiServer _server = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync();
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _server.Url });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static JsonElement Machine(string name, string version = "v1.29.4") => JsonSerializer.Deserialize<JsonElement>($$$"""
        {"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine",
         "metadata":{"name":"{{{name}}}","labels":{"cluster.x-k8s.io/cluster-name":"c1","cluster.x-k8s.io/control-plane":""}},
         "spec":{"clusterName":"c1","version":"{{{version}}}","bootstrap":{"configRef":{"kind":"KubeadmConfig","name":"{{{name}}}"}},"infrastructureRef":{"kind":"DockerMachine","name":"{{{name}}}"}},
         "status":{"phase":"Running"}}
        """);

    private async Task<JsonElement> Get(string name) =>
        await _client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(Group, Version, "default", "machines", name);

    [Fact]
    public async Task Status_is_dropped_on_create_and_changed_only_through_the_status_subresource()
    {
        var created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(Machine("m1"), Group, Version, "default", "machines");
        Assert.False(created.TryGetProperty("status", out _));
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("generation").GetInt64());

        // a status change through the main resource is ignored
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"status\":{\"phase\":\"Failed\"}}", V1Patch.PatchType.MergePatch), Group, Version, "default", "machines", "m1");
        Assert.False((await Get("m1")).TryGetProperty("status", out _));

        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("{\"status\":{\"phase\":\"Running\"},\"spec\":{\"version\":\"v9\"}}", V1Patch.PatchType.MergePatch), Group, Version, "default", "machines", "m1");
        var m = await Get("m1");
        Assert.Equal("Running", m.GetProperty("status").GetProperty("phase").GetString());
        Assert.Equal("v1.29.4", m.GetProperty("spec").GetProperty("version").GetString());
        Assert.Equal(1, m.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only()
    {
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Machine("g1"), Group, Version, "default", "machines");
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}", V1Patch.PatchType.MergePatch), Group, Version, "default", "machines", "g1");
        Assert.Equal(1, (await Get("g1")).GetProperty("metadata").GetProperty("generation").GetInt64());
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("[{\"op\":\"replace\",\"path\":\"/spec/version\",\"value\":\"v1.30.2\"}]", V1Patch.PatchType.JsonPatch), Group, Version, "default", "machines", "g1");
        var m = await Get("g1");
        Assert.Equal(2, m.GetProperty("metadata").GetProperty("generation").GetInt64());
        Assert.Equal("v1.30.2", m.GetProperty("spec").GetProperty("version").GetString());
    }

    [Fact]
    public async Task Stale_resource_version_in_a_replace_is_a_conflict_and_a_patch_precondition_too()
    {
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Machine("c1"), Group, Version, "default", "machines");
        var stale = await Get("c1");
        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"version\":\"v1.30.0\"}}", V1Patch.PatchType.MergePatch), Group, Version, "default", "machines", "c1");
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, Group, Version, "default", "machines", "c1"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.StartsWith("Operation cannot be fulfilled on machines.cluster.x-k8s.io \"c1\"", KubernetesClientTests.Message(conflict));

        var rv = stale.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        var patchConflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch($"{{\"metadata\":{{\"resourceVersion\":\"{rv}\"}},\"spec\":{{\"version\":\"v1.31.0\"}}}}", V1Patch.PatchType.MergePatch), Group, Version, "default", "machines", "c1"));
        Assert.Equal(HttpStatusCode.Conflict, patchConflict.Response.StatusCode);
    }

    [Fact]
    public async Task Machine_deletion_is_held_by_its_finalizer_and_owned_objects_are_collected()
    {
        var machine = JsonSerializer.Deserialize<JsonElement>("""
            {"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine","metadata":{"name":"fm","finalizers":["machine.cluster.x-k8s.io"]},"spec":{"clusterName":"c1"}}
            """);
        var created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(machine, Group, Version, "default", "machines");
        var uid = created.GetProperty("metadata").GetProperty("uid").GetString();
        var config = JsonSerializer.Deserialize<JsonElement>($$$"""
            {"apiVersion":"bootstrap.cluster.x-k8s.io/v1beta1","kind":"KubeadmConfig","metadata":{"name":"fm",
              "ownerReferences":[{"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine","name":"fm","uid":"{{{uid}}}","controller":true,"blockOwnerDeletion":true}]},
             "spec":{"joinConfiguration":{"controlPlane":{ } } } }
            """);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(config, "bootstrap.cluster.x-k8s.io", Version, "default", "kubeadmconfigs");

        await _client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, "default", "machines", "fm");
        var deleting = await Get("fm");
        Assert.True(deleting.GetProperty("metadata").TryGetProperty("deletionTimestamp", out _));
        Assert.Equal(2, deleting.GetProperty("metadata").GetProperty("generation").GetInt64());
        await _client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>("bootstrap.cluster.x-k8s.io", Version, "default", "kubeadmconfigs", "fm");

        await _client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]", V1Patch.PatchType.JsonPatch), Group, Version, "default", "machines", "fm");
        var machineGone = await Assert.ThrowsAsync<HttpOperationException>(() => Get("fm"));
        Assert.Equal(HttpStatusCode.NotFound, machineGone.Response.StatusCode);
        var configGone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>("bootstrap.cluster.x-k8s.io", Version, "default", "kubeadmconfigs", "fm"));
        Assert.Equal(HttpStatusCode.NotFound, configGone.Response.StatusCode);
    }

    [Fact]
    public async Task Every_cluster_api_kind_is_served_namespaced()
    {
        var kinds = new (string Group, string Plural, string Kind)[]
        {
            ("cluster.x-k8s.io", "clusters", "Cluster"), ("cluster.x-k8s.io", "machines", "Machine"), ("cluster.x-k8s.io", "machinesets", "MachineSet"),
            ("cluster.x-k8s.io", "machinedeployments", "MachineDeployment"), ("cluster.x-k8s.io", "machinehealthchecks", "MachineHealthCheck"),
            ("cluster.x-k8s.io", "clusterclasses", "ClusterClass"), ("bootstrap.cluster.x-k8s.io", "kubeadmconfigs", "KubeadmConfig"),
            ("bootstrap.cluster.x-k8s.io", "kubeadmconfigtemplates", "KubeadmConfigTemplate"), ("controlplane.cluster.x-k8s.io", "kubeadmcontrolplanes", "KubeadmControlPlane"),
            ("infrastructure.cluster.x-k8s.io", "dockerclusters", "DockerCluster"), ("infrastructure.cluster.x-k8s.io", "dockermachines", "DockerMachine"),
            ("infrastructure.cluster.x-k8s.io", "dockermachinetemplates", "DockerMachineTemplate"),
        };
        foreach (var (group, plural, kind) in kinds)
        {
            var body = JsonSerializer.Deserialize<JsonElement>($$$"""{"apiVersion":"{{{group}}}/v1beta1","kind":"{{{kind}}}","metadata":{"name":"x"},"spec":{}}""");
            var created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonElement>(body, group, Version, "kube-system", plural);
            Assert.Equal(kind, created.GetProperty("kind").GetString());
            var all = await _client.CustomObjects.ListClusterCustomObjectAsync<JsonElement>(group, Version, plural);
            Assert.Equal(1, all.GetProperty("items").GetArrayLength());
        }
    }
}
