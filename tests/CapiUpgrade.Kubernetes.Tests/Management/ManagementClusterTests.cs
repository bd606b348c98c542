using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Simulator.ApiServer;

namespace CapiUpgrade.Kubernetes.Tests.Management;

/// <summary>The management API adapter against the simulated kube-apiserver over HTTP (real KubernetesClient).</summary>
public sealed class ManagementClusterTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private ManagementClusterAccess _access = null!;
    private IManagementCluster Api => _access.Api;
    private const string Ns = "default";

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync();
        _access = ManagementClusterAccess.FromConfiguration(new k8s.KubernetesClientConfiguration { Host = _server.Url }, options: new KubernetesAccessOptions
        {
            Api = new RetryOptions { MaxAttempts = 6, InitialDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) },
        });
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Create_or_get_creates_once_and_then_returns_the_existing_object()
    {
        var first = await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None);
        Assert.True(first.Created);
        Assert.NotNull(first.Object["metadata"]!["uid"]);

        var second = await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1", version: "v1.30.0"), CancellationToken.None);
        Assert.False(second.Created);
        Assert.Equal(CapiObjects.Uid(first.Object), CapiObjects.Uid(second.Object));
        Assert.Equal("v1.29.4", second.Object["spec"]!["version"]!.GetValue<string>());

        var read = await Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None);
        Assert.Equal("Machine", read!["kind"]!.GetValue<string>());
        Assert.Null(await Api.GetAsync(ResourceKind.Machine, Ns, "absent", CancellationToken.None));
    }

    [Fact]
    public async Task Any_infrastructure_kind_is_reached_from_a_reference()
    {
        var machine = CapiObjects.Machine(Ns, "c1", "m-1");
        var reference = machine["spec"]!["infrastructureRef"]!;
        var kind = ResourceKind.FromApiVersionAndKind(reference["apiVersion"]!.GetValue<string>(), reference["kind"]!.GetValue<string>());
        var created = await Api.CreateOrGetAsync(kind, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "m-1", ["namespace"] = Ns },
            ["spec"] = new JsonObject { ["customImage"] = "kindest/node:v1.29.4" },
        }, CancellationToken.None);
        Assert.True(created.Created);
        Assert.Equal("DockerMachine", created.Object["kind"]!.GetValue<string>());
        Assert.Single(await Api.ListAsync(ResourceKind.DockerMachine, Ns, null, CancellationToken.None));
    }

    [Fact]
    public async Task Update_reapplies_the_mutation_to_a_fresh_object_after_a_conflict()
    {
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None);
        var machines = _server.Registry.Find("cluster.x-k8s.io", "v1beta1", "machines")!;
        var calls = 0;
        var updated = await Api.UpdateAsync(ResourceKind.Machine, Ns, "m-1", machine =>
        {
            calls++;
            if (calls == 1)
            {
                // Someone else writes between our read and our write: our PUT carries a stale resourceVersion.
                _server.Store.Patch(machines, Ns, "m-1", m =>
                {
                    m["metadata"]!.AsObject()["annotations"] = new JsonObject { ["other-writer"] = "was-here" };
                    return m;
                });
            }
            machine["spec"]!["version"] = "v1.30.2";
            return true;
        }, CancellationToken.None);

        Assert.Equal(2, calls);
        Assert.Equal("v1.30.2", updated!["spec"]!["version"]!.GetValue<string>());
        Assert.Equal("was-here", updated["metadata"]!["annotations"]!["other-writer"]!.GetValue<string>());
        Assert.Equal(1, _server.Requests.Count("update", "machines.cluster.x-k8s.io") - 1);
    }

    [Fact]
    public async Task Update_without_change_writes_nothing_and_a_missing_object_is_null()
    {
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None);
        var unchanged = await Api.UpdateAsync(ResourceKind.Machine, Ns, "m-1", _ => false, CancellationToken.None);
        Assert.NotNull(unchanged);
        Assert.Equal(0, _server.Requests.Count("update", "machines.cluster.x-k8s.io"));
        Assert.Null(await Api.UpdateAsync(ResourceKind.Machine, Ns, "absent", _ => true, CancellationToken.None));
    }

    [Fact]
    public async Task Replace_with_a_stale_resourceVersion_is_a_conflict_not_an_overwrite()
    {
        var created = (await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None)).Object;
        await Api.MergePatchAsync(ResourceKind.Machine, Ns, "m-1", new JsonObject { ["spec"] = new JsonObject { ["version"] = "v1.29.5" } }, CancellationToken.None);
        created["spec"]!["version"] = "v1.30.0";
        var e = await Assert.ThrowsAsync<KubernetesApiException>(() => Api.ReplaceAsync(ResourceKind.Machine, created, CancellationToken.None));
        Assert.True(e.IsConflict);
        Assert.Contains("Machine default/m-1", e.Message);
        Assert.Equal("v1.29.5", (await Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None))!["spec"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Merge_and_json_patches_apply_and_a_failed_json_test_is_reported()
    {
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None);
        var merged = await Api.MergePatchAsync(ResourceKind.Machine, Ns, "m-1",
            new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [CapiConventions.UpgradePreTerminateHook] = "" } } }, CancellationToken.None);
        Assert.NotNull(merged!["metadata"]!["annotations"]![CapiConventions.UpgradePreTerminateHook]);

        var patched = await Api.JsonPatchAsync(ResourceKind.Machine, Ns, "m-1", new JsonArray(
            new JsonObject { ["op"] = "test", ["path"] = "/spec/version", ["value"] = "v1.29.4" },
            new JsonObject { ["op"] = "replace", ["path"] = "/spec/version", ["value"] = "v1.30.2" }), CancellationToken.None);
        Assert.Equal("v1.30.2", patched!["spec"]!["version"]!.GetValue<string>());

        await Assert.ThrowsAsync<KubernetesApiException>(() => Api.JsonPatchAsync(ResourceKind.Machine, Ns, "m-1", new JsonArray(
            new JsonObject { ["op"] = "test", ["path"] = "/spec/version", ["value"] = "v1.29.4" }), CancellationToken.None));
        Assert.Null(await Api.MergePatchAsync(ResourceKind.Machine, Ns, "absent", new JsonObject(), CancellationToken.None));
    }

    [Fact]
    public async Task Delete_reports_already_gone_as_false()
    {
        var created = (await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None)).Object;
        Assert.False(await Api.DeleteAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None, uid: "another-incarnation"));
        Assert.NotNull(await Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None));
        Assert.True(await Api.DeleteAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None, uid: CapiObjects.Uid(created)));
        Assert.False(await Api.DeleteAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None));
        Assert.Null(await Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None));
    }

    [Fact]
    public async Task Control_plane_machines_are_listed_by_label_for_their_cluster_only()
    {
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-cp-b"), CancellationToken.None);
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-cp-a"), CancellationToken.None);
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-worker", controlPlane: false), CancellationToken.None);
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c2", "c2-cp-a"), CancellationToken.None);
        _server.Requests.Reset();

        var machines = await Api.ListControlPlaneMachinesAsync(new ClusterKey(Ns, "c1"), CancellationToken.None);
        Assert.Equal(["c1-cp-a", "c1-cp-b"], machines.Select(CapiObjects.Name));
        Assert.Equal(1, _server.Requests.Total);
    }

    [Fact]
    public async Task A_claim_is_exclusive_names_its_holder_and_is_released_only_by_it()
    {
        var key = new ClusterKey(Ns, "c1");
        await Api.CreateOrGetAsync(ResourceKind.Cluster, CapiObjects.Cluster(Ns, "c1"), CancellationToken.None);

        var claimed = await Api.ClaimClusterAsync(key, "upgrade-a", CancellationToken.None);
        Assert.True(claimed.Succeeded, claimed.Message);
        Assert.True((await Api.ClaimClusterAsync(key, "upgrade-a", CancellationToken.None)).Succeeded);

        var refused = await Api.ClaimClusterAsync(key, "upgrade-b", CancellationToken.None);
        Assert.False(refused.Succeeded);
        Assert.Equal("upgrade-a", refused.Holder);
        Assert.Contains("upgrade-a", refused.Message);

        Assert.False((await Api.ReleaseClusterAsync(key, "upgrade-b", CancellationToken.None)).Succeeded);
        Assert.True((await Api.ReleaseClusterAsync(key, "upgrade-a", CancellationToken.None)).Succeeded);
        var cluster = await Api.GetAsync(ResourceKind.Cluster, Ns, "c1", CancellationToken.None);
        Assert.Null(cluster!["metadata"]!["annotations"]?[CapiConventions.UpgradeIdAnnotation]);
        Assert.True((await Api.ReleaseClusterAsync(key, "upgrade-a", CancellationToken.None)).Succeeded);

        Assert.True((await Api.ClaimClusterAsync(key, "upgrade-b", CancellationToken.None)).Succeeded);
        var missing = await Api.ClaimClusterAsync(new ClusterKey(Ns, "nope"), "upgrade-a", CancellationToken.None);
        Assert.True(missing.ClusterMissing);
        Assert.False(missing.Succeeded);
    }

    [Fact]
    public async Task Concurrent_claims_let_exactly_one_upgrade_win()
    {
        var key = new ClusterKey(Ns, "c1");
        await Api.CreateOrGetAsync(ResourceKind.Cluster, CapiObjects.Cluster(Ns, "c1"), CancellationToken.None);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Api.ClaimClusterAsync(key, $"upgrade-{i}", CancellationToken.None)));
        var winner = Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(winner.Holder, r.Holder));
    }

    [Fact]
    public async Task Certificate_secrets_survive_deleting_the_init_KubeadmConfig_once_reowned()
    {
        var key = new ClusterKey(Ns, "c1");
        await Api.CreateOrGetAsync(ResourceKind.Cluster, CapiObjects.Cluster(Ns, "c1"), CancellationToken.None);
        var init = (await Api.CreateOrGetAsync(ResourceKind.KubeadmConfig, CapiObjects.KubeadmConfig(Ns, "c1", "c1-init"), CancellationToken.None)).Object;
        var owner = new JsonObject
        {
            ["apiVersion"] = "bootstrap.cluster.x-k8s.io/v1beta1", ["kind"] = "KubeadmConfig", ["name"] = "c1-init",
            ["uid"] = CapiObjects.Uid(init), ["controller"] = true,
        };
        foreach (var suffix in new[] { "-ca", "-etcd", "-sa" })
            await Api.CreateOrGetAsync(ResourceKind.Secret, CapiObjects.Secret(Ns, "c1" + suffix, new Dictionary<string, string> { ["tls.crt"] = "x" }, owner.DeepClone().AsObject()), CancellationToken.None);

        var result = await Api.ReownCertificateSecretsAsync(key, CancellationToken.None);
        Assert.Equal(["c1-ca", "c1-etcd", "c1-sa"], result.Reowned);
        Assert.Equal(["c1-proxy"], result.Missing);
        var again = await Api.ReownCertificateSecretsAsync(key, CancellationToken.None);
        Assert.Empty(again.Reowned);
        Assert.Equal(3, again.AlreadyOwned.Count);

        Assert.True(await Api.DeleteAsync(ResourceKind.KubeadmConfig, Ns, "c1-init", CancellationToken.None));
        foreach (var suffix in new[] { "-ca", "-etcd", "-sa" })
        {
            var data = await Api.GetSecretDataAsync(Ns, "c1" + suffix, CancellationToken.None);
            Assert.NotNull(data);
            Assert.Equal("x", System.Text.Encoding.UTF8.GetString(data!["tls.crt"]));
        }
    }

    [Fact]
    public async Task Injected_server_errors_and_throttling_are_retried()
    {
        // 30% of GETs fail with 500, 30% of LISTs with 429 (Retry-After 0): with 12 attempts a call fails for
        // good with probability 0.3^12 ≈ 5e-7, so 40 calls succeed and some of them needed retries.
        await using var patient = ManagementClusterAccess.FromConfiguration(new k8s.KubernetesClientConfiguration { Host = _server.Url }, options: new KubernetesAccessOptions
        {
            Api = new RetryOptions { MaxAttempts = 12, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(10) },
        });
        await Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "m-1"), CancellationToken.None);
        _server.Faults.Add(new FaultRule { Verb = "get", Resource = "machines", ErrorCode = 500, Rate = 0.3 });
        _server.Faults.Add(new FaultRule { Verb = "list", Resource = "machines", ErrorCode = 429, Rate = 0.3, RetryAfterSeconds = 0 });
        for (var i = 0; i < 20; i++)
        {
            Assert.NotNull(await patient.Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None));
            Assert.Single(await patient.Api.ListAsync(ResourceKind.Machine, Ns, null, CancellationToken.None));
        }
        Assert.True(_server.Requests.Count("get", "machines.cluster.x-k8s.io") + _server.Requests.Count("list", "machines.cluster.x-k8s.io") > 40,
            "some calls failed and were retried");
    }

    [Fact]
    public async Task Persistent_errors_end_with_a_message_naming_the_object()
    {
        _server.Faults.Add(new FaultRule { Verb = "get", Resource = "machines", ErrorCode = 500 });
        var e = await Assert.ThrowsAsync<KubernetesApiException>(() => Api.GetAsync(ResourceKind.Machine, Ns, "m-1", CancellationToken.None));
        Assert.Contains("GET Machine default/m-1", e.Message);
        Assert.Contains("500", e.Message);
        Assert.Equal(6, _server.Requests.Count("get", "machines.cluster.x-k8s.io"));
    }
}
