using System.Text;
using System.Text.Json;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Pki;
using dotnet_etcd;
using k8s;
using k8s.Models;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>Public-API access to a fleet, as the engine would have it: KubernetesClient from kubeconfigs, etcd with a certificate minted from the CA secret.</summary>
public static class FleetClients
{
    public static Kubernetes Management(SimulatedFleet fleet) => FromKubeconfig(fleet.ManagementKubeconfig);

    public static Kubernetes FromKubeconfig(string kubeconfig)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    /// <summary>The workload cluster's client from its `&lt;cluster&gt;-kubeconfig` secret.</summary>
    public static async Task<Kubernetes> WorkloadAsync(Kubernetes management, string ns, string cluster)
    {
        var secret = await management.ReadNamespacedSecretAsync($"{cluster}-kubeconfig", ns);
        return FromKubeconfig(Encoding.UTF8.GetString(secret.Data["value"]));
    }

    /// <summary>The etcd CA from `&lt;cluster&gt;-etcd` and a client certificate minted from it.</summary>
    public static async Task<(CertificateAuthority Ca, IssuedCertificate Client)> EtcdCredentialsAsync(Kubernetes management, string ns, string cluster)
    {
        var secret = await management.ReadNamespacedSecretAsync($"{cluster}-etcd", ns);
        var ca = CertificateAuthority.FromPem(Encoding.UTF8.GetString(secret.Data["tls.crt"]), Encoding.UTF8.GetString(secret.Data["tls.key"]));
        return (ca, ca.IssueClient("engine-test"));
    }

    /// <summary>Client URLs advertised by the etcd static pods of the workload cluster.</summary>
    public static async Task<List<string>> EtcdEndpointsAsync(Kubernetes workload)
    {
        var pods = await workload.ListNamespacedPodAsync("kube-system", labelSelector: "component=etcd");
        return pods.Items.Select(p => p.Metadata.Annotations[WorkloadObjects.EtcdAdvertiseAnnotation]).ToList();
    }

    public static async Task<EtcdClient> EtcdAsync(Kubernetes management, string ns, string cluster, IEnumerable<string>? endpoints = null)
    {
        var (ca, client) = await EtcdCredentialsAsync(management, ns, cluster);
        endpoints ??= await EtcdEndpointsAsync(await WorkloadAsync(management, ns, cluster));
        return EtcdClients.Connect(string.Join(',', endpoints), ca, client);
    }

    public static async Task<JsonElement?> GetAsync(Kubernetes client, string group, string plural, string ns, string name)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(group, "v1beta1", ns, plural, name);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static Task<JsonElement?> MachineAsync(Kubernetes client, string ns, string name) => GetAsync(client, "cluster.x-k8s.io", "machines", ns, name);

    public static string? Phase(JsonElement? machine) =>
        machine is { } m && m.TryGetProperty("status", out var s) && s.TryGetProperty("phase", out var p) ? p.GetString() : null;

    public static JsonElement? Condition(JsonElement? obj, string type)
    {
        if (obj is not { } o || !o.TryGetProperty("status", out var s) || !s.TryGetProperty("conditions", out var cs)) return null;
        foreach (var c in cs.EnumerateArray())
            if (c.GetProperty("type").GetString() == type) return c;
        return null;
    }

    public static bool IsReady(V1Node node) => node.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True");
    public static bool IsReady(V1Pod pod) => pod.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True");

    /// <summary>A control-plane join Machine with its KubeadmConfig (joinConfiguration.controlPlane) and DockerMachine, as an upgrader creates them.</summary>
    public static async Task CreateJoinMachineAsync(Kubernetes management, string ns, string cluster, string name, string version, string? customImage = null)
    {
        var labels = new Dictionary<string, object> { ["cluster.x-k8s.io/cluster-name"] = cluster, ["cluster.x-k8s.io/control-plane"] = "" };
        await management.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "bootstrap.cluster.x-k8s.io/v1beta1",
            ["kind"] = "KubeadmConfig",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
            ["spec"] = new Dictionary<string, object>
            {
                ["joinConfiguration"] = new Dictionary<string, object> { ["controlPlane"] = new Dictionary<string, object>(), ["nodeRegistration"] = new Dictionary<string, object>() },
            },
        }, "bootstrap.cluster.x-k8s.io", "v1beta1", ns, "kubeadmconfigs");
        await management.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "infrastructure.cluster.x-k8s.io/v1beta1",
            ["kind"] = "DockerMachine",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
            ["spec"] = customImage is null ? new Dictionary<string, object>() : new Dictionary<string, object> { ["customImage"] = customImage },
        }, "infrastructure.cluster.x-k8s.io", "v1beta1", ns, "dockermachines");
        await management.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
        {
            ["apiVersion"] = "cluster.x-k8s.io/v1beta1",
            ["kind"] = "Machine",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["namespace"] = ns, ["labels"] = labels, ["finalizers"] = new[] { "machine.cluster.x-k8s.io" } },
            ["spec"] = new Dictionary<string, object>
            {
                ["clusterName"] = cluster,
                ["version"] = version,
                ["bootstrap"] = new Dictionary<string, object> { ["configRef"] = new Dictionary<string, object> { ["apiVersion"] = "bootstrap.cluster.x-k8s.io/v1beta1", ["kind"] = "KubeadmConfig", ["name"] = name, ["namespace"] = ns } },
                ["infrastructureRef"] = new Dictionary<string, object> { ["apiVersion"] = "infrastructure.cluster.x-k8s.io/v1beta1", ["kind"] = "DockerMachine", ["name"] = name, ["namespace"] = ns },
            },
        }, "cluster.x-k8s.io", "v1beta1", ns, "machines");
    }

    public static Task PatchMachineAsync(Kubernetes management, string ns, string name, object patch) =>
        management.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch), "cluster.x-k8s.io", "v1beta1", ns, "machines", name);
}
