using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Fleet;
using Xunit.Abstractions;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>
/// The upgrade against real etcd processes (TLS, client certificates), as few as TOOLCHAIN.md advises: once with
/// the members dialled, once reached through the workload API server's port-forward (real etcd's TLS and HTTP/2
/// over the forwarded stream).
/// </summary>
[Collection(RealEtcdCollection.Name)]
public sealed class RealEtcdTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(Kubernetes.Management.EtcdAccess.Direct)]
    [InlineData(Kubernetes.Management.EtcdAccess.PortForward)]
    public async Task Three_node_control_plane_with_real_TLS_etcd_is_upgraded_end_to_end(Kubernetes.Management.EtcdAccess access)
    {
        Assert.True(RealEtcdCluster.IsAvailable(), "etcd is not on PATH: install Debian etcd-server (tests/run-all.sh does)");
        await using var f = await FleetUnderTest.StartAsync(new SimulatedFleetOptions { Etcd = FleetEtcd.Real, ProvisionDelay = TimeSpan.FromMilliseconds(300), RandomSeed = 5 });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var writer = new StringWriter();
        var exit = await UpgradeRun.RunAsync(new RunOptions
        {
            Kubeconfig = f.Kubeconfig, Cluster = new ClusterKey(f.Cluster.Namespace, f.Cluster.Name), To = "v1.30.2", Db = f.Db, EtcdAccess = access,
        }, writer, cts.Token);
        output.WriteLine(writer.ToString());
        Assert.True(exit == RunExitCodes.Succeeded, writer.ToString());
        await UpgradeAssertions.AssertUpgradedAsync(f, f.Cluster, "v1.30.2");
        var forwards = f.Cluster.ApiServer.Requests.Count("create", "pods/portforward", Kubernetes.Api.KubernetesClients.UserAgentProduct);
        if (access == Kubernetes.Management.EtcdAccess.PortForward) Assert.True(forwards >= 6, $"{forwards} port-forwards; expected one per member connection, at least 6");
        else Assert.Equal(0, forwards);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealEtcdCollection
{
    public const string Name = "real etcd";
}
