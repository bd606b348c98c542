using System.Text;
using System.Text.Json;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;
using Etcdserverpb;
using k8s;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>The fleet with simulated etcd, seen only through public APIs (KubernetesClient, dotnet-etcd with a minted cert).</summary>
public sealed class SimulatedFleetTests : IAsyncLifetime
{
    private SimulatedFleet _fleet = null!;
    private Kubernetes _management = null!;

    public async Task InitializeAsync()
    {
        _fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 2, Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(200), RandomSeed = 7,
            Keys = Pki.RsaKeySource.Shared,
        });
        _management = FleetClients.Management(_fleet);
    }

    public async Task DisposeAsync()
    {
        _management.Dispose();
        await _fleet.DisposeAsync();
    }

    [Fact]
    public async Task Each_cluster_is_created_as_capi_and_kubeadm_leave_it()
    {
        var clusters = await _management.CustomObjects.ListClusterCustomObjectAsync<JsonElement>("cluster.x-k8s.io", "v1beta1", "clusters");
        Assert.Equal(2, clusters.GetProperty("items").GetArrayLength());
        var cluster = _fleet.Clusters[0];
        var machines = await _management.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>("cluster.x-k8s.io", "v1beta1", cluster.Namespace, "machines",
            labelSelector: $"cluster.x-k8s.io/cluster-name={cluster.Name},cluster.x-k8s.io/control-plane");
        var items = machines.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(3, items.Count);
        Assert.All(items, m =>
        {
            Assert.Equal("Running", m.GetProperty("status").GetProperty("phase").GetString());
            Assert.Equal("v1.29.4", m.GetProperty("spec").GetProperty("version").GetString());
            Assert.False(m.GetProperty("metadata").TryGetProperty("ownerReferences", out var owners)
                && owners.EnumerateArray().Any(o => o.GetProperty("kind").GetString() == "KubeadmControlPlane"));
        });

        // init config owns the certificate secrets
        var init = await FleetClients.GetAsync(_management, "bootstrap.cluster.x-k8s.io", "kubeadmconfigs", cluster.Namespace, cluster.InitialMachines[0]);
        Assert.True(init!.Value.GetProperty("spec").TryGetProperty("initConfiguration", out _));
        foreach (var suffix in new[] { "ca", "etcd", "sa", "proxy" })
        {
            var secret = await _management.ReadNamespacedSecretAsync($"{cluster.Name}-{suffix}", cluster.Namespace);
            var owner = Assert.Single(secret.Metadata.OwnerReferences);
            Assert.Equal("KubeadmConfig", owner.Kind);
            Assert.Equal(cluster.InitialMachines[0], owner.Name);
            Assert.True(owner.Controller);
            Assert.Contains("RSA PRIVATE KEY", Encoding.UTF8.GetString(secret.Data["tls.key"]));
        }

        // workload cluster: kubeadm objects, Ready nodes, static pods
        using var workload = await FleetClients.WorkloadAsync(_management, cluster.Namespace, cluster.Name);
        var kubeadm = await workload.ReadNamespacedConfigMapAsync("kubeadm-config", "kube-system");
        Assert.Contains("kubernetesVersion: v1.29.4", kubeadm.Data["ClusterConfiguration"]);
        Assert.NotNull(await workload.ReadNamespacedConfigMapAsync("kubelet-config", "kube-system"));
        Assert.NotNull(await workload.ReadNamespacedRoleAsync("kubeadm:kubelet-config", "kube-system"));
        var nodes = await workload.ListNodeAsync();
        Assert.Equal(3, nodes.Items.Count);
        Assert.All(nodes.Items, n =>
        {
            Assert.True(FleetClients.IsReady(n));
            Assert.Equal("v1.29.4", n.Status.NodeInfo.KubeletVersion);
            Assert.True(n.Metadata.Labels.ContainsKey("node-role.kubernetes.io/control-plane"));
            Assert.StartsWith("docker:////", n.Spec.ProviderID);
        });
        var pods = await workload.ListNamespacedPodAsync("kube-system");
        Assert.Equal(12, pods.Items.Count);
        Assert.All(pods.Items, p => Assert.True(FleetClients.IsReady(p)));
        Assert.NotNull(await workload.ReadNamespacedDaemonSetAsync("kube-proxy", "kube-system"));
        Assert.Contains("coredns", (await workload.ReadNamespacedDeploymentAsync("coredns", "kube-system")).Spec.Template.Spec.Containers[0].Image);

        // the workload API server requires the kubeconfig's client certificate
        var caSecret = await _management.ReadNamespacedSecretAsync($"{cluster.Name}-ca", cluster.Namespace);
        using var anonymous = new Kubernetes(new KubernetesClientConfiguration
        {
            Host = cluster.ApiServerUrl,
            SslCaCerts = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(
                System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(caSecret.Data["tls.crt"]))),
        });
        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => anonymous.ListNodeAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.Response.StatusCode);

        // etcd through the advertised client URLs with a certificate minted from <cluster>-etcd
        using var etcd = await FleetClients.EtcdAsync(_management, cluster.Namespace, cluster.Name);
        var members = await etcd.MemberListAsync(new MemberListRequest());
        Assert.Equal(cluster.InitialMachines.Order(), members.Members.Select(m => m.Name).Order());
        Assert.All(members.Members, m => Assert.False(m.IsLearner));
    }

    [Fact]
    public async Task A_join_machine_boots_its_custom_image_version_and_its_etcd_member_joins_as_learner_then_voter()
    {
        var cluster = _fleet.Clusters[1];
        await FleetClients.CreateJoinMachineAsync(_management, cluster.Namespace, cluster.Name, $"{cluster.Name}-new", "v1.30.2", customImage: "kindest/node:v1.29.4");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(_management, cluster.Namespace, $"{cluster.Name}-new")) == "Running",
            "the join Machine to be Running", TimeSpan.FromSeconds(30));

        var machine = await FleetClients.MachineAsync(_management, cluster.Namespace, $"{cluster.Name}-new");
        Assert.Equal($"{cluster.Name}-new", machine!.Value.GetProperty("status").GetProperty("nodeRef").GetProperty("name").GetString());
        Assert.Equal($"docker:////{cluster.Name}-new", machine.Value.GetProperty("spec").GetProperty("providerID").GetString());
        using var workload = await FleetClients.WorkloadAsync(_management, cluster.Namespace, cluster.Name);
        var node = await workload.ReadNodeAsync($"{cluster.Name}-new");
        Assert.True(FleetClients.IsReady(node));
        Assert.Equal("v1.29.4", node.Status.NodeInfo.KubeletVersion);
        var etcdPod = await workload.ReadNamespacedPodAsync($"etcd-{cluster.Name}-new", "kube-system");

        using var etcd = await FleetClients.EtcdAsync(_management, cluster.Namespace, cluster.Name);
        var members = await etcd.MemberListAsync(new MemberListRequest());
        var joined = Assert.Single(members.Members, m => m.Name == $"{cluster.Name}-new");
        Assert.False(joined.IsLearner);
        Assert.Equal(etcdPod.Metadata.Annotations[WorkloadObjects.EtcdAdvertiseAnnotation], joined.ClientURLs[0]);
        Assert.Contains(_fleet.Observer.History(cluster.Key), s => s.Learners == 1);
        Assert.Equal(4, _fleet.Observer.Latest(cluster.Key)!.Voters);
    }

    [Fact]
    public async Task A_join_machines_static_pods_report_Ready_before_its_Node_turns_Ready()
    {
        var cluster = _fleet.Clusters[0];
        var name = $"{cluster.Name}-pods-first";
        await FleetClients.CreateJoinMachineAsync(_management, cluster.Namespace, cluster.Name, name, "v1.30.2");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(_management, cluster.Namespace, name)) == "Running",
            "the join Machine to be Running", TimeSpan.FromSeconds(30));

        using var workload = await FleetClients.WorkloadAsync(_management, cluster.Namespace, cluster.Name);
        var node = await workload.ReadNodeAsync(name);
        Assert.True(FleetClients.IsReady(node));
        // The API server drops a created pod's status; the simulated kubelet reports it right after, before the
        // Node's Ready (resourceVersions grow with every write): a waiter never sees a Ready Node with Pending pods.
        foreach (var component in WorkloadObjects.StaticPodComponents)
        {
            var pod = await workload.ReadNamespacedPodAsync($"{component}-{name}", "kube-system");
            Assert.Contains(pod.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
            Assert.True(long.Parse(pod.Metadata.ResourceVersion) < long.Parse(node.Metadata.ResourceVersion),
                $"{component} pod written at resourceVersion {pod.Metadata.ResourceVersion}, after the Node's Ready at {node.Metadata.ResourceVersion}");
        }
    }

    [Fact]
    public async Task Deleting_a_machine_runs_hooks_and_drain_stops_its_member_and_leaves_it_stale()
    {
        var cluster = _fleet.Clusters[0];
        var victim = cluster.InitialMachines[2];
        await FleetClients.PatchMachineAsync(_management, cluster.Namespace, victim, new
        {
            metadata = new
            {
                annotations = new Dictionary<string, string>
                {
                    ["pre-drain.delete.hook.machine.cluster.x-k8s.io/test"] = "",
                    ["pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"] = "",
                },
            },
        });
        await _management.CustomObjects.DeleteNamespacedCustomObjectAsync("cluster.x-k8s.io", "v1beta1", cluster.Namespace, "machines", victim);

        await Eventually.TrueAsync(async () => FleetClients.Condition(await FleetClients.MachineAsync(_management, cluster.Namespace, victim), "PreDrainDeleteHookSucceeded")
            is { } c && c.GetProperty("status").GetString() == "False", "the pre-drain hook to hold the Machine");
        using var workload = await FleetClients.WorkloadAsync(_management, cluster.Namespace, cluster.Name);
        Assert.NotEqual(true, (await workload.ReadNodeAsync(victim)).Spec.Unschedulable);

        await FleetClients.PatchMachineAsync(_management, cluster.Namespace, victim, new { metadata = new { annotations = new Dictionary<string, string?> { ["pre-drain.delete.hook.machine.cluster.x-k8s.io/test"] = null } } });
        await Eventually.TrueAsync(async () => FleetClients.Condition(await FleetClients.MachineAsync(_management, cluster.Namespace, victim), "PreTerminateDeleteHookSucceeded")
            is { } c && c.GetProperty("status").GetString() == "False" && c.GetProperty("reason").GetString() == "WaitingExternalHook", "the pre-terminate hook to hold the Machine");
        Assert.True((await workload.ReadNodeAsync(victim)).Spec.Unschedulable);
        Assert.Equal("Deleting", FleetClients.Phase(await FleetClients.MachineAsync(_management, cluster.Namespace, victim)));
        Assert.True(cluster.Etcd.Processes.Single(p => p.Name == victim).IsRunning);

        await FleetClients.PatchMachineAsync(_management, cluster.Namespace, victim, new { metadata = new { annotations = new Dictionary<string, string?> { ["pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"] = null } } });
        await Eventually.TrueAsync(async () => await FleetClients.MachineAsync(_management, cluster.Namespace, victim) is null, "the Machine to be gone");
        Assert.Null(await FleetClients.GetAsync(_management, "infrastructure.cluster.x-k8s.io", "dockermachines", cluster.Namespace, victim));
        Assert.Null(await FleetClients.GetAsync(_management, "bootstrap.cluster.x-k8s.io", "kubeadmconfigs", cluster.Namespace, victim));
        Assert.DoesNotContain((await workload.ListNodeAsync()).Items, n => n.Metadata.Name == victim);

        using var etcd = await FleetClients.EtcdAsync(_management, cluster.Namespace, cluster.Name, cluster.InitialMachines.Take(2).Select(m => cluster.Etcd.ClientUrlOf(m)!));
        Assert.Contains((await etcd.MemberListAsync(new MemberListRequest())).Members, m => m.Name == victim);
        await Eventually.TrueAsync(() => _fleet.Observer.ViolationsOf(cluster.Key).Any(v => v.Kind == InvariantKind.StaleMember && v.Message.Contains(victim)),
            "the observer to report the stale member");
        Assert.Equal(2, _fleet.Observer.Latest(cluster.Key)!.HealthyVoters);
        Assert.True(_fleet.Observer.Latest(cluster.Key)!.HasQuorum);
    }

    [Fact]
    public async Task Deleting_the_init_kubeadm_config_garbage_collects_the_certificate_secrets()
    {
        var cluster = _fleet.Clusters[1];
        await _management.CustomObjects.DeleteNamespacedCustomObjectAsync("bootstrap.cluster.x-k8s.io", "v1beta1", cluster.Namespace, "kubeadmconfigs", cluster.InitialMachines[0]);
        await Eventually.TrueAsync(async () =>
        {
            var secrets = await _management.ListNamespacedSecretAsync(cluster.Namespace, labelSelector: $"cluster.x-k8s.io/cluster-name={cluster.Name}");
            return !secrets.Items.Any(s => s.Metadata.Name is var n && (n == $"{cluster.Name}-ca" || n == $"{cluster.Name}-etcd" || n == $"{cluster.Name}-sa" || n == $"{cluster.Name}-proxy"));
        }, "garbage collection of the certificate secrets");
        Assert.NotNull(await _management.ReadNamespacedSecretAsync($"{cluster.Name}-kubeconfig", cluster.Namespace));
        await Eventually.TrueAsync(() => _fleet.Observer.ViolationsOf(cluster.Key).Any(v => v.Kind == InvariantKind.MissingSecret), "the observer to report missing secrets");
    }
}
