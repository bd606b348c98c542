using System.Text;
using System.Text.Json;
using CapiUpgrade.Simulator.Fleet;
using Xunit.Abstractions;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>`kubectl get machines,nodes` shows a coherent fleet of 50 clusters with simulated etcd.</summary>
public sealed class FleetScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kubectl_sees_a_coherent_fleet_of_fifty_clusters()
    {
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions { Clusters = 50, Etcd = FleetEtcd.Simulated });
        output.WriteLine($"50 clusters started in {fleet.StartupTime.TotalSeconds:F1}s");
        using var kubectl = new Kubectl();
        var machines = await kubectl.RunAsync(fleet.ManagementKubeconfig, "get", "machines.cluster.x-k8s.io", "-A", "-o", "json");
        Assert.True(machines.ExitCode == 0, machines.Output);
        var items = JsonDocument.Parse(machines.Output).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(150, items.Count);
        Assert.All(items, m => Assert.Equal("Running", m.GetProperty("status").GetProperty("phase").GetString()));
        Assert.Equal(4, items.Select(m => m.GetProperty("metadata").GetProperty("namespace").GetString()).Distinct().Count());

        var byCluster = items.GroupBy(m => (Ns: m.GetProperty("metadata").GetProperty("namespace").GetString()!, Cluster: m.GetProperty("spec").GetProperty("clusterName").GetString()!)).ToList();
        Assert.Equal(50, byCluster.Count);
        var secrets = await kubectl.RunAsync(fleet.ManagementKubeconfig, "get", "secrets", "-A", "-o", "json");
        Assert.True(secrets.ExitCode == 0, secrets.Output);
        var kubeconfigs = JsonDocument.Parse(secrets.Output).RootElement.GetProperty("items").EnumerateArray()
            .Where(s => s.GetProperty("metadata").GetProperty("name").GetString()!.EndsWith("-kubeconfig", StringComparison.Ordinal))
            .ToDictionary(s => (s.GetProperty("metadata").GetProperty("namespace").GetString()!, s.GetProperty("metadata").GetProperty("name").GetString()!),
                s => Encoding.UTF8.GetString(Convert.FromBase64String(s.GetProperty("data").GetProperty("value").GetString()!)));
        using var semaphore = new SemaphoreSlim(4);
        await Task.WhenAll(byCluster.Select(async group =>
        {
            await semaphore.WaitAsync();
            try
            {
                var workloadKubeconfig = kubeconfigs[(group.Key.Ns, $"{group.Key.Cluster}-kubeconfig")];
                var nodes = await kubectl.RunAsync(workloadKubeconfig, "get", "nodes", "-o", "json");
                Assert.True(nodes.ExitCode == 0, nodes.Output);
                var nodeItems = JsonDocument.Parse(nodes.Output).RootElement.GetProperty("items").EnumerateArray().ToList();
                var nodeNames = nodeItems.Select(n => n.GetProperty("metadata").GetProperty("name").GetString()).Order().ToList();
                var nodeRefs = group.Select(m => m.GetProperty("status").GetProperty("nodeRef").GetProperty("name").GetString()).Order().ToList();
                Assert.Equal(nodeRefs, nodeNames);
                Assert.All(nodeItems, n => Assert.Contains(n.GetProperty("status").GetProperty("conditions").EnumerateArray(),
                    c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True"));
                Assert.All(nodeItems, n => Assert.Equal("v1.29.4", n.GetProperty("status").GetProperty("nodeInfo").GetProperty("kubeletVersion").GetString()));
            }
            finally
            {
                semaphore.Release();
            }
        }));
    }
}
