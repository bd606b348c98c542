using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Tests.ApiServer;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>The fleet's objects and the controller's writes are valid against the real CAPI v1.10.10 CRDs.</summary>
public sealed class FleetCrdValidationTests
{
    [Fact]
    public async Task Seeded_objects_and_a_provisioned_join_machine_pass_the_real_crd_schemas()
    {
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 1, Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(100), CrdDirectory = TestPaths.CapiCrds,
        });
        using var management = FleetClients.Management(fleet);
        var cluster = fleet.Clusters[0];
        var name = cluster.Name + "-validated";
        await FleetClients.CreateJoinMachineAsync(management, cluster.Namespace, cluster.Name, name, "v1.29.4");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(management, cluster.Namespace, name)) == "Running",
            "the join Machine to be Running under CRD validation");
        var machine = (await FleetClients.MachineAsync(management, cluster.Namespace, name))!.Value;
        Assert.Equal(name, machine.GetProperty("status").GetProperty("nodeRef").GetProperty("name").GetString());
        Assert.Empty(fleet.Controller.Errors);
    }
}
