using System.Text.Json.Nodes;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Simulator.Fleet;
using Xunit.Abstractions;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>`capi-upgrade run` in-process against the simulated fleet with simulated etcd (over the real gRPC path).</summary>
public sealed class RunUpgradeTests(ITestOutputHelper output)
{
    private static RunOptions Options(FleetUnderTest f, SimulatedCluster c, string to) => new()
    {
        Kubeconfig = f.Kubeconfig,
        Cluster = new ClusterKey(c.Namespace, c.Name),
        To = to,
        Db = f.Db,
    };

    private async Task<(int Exit, string Output)> RunAsync(RunOptions options, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        var writer = new StringWriter();
        var exit = await UpgradeRun.RunAsync(options, writer, cts.Token);
        output.WriteLine(writer.ToString());
        return (exit, writer.ToString());
    }

    [Fact]
    public async Task Three_node_control_plane_is_upgraded_end_to_end()
    {
        await using var f = await FleetUnderTest.StartAsync(new SimulatedFleetOptions { Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(200), RandomSeed = 1 });
        var c = f.Cluster;
        var (exit, text) = await RunAsync(Options(f, c, "v1.30.2"));

        Assert.True(exit == RunExitCodes.Succeeded, text);
        Assert.Contains("not upgraded yet", text);
        await UpgradeAssertions.AssertUpgradedAsync(f, c, "v1.30.2");
    }

    [Fact]
    public async Task Three_node_control_plane_is_upgraded_with_etcd_reached_only_through_port_forwards()
    {
        await using var f = await FleetUnderTest.StartAsync(new SimulatedFleetOptions { Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(200), RandomSeed = 2 });
        var c = f.Cluster;
        var (exit, text) = await RunAsync(Options(f, c, "v1.30.2") with { EtcdAccess = Kubernetes.Management.EtcdAccess.PortForward });

        Assert.True(exit == RunExitCodes.Succeeded, text);
        await UpgradeAssertions.AssertUpgradedAsync(f, c, "v1.30.2");
        // Every member the engine talked to, the three old and the three that joined, through its etcd pod.
        var forwards = c.ApiServer.Requests.Count("create", "pods/portforward", Kubernetes.Api.KubernetesClients.UserAgentProduct);
        Assert.True(forwards >= 6, $"{forwards} port-forwards through the workload API server; expected one per member connection, at least 6");
    }
}
