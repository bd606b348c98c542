using System.Text;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>
/// Events and snapshots go through Akka's serializer into the SQL journal, bound as hocon/engine.conf binds them:
/// they must come back equal, under the journal's own names, in the journal's own format.
/// </summary>
public class SerializationTests() : TestKit(EnginePersistenceExtensions.DefaultConfig)
{
    private static readonly ClusterKey Cluster = new("fleet", "alpha", "east");
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly MachineReplacement Replacing = new("cp-1", "cp-1", true, ReplacementStage.OldMachineDeleting, "cp-1-u", "cp-1-u");

    private static IEnumerable<object> Samples()
    {
        yield return new UpgradeStarted(Cluster, "u1", "v1.31.0", UpgradeOptions.Default with { AllowSingleNode = true, MachineTimeout = TimeSpan.FromMinutes(3), BootstrapPatch = "[]" }, "cli", At);
        yield return new UpgradePlanned(Cluster, "u1", "v1.29.4", ["v1.30.0", "v1.31.0"], At);
        yield return new HopPlanned(Cluster, "u1", 1, "v1.31.0", [Replacing, new MachineReplacement("cp-2", null, false)], ["ghost"], At);
        yield return new StepStarted(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", 2, At);
        yield return new StepSucceeded(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", "created", At, "cp-1-u", null);
        yield return new StepFailed(Cluster, "u1", UpgradeStep.CreateReplacement, "cp-1", "500", 1, At);
        yield return new ReplacementFailed(Cluster, "u1", "cp-1", "cp-1-u", "never Ready", At);
        yield return new UpgradePaused(Cluster, "u1", "why", "engine", UpgradeStep.Preflight, null, At);
        yield return new UpgradeResumed(Cluster, "u1", "ops", At);
        yield return new RetryRequested(Cluster, "u1", "ops", At);
        yield return new AbortRequested(Cluster, "u1", "ops", At);
        yield return new UpgradeRefused(Cluster, "u1", "claimed", At);
        yield return new UpgradeSucceeded(Cluster, "u1", "v1.31.0", 3, At);
        yield return new UpgradeAborted(Cluster, "u1", 1, At);
        yield return SomeState();
        yield return CampaignStarted;
        yield return new CampaignEvents.WaveApprovalRequested("c1", At, 1);
        yield return new CampaignEvents.WaveApproved("c1", At, 1, "ops");
        yield return new CampaignEvents.WaveStarted("c1", At, 1);
        yield return new CampaignEvents.ClusterScheduled("c1", At, "fleet/a", 0);
        yield return new CampaignEvents.ClusterUpgradeStarted("c1", At, "fleet/a", "u1");
        yield return new CampaignEvents.ClusterSucceeded("c1", At, "fleet/a");
        yield return new CampaignEvents.ClusterFailed("c1", At, "fleet/a", "paused: etcd unhealthy");
        yield return new CampaignEvents.ClusterTimedOut("c1", At, "fleet/a", "over 45m");
        yield return new CampaignEvents.ClusterSkipped("c1", At, "fleet/a", "ops");
        yield return new CampaignEvents.WaveCompleted("c1", At, 0, At.AddMinutes(10));
        yield return new CampaignEvents.WaveSoakSkipped("c1", At, 0, "ops");
        yield return new CampaignEvents.WaveFinished("c1", At, 0);
        yield return new CampaignEvents.Paused("c1", At, "engine", "failure budget exceeded", true);
        yield return new CampaignEvents.Resumed("c1", At, "ops", 3);
        yield return new CampaignEvents.Aborted("c1", At, "ops", "change freeze");
        yield return new CampaignEvents.Completed("c1", At);
        yield return SomeCampaignState();
    }

    private static readonly CampaignEvents.Started CampaignStarted = new("c1", At, "ops", "v1.31.0", 2, TimeSpan.FromMinutes(45),
        [new CampaignEvents.WaveDefinition(0, "canary", ["fleet/a", "east/fleet/b"], 1, TimeSpan.FromMinutes(10), true)],
        [new CampaignEvents.ClusterWindow("fleet/a", "Sat 02:00-06:00 UTC"), new CampaignEvents.ClusterWindow("east/fleet/b", null)],
        [new CampaignEvents.ExcludedCluster("fleet/c", "AlreadyAtTarget", "at v1.31.0")]);

    /// <summary>A campaign mid-wave, as its actor snapshots it: one cluster running, one scheduled, one excluded.</summary>
    private static CampaignState SomeCampaignState() =>
        new CampaignEvent[]
        {
            CampaignStarted,
            new CampaignEvents.WaveStarted("c1", At, 0),
            new CampaignEvents.ClusterScheduled("c1", At, "fleet/a", 0),
            new CampaignEvents.ClusterUpgradeStarted("c1", At, "fleet/a", "u1"),
            new CampaignEvents.ClusterScheduled("c1", At, "east/fleet/b", 0),
        }.Aggregate(CampaignState.Initial("c1"), CampaignStateMachine.Apply);

    private static ClusterUpgradeState SomeState() =>
        ClusterUpgradeState.Empty(Cluster)
            .Apply(new UpgradeStarted(Cluster, "u1", "v1.30.2", UpgradeOptions.Default, "cli", At))
            .Apply(new UpgradePlanned(Cluster, "u1", "v1.29.4", ["v1.30.2"], At))
            .Apply(new HopPlanned(Cluster, "u1", 0, "v1.30.2", [new MachineReplacement("cp-1", "cp-1", true)], [], At))
            .Apply(new StepStarted(Cluster, "u1", UpgradeStep.ClaimCluster, null, 0, At));

    private (Serializer Serializer, string Manifest, byte[] Bytes) Write(object value)
    {
        var serializer = Sys.Serialization.FindSerializerFor(value);
        return (serializer, Akka.Serialization.Serialization.ManifestFor(serializer, value), serializer.ToBinary(value));
    }

    private object Read(byte[] bytes, int serializerId, string manifest) => Sys.Serialization.Deserialize(bytes, serializerId, manifest);

    /// <summary>Records hold lists by reference: equal when they write the same JSON.</summary>
    private static string Json(object value) => Encoding.UTF8.GetString(JournalFormat.Write(value));

    [Fact]
    public void Every_journaled_kind_goes_through_the_journal_format_under_its_name_and_round_trips()
    {
        foreach (var value in Samples())
        {
            var (serializer, manifest, bytes) = Write(value);
            Assert.Equal(JournalSerializer.Id, serializer.Identifier);
            Assert.Equal(JournalFormat.NameOf(value.GetType()), manifest);
            var text = Encoding.UTF8.GetString(bytes);
            Assert.DoesNotContain("$type", text);
            Assert.DoesNotContain("CapiUpgrade.", text); // no CLR type names in the journal

            var back = Read(bytes, serializer.Identifier, manifest);

            Assert.IsType(value.GetType(), back);
            Assert.Equal(Json(value), Json(back));
        }
    }

    [Fact]
    public void The_samples_cover_every_named_kind_and_every_event_type_has_a_name()
    {
        var sampled = Samples().Select(s => s.GetType()).ToHashSet();
        Assert.Equal(JournalFormat.Types.OrderBy(t => t.FullName), sampled.OrderBy(t => t.FullName));

        var persisted = typeof(IClusterUpgradeEvent).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && (typeof(IClusterUpgradeEvent).IsAssignableFrom(t) || typeof(CampaignEvent).IsAssignableFrom(t)));
        Assert.All(persisted, t => Assert.Contains(t, JournalFormat.Types));
    }

    [Fact]
    public void Values_and_collections_come_back_whole()
    {
        var hop = (HopPlanned)RoundTrip(Samples().OfType<HopPlanned>().Single());
        Assert.Equal(Replacing, hop.Machines[0]);
        Assert.Equal(new MachineReplacement("cp-2", null, false), hop.Machines[1]);
        Assert.Equal(Cluster, hop.Cluster);

        var started = (UpgradeStarted)RoundTrip(Samples().OfType<UpgradeStarted>().Single());
        Assert.Equal(TimeSpan.FromMinutes(3), started.Options.MachineTimeout);
        Assert.True(started.Options.AllowSingleNode);
        Assert.Equal("[]", started.Options.BootstrapPatch);

        var campaign = SomeCampaignState();
        var campaignBack = (CampaignState)RoundTrip(campaign);
        Assert.Equal(campaign.Clusters.OrderBy(c => c.Key), campaignBack.Clusters.OrderBy(c => c.Key));
        Assert.Equal(ClusterStatus.Running, campaignBack.Clusters["fleet/a"].Status);
        Assert.Equal(campaign.Waves[0] with { Clusters = [] }, campaignBack.Waves[0] with { Clusters = [] });
        Assert.Equal(campaign.Waves[0].Clusters, campaignBack.Waves[0].Clusters);
        Assert.Equal(campaign.InFlight.Count(), campaignBack.InFlight.Count());

        var state = SomeState();
        var back = (ClusterUpgradeState)RoundTrip(state);
        Assert.Equal(state.InFlight, back.InFlight);
        Assert.Equal(state.Machines, back.Machines);
        Assert.Equal(state.Hops, back.Hops);
        Assert.Equal(state.Cluster, back.Cluster);
        Assert.Equal(state.NextStep, back.NextStep);
        Assert.Equal(state.Summary(), back.Summary());
    }

    private object RoundTrip(object value)
    {
        var (serializer, manifest, bytes) = Write(value);
        return Read(bytes, serializer.Identifier, manifest);
    }

    /// <summary>
    /// The format is a contract with every journal already written: these rows, as this format writes them, must
    /// read back to these values in every later build. A renamed C# property changes a field's name and fails here.
    /// </summary>
    [Theory]
    [InlineData("cluster-upgrade.step-started",
        """{"cluster":{"namespace":"fleet","name":"alpha","management":"east"},"upgradeId":"u1","step":"CreateReplacement","machine":"cp-1","attempt":2,"at":"2026-11-26T12:00:00+00:00"}""")]
    [InlineData("cluster-upgrade.hop-planned",
        """{"cluster":{"namespace":"fleet","name":"alpha","management":"east"},"upgradeId":"u1","hopIndex":1,"version":"v1.31.0","machines":[{"oldMachine":"cp-1","oldNode":"cp-1","isInitMachine":true,"stage":"OldMachineDeleting","replacement":"cp-1-u","replacementNode":"cp-1-u"},{"oldMachine":"cp-2","isInitMachine":false,"stage":"Pending"}],"staleMembers":["ghost"],"at":"2026-11-26T12:00:00+00:00"}""")]
    [InlineData("campaign.cluster-failed",
        """{"cluster":"fleet/a","reason":"paused: etcd unhealthy","campaignId":"c1","at":"2026-11-26T12:00:00+00:00"}""")]
    public void The_format_of_a_row_is_pinned(string name, string json)
    {
        var expected = Samples().Single(s => JournalFormat.NameOf(s.GetType()) == name);

        Assert.Equal(json, Json(expected));
        Assert.Equal(Json(expected), Json(JournalFormat.Read(Encoding.UTF8.GetBytes(json), name)));
    }

    [Fact]
    public void A_row_of_a_kind_this_build_does_not_know_is_refused_naming_it()
    {
        var error = Assert.ThrowsAny<Exception>(() => Read("{}"u8.ToArray(), JournalSerializer.Id, "cluster-upgrade.something-new"));
        Assert.Contains("cluster-upgrade.something-new", error.Message);
        Assert.Contains("newer version", error.Message);
    }
}
