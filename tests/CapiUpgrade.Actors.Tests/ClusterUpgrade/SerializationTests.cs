using Akka.Persistence.Journal;
using Akka.TestKit.Xunit2;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>Events and snapshots go through Akka's serializer into the SQL journal; they must come back equal.</summary>
public class SerializationTests : TestKit
{
    private static readonly ClusterKey Cluster = new("fleet", "alpha", "east");
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private T RoundTrip<T>(T value) where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(value);
        var bytes = serializer.ToBinary(value);
        return (T)Sys.Serialization.Deserialize(bytes, serializer.Identifier, serializer.IncludeManifest ? value.GetType() : null);
    }

    [Fact]
    public void Every_event_kind_round_trips()
    {
        var machines = new List<MachineReplacement> { new("cp-1", "cp-1", true, ReplacementStage.OldMachineDeleting, "cp-1-u", "cp-1-u") };
        IClusterUpgradeEvent[] events =
        {
            new UpgradeStarted(Cluster, "u1", "v1.31.0", UpgradeOptions.Default with { AllowSingleNode = true, MachineTimeout = TimeSpan.FromMinutes(3) }, "cli", At),
            new UpgradePlanned(Cluster, "u1", "v1.29.4", new[] { "v1.30.0", "v1.31.0" }, At),
            new HopPlanned(Cluster, "u1", 1, "v1.31.0", machines, new[] { "ghost" }, At),
            new StepStarted(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", 2, At),
            new StepSucceeded(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", "created", At, "cp-1-u", null),
            new StepFailed(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", "500", 1, At),
            new ReplacementFailed(Cluster, "u1", "cp-1", "cp-1-u", "never Ready", At),
            new UpgradePaused(Cluster, "u1", "why", "engine", UpgradeStep.Preflight, null, At),
            new UpgradeResumed(Cluster, "u1", "ops", At),
            new RetryRequested(Cluster, "u1", "ops", At),
            new AbortRequested(Cluster, "u1", "ops", At),
            new UpgradeRefused(Cluster, "u1", "claimed", At),
            new UpgradeSucceeded(Cluster, "u1", "v1.31.0", 3, At),
            new UpgradeAborted(Cluster, "u1", 1, At),
        };
        foreach (var e in events)
        {
            var back = RoundTrip<object>(e);
            Assert.IsType(e.GetType(), back);
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize<object>(e), System.Text.Json.JsonSerializer.Serialize(back));
        }
        var hop = (HopPlanned)RoundTrip<object>(events[2]);
        Assert.Equal(machines[0], hop.Machines[0]);
    }

    [Fact]
    public void A_state_snapshot_round_trips()
    {
        var d = ClusterUpgradeState.Empty(Cluster)
            .Apply(new UpgradeStarted(Cluster, "u1", "v1.30.2", UpgradeOptions.Default, "cli", At))
            .Apply(new UpgradePlanned(Cluster, "u1", "v1.29.4", new[] { "v1.30.2" }, At))
            .Apply(new HopPlanned(Cluster, "u1", 0, "v1.30.2", new[] { new MachineReplacement("cp-1", "cp-1", true) }, Array.Empty<string>(), At))
            .Apply(new StepStarted(Cluster, "u1", UpgradeStep.ClaimCluster, null, 0, At));
        var back = RoundTrip<object>(d);
        var state = Assert.IsType<ClusterUpgradeState>(back);
        Assert.Equal(d.InFlight, state.InFlight);
        Assert.Equal(d.Machines, state.Machines);
        Assert.Equal(d.Hops, state.Hops);
        Assert.Equal(d.Cluster, state.Cluster);
        Assert.Equal(d.NextStep, state.NextStep);
    }

}
