using System.Net;
using System.Text.Json;
using CapiUpgrade.Simulator.ApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>The simulated API server driven by the real KubernetesClient over HTTP: typed core objects.</summary>
public sealed class KubernetesClientTests : IAsyncLifetime
{
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

    private static V1ConfigMap ConfigMap(string name, IDictionary<string, string>? labels = null, string value = "1") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = new Dictionary<string, string> { ["key"] = value },
    };

    internal static string Message(HttpOperationException e) =>
        JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("message").GetString()!;

    [Fact]
    public async Task Create_sets_uid_timestamp_and_increasing_resource_versions()
    {
        var a = await _client.CreateNamespacedConfigMapAsync(ConfigMap("a"), "default");
        var b = await _client.CreateNamespacedConfigMapAsync(ConfigMap("b"), "default");

        Assert.False(string.IsNullOrEmpty(a.Metadata.Uid));
        Assert.NotEqual(a.Metadata.Uid, b.Metadata.Uid);
        Assert.NotNull(a.Metadata.CreationTimestamp);
        Assert.True(long.Parse(b.Metadata.ResourceVersion) > long.Parse(a.Metadata.ResourceVersion));
        var read = await _client.ReadNamespacedConfigMapAsync("a", "default");
        Assert.Equal("1", read.Data["key"]);
        Assert.Equal(a.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Errors_are_status_objects_with_the_real_reasons()
    {
        await _client.CreateNamespacedConfigMapAsync(ConfigMap("dup"), "default");

        var exists = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CreateNamespacedConfigMapAsync(ConfigMap("dup"), "default"));
        Assert.Equal(HttpStatusCode.Conflict, exists.Response.StatusCode);
        var status = JsonDocument.Parse(exists.Response.Content).RootElement;
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal("Failure", status.GetProperty("status").GetString());
        Assert.Equal("AlreadyExists", status.GetProperty("reason").GetString());
        Assert.Equal(409, status.GetProperty("code").GetInt32());
        Assert.Equal("dup", status.GetProperty("details").GetProperty("name").GetString());
        Assert.Equal("configmaps", status.GetProperty("details").GetProperty("kind").GetString());

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReadNamespacedConfigMapAsync("nope", "default"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
        Assert.Equal("configmaps \"nope\" not found", Message(missing));

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CreateNamespacedConfigMapAsync(ConfigMap("Bad_Name"), "default"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        Assert.Contains("metadata.name: Invalid value: \"Bad_Name\"", Message(invalid));
        Assert.Equal("Invalid", JsonDocument.Parse(invalid.Response.Content).RootElement.GetProperty("reason").GetString());

        var noNamespace = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CreateNamespacedConfigMapAsync(ConfigMap("x"), "absent"));
        Assert.Equal(HttpStatusCode.NotFound, noNamespace.Response.StatusCode);
        Assert.Equal("namespaces \"absent\" not found", Message(noNamespace));
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_a_conflict()
    {
        var created = await _client.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default");
        var first = await _client.ReadNamespacedConfigMapAsync("c", "default");
        first.Data["key"] = "2";
        var updated = await _client.ReplaceNamespacedConfigMapAsync(first, "c", "default");
        Assert.True(long.Parse(updated.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));

        created.Data["key"] = "3"; // still carries the old resourceVersion
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReplaceNamespacedConfigMapAsync(created, "c", "default"));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Contains("\"reason\":\"Conflict\"", conflict.Response.Content);
        Assert.Contains("the object has been modified", Message(conflict));
        Assert.Equal("2", (await _client.ReadNamespacedConfigMapAsync("c", "default")).Data["key"]);
    }

    [Fact]
    public async Task Generate_name_appends_a_random_suffix()
    {
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "gen-" } };
        var a = await _client.CreateNamespacedConfigMapAsync(cm, "default");
        var b = await _client.CreateNamespacedConfigMapAsync(cm, "default");
        Assert.StartsWith("gen-", a.Metadata.Name);
        Assert.Equal(9, a.Metadata.Name.Length);
        Assert.NotEqual(a.Metadata.Name, b.Metadata.Name);
    }

    [Fact]
    public async Task List_filters_by_label_and_field_selectors_and_pages_with_continue()
    {
        await _client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "sel" } });
        for (var i = 0; i < 7; i++)
        {
            var labels = new Dictionary<string, string> { ["app"] = i % 2 == 0 ? "even" : "odd", ["n"] = i.ToString() };
            if (i == 3) labels["special"] = "yes";
            await _client.CreateNamespacedConfigMapAsync(ConfigMap($"cm-{i}", labels), "sel");
        }

        async Task<List<string>> Names(string? label = null, string? field = null) =>
            (await _client.ListNamespacedConfigMapAsync("sel", labelSelector: label, fieldSelector: field)).Items.Select(c => c.Metadata.Name).ToList();

        Assert.Equal(["cm-0", "cm-2", "cm-4", "cm-6"], await Names("app=even"));
        Assert.Equal(["cm-0", "cm-2", "cm-4", "cm-6"], await Names("app==even"));
        Assert.Equal(["cm-1", "cm-3", "cm-5"], await Names("app!=even"));
        Assert.Equal(["cm-1", "cm-2"], await Names("n in (1,2)"));
        Assert.Equal(["cm-3", "cm-5"], await Names("app=odd,n notin (1)"));
        Assert.Equal(["cm-3"], await Names("special"));
        Assert.Equal(6, (await Names("!special")).Count);
        Assert.Equal(["cm-5"], await Names(field: "metadata.name=cm-5"));
        Assert.Equal(["cm-5"], await Names(field: "metadata.namespace=sel,metadata.name=cm-5"));
        var bad = await Assert.ThrowsAsync<HttpOperationException>(() => Names(field: "data.key=1"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Response.StatusCode);

        var all = await _client.ListConfigMapForAllNamespacesAsync(labelSelector: "app");
        Assert.Equal(7, all.Items.Count);

        var pages = new List<string>();
        string? token = null;
        var calls = 0;
        do
        {
            var page = await _client.ListNamespacedConfigMapAsync("sel", limit: 3, continueParameter: token);
            pages.AddRange(page.Items.Select(i => i.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            calls++;
        } while (!string.IsNullOrEmpty(token));
        Assert.Equal(3, calls);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm-{i}"), pages);
    }

    [Fact]
    public async Task Delete_of_an_object_with_a_finalizer_waits_until_the_finalizer_is_removed()
    {
        var cm = ConfigMap("held");
        cm.Metadata.Finalizers = ["example.com/hold"];
        await _client.CreateNamespacedConfigMapAsync(cm, "default");

        await _client.DeleteNamespacedConfigMapAsync("held", "default");
        var held = await _client.ReadNamespacedConfigMapAsync("held", "default");
        Assert.NotNull(held.Metadata.DeletionTimestamp);

        var patch = new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch);
        await _client.PatchNamespacedConfigMapAsync(patch, "held", "default");
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReadNamespacedConfigMapAsync("held", "default"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Garbage_collection_follows_owner_references_and_the_propagation_policy()
    {
        async Task<V1ConfigMap> Owned(string name, V1ConfigMap owner, string[]? finalizers = null)
        {
            var cm = ConfigMap(name);
            cm.Metadata.Finalizers = finalizers;
            cm.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, BlockOwnerDeletion = true, Controller = true }];
            return await _client.CreateNamespacedConfigMapAsync(cm, "default");
        }
        async Task<bool> Exists(string name) => (await _client.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=" + name)).Items.Count == 1;

        // background (default): the dependent goes with its owner
        var owner = await _client.CreateNamespacedConfigMapAsync(ConfigMap("owner"), "default");
        await Owned("child", owner);
        await _client.DeleteNamespacedConfigMapAsync("owner", "default");
        Assert.False(await Exists("owner"));
        Assert.False(await Exists("child"));

        // orphan: the dependent stays, without the owner reference
        owner = await _client.CreateNamespacedConfigMapAsync(ConfigMap("owner2"), "default");
        await Owned("orphan", owner);
        await _client.DeleteNamespacedConfigMapAsync("owner2", "default", propagationPolicy: "Orphan");
        Assert.False(await Exists("owner2"));
        var orphan = await _client.ReadNamespacedConfigMapAsync("orphan", "default");
        Assert.True(orphan.Metadata.OwnerReferences is null or { Count: 0 });

        // foreground: the owner waits (foregroundDeletion) while a dependent is held by its finalizer
        owner = await _client.CreateNamespacedConfigMapAsync(ConfigMap("owner3"), "default");
        await Owned("slow-child", owner, ["example.com/hold"]);
        await _client.DeleteNamespacedConfigMapAsync("owner3", "default", body: new V1DeleteOptions { PropagationPolicy = "Foreground" });
        var waiting = await _client.ReadNamespacedConfigMapAsync("owner3", "default");
        Assert.NotNull(waiting.Metadata.DeletionTimestamp);
        Assert.Contains("foregroundDeletion", waiting.Metadata.Finalizers);
        Assert.NotNull((await _client.ReadNamespacedConfigMapAsync("slow-child", "default")).Metadata.DeletionTimestamp);
        await _client.PatchNamespacedConfigMapAsync(new V1Patch("[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]", V1Patch.PatchType.JsonPatch), "slow-child", "default");
        Assert.False(await Exists("slow-child"));
        Assert.False(await Exists("owner3"));
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_its_contents()
    {
        await _client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await _client.CreateNamespacedConfigMapAsync(ConfigMap("x"), "doomed");
        await _client.DeleteNamespaceAsync("doomed");
        Assert.Empty((await _client.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.namespace=doomed")).Items);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReadNamespaceAsync("doomed"));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Requests_are_counted_by_verb_and_resource()
    {
        _server.Requests.Reset();
        await _client.CreateNamespacedConfigMapAsync(ConfigMap("counted"), "default");
        await _client.ReadNamespacedConfigMapAsync("counted", "default");
        await _client.ListNamespacedConfigMapAsync("default");
        await _client.ListNamespacedConfigMapAsync("default");
        Assert.Equal(1, _server.Requests.Count("create", "configmaps"));
        Assert.Equal(1, _server.Requests.Count("get", "configmaps"));
        Assert.Equal(2, _server.Requests.Count("list", "configmaps"));
        Assert.Equal(4, _server.Requests.Count(resource: "configmaps"));
    }

    [Fact]
    public async Task Rbac_names_may_contain_colons_and_dry_run_is_refused_not_written()
    {
        var role = await _client.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "kubeadm:kubelet-config" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["kubelet-config"], Verbs = ["get"] }],
        }, "kube-system");
        Assert.Equal("kubeadm:kubelet-config", role.Metadata.Name);

        var dryRun = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CreateNamespacedConfigMapAsync(ConfigMap("dry"), "default", dryRun: "All"));
        Assert.Equal(HttpStatusCode.BadRequest, dryRun.Response.StatusCode);
        Assert.Contains("dryRun", Message(dryRun));
        Assert.Empty((await _client.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=dry")).Items);
    }
}
