using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>A simulated fleet for one test, with its management kubeconfig on disk and a scratch folder for journals.</summary>
public sealed class FleetUnderTest : IAsyncDisposable
{
    private FleetUnderTest(SimulatedFleet fleet, string dir, string kubeconfig)
    {
        Fleet = fleet;
        Directory = dir;
        Kubeconfig = kubeconfig;
    }

    public SimulatedFleet Fleet { get; }
    public string Directory { get; }
    public string Kubeconfig { get; }
    public string Db => Path.Combine(Directory, "journal.db");
    public SimulatedCluster Cluster => Fleet.Clusters[0];

    public static async Task<FleetUnderTest> StartAsync(SimulatedFleetOptions options)
    {
        var dir = Path.Combine(Path.GetTempPath(), "capi-upgrade-it-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        // The management server validates every write against the real CAPI v1.10.10 CRDs, strictly.
        var fleet = await SimulatedFleet.StartAsync(options with
        {
            Keys = options.Keys ?? RsaKeySource.Pooled(4),
            CrdDirectory = CapiCrds.Folder,
            StrictFieldValidation = true,
        });
        var kubeconfig = Path.Combine(dir, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);
        return new FleetUnderTest(fleet, dir, kubeconfig);
    }

    /// <summary>Objects of a kind in the management cluster, as the simulator stores them.</summary>
    public IReadOnlyList<JsonObject> List(string group, string version, string plural, string? ns = null, string? labelSelector = null)
    {
        var type = Fleet.Management.Registry.Find(group, version, plural) ?? throw new InvalidOperationException($"{plural}.{group} is not served");
        return Fleet.Management.Store.ListObjects(type, ns, labelSelector);
    }

    public IReadOnlyList<JsonObject> ControlPlaneMachines(SimulatedCluster cluster) =>
        List("cluster.x-k8s.io", "v1beta1", "machines", cluster.Namespace, $"cluster.x-k8s.io/cluster-name={cluster.Name},cluster.x-k8s.io/control-plane");

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
