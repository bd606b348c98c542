using System.Text.Json;
using CapiUpgrade.Core.Campaigns;
using C = CapiUpgrade.Core.Campaigns.CampaignCommands;
using E = CapiUpgrade.Core.Campaigns.CampaignEvents;

namespace CapiUpgrade.Core.Tests.Campaigns;

public class CampaignStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero); // a Monday

    /// <summary>Runs commands like the CampaignActor would: decide, keep the journal, apply.</summary>
    private sealed class Harness
    {
        public CampaignState State;
        public readonly List<CampaignEvent> Journal = [];
        public int MaxInFlightSeen;

        public Harness(string yaml, IEnumerable<ClusterFacts> fleet, DateTimeOffset? at = null)
        {
            var spec = CampaignSpecParser.Parse("name: demo\ntargetVersion: v1.30.2\n" + yaml);
            State = CampaignState.Initial("demo");
            Plan = CampaignPlanner.Plan(spec, fleet);
            Ok(new C.Start(Plan, "alice", at ?? T0));
        }

        public CampaignPlan Plan { get; }

        public CampaignDecision Send(CampaignCommand command)
        {
            var d = CampaignStateMachine.Decide(State, command);
            foreach (var e in d.Events)
            {
                State = CampaignStateMachine.Apply(State, e);
                Journal.Add(e);
                MaxInFlightSeen = Math.Max(MaxInFlightSeen, State.InFlight.Count());
            }
            return d;
        }

        public IReadOnlyList<CampaignEvent> Ok(CampaignCommand command)
        {
            var d = Send(command);
            Assert.False(d.IsRejected, d.Rejection);
            return d.Events;
        }

        public string Reject(CampaignCommand command)
        {
            var d = Send(command);
            Assert.True(d.IsRejected, "expected a rejection");
            Assert.Empty(d.Events);
            return d.Rejection!;
        }

        public IReadOnlyList<string> Scheduled(IEnumerable<CampaignEvent> events) =>
            events.OfType<E.ClusterScheduled>().Select(e => e.Cluster).ToList();

        public IReadOnlyList<string> InFlight => State.InFlight.Select(c => c.Cluster).Order().ToList();

        /// <summary>Acknowledge and finish every in-flight cluster successfully.</summary>
        public void SucceedAll(DateTimeOffset at)
        {
            foreach (var c in InFlight.ToList())
            {
                Ok(new C.ClusterStarted(c, "u-" + c.Replace("/", "-"), at));
                Ok(new C.ClusterSucceeded(c, at));
            }
        }
    }

    private static IEnumerable<ClusterFacts> Fleet(int n) => Enumerable.Range(1, n).Select(i => CampaignPlannerTests.Cluster($"ns/c{i}"));

    [Fact]
    public void Six_clusters_two_waves_concurrency_two_approval_soak_and_completion()
    {
        var h = new Harness("""
            waves:
              - {name: first, count: 2, maxConcurrent: 2, soak: 10m}
              - {name: second, maxConcurrent: 2, approval: true}
            """, Fleet(6));
        Assert.Equal(CampaignStatus.Running, h.State.Status);
        Assert.Equal(["ns/c1", "ns/c2"], h.InFlight);
        Assert.IsType<E.Started>(h.Journal[0]);
        Assert.IsType<E.WaveStarted>(h.Journal[1]);

        h.Ok(new C.ClusterStarted("ns/c1", "u-1", T0.AddMinutes(1)));
        h.Ok(new C.ClusterSucceeded("ns/c1", T0.AddMinutes(5)));
        Assert.Equal(["ns/c2"], h.InFlight); // wave 1 has only two clusters
        var done = h.Ok(new C.ClusterSucceeded("ns/c2", T0.AddMinutes(6)));
        var completed = Assert.Single(done.OfType<E.WaveCompleted>());
        Assert.Equal(T0.AddMinutes(16), completed.SoakUntil);
        Assert.Equal(WavePhase.Soaking, h.State.Wave!.Phase);

        Assert.Empty(h.Ok(new C.Tick(T0.AddMinutes(15))));
        var afterSoak = h.Ok(new C.Tick(T0.AddMinutes(16)));
        Assert.Contains(afterSoak, e => e is E.WaveFinished { Wave: 0 });
        Assert.Contains(afterSoak, e => e is E.WaveApprovalRequested { Wave: 1 });
        Assert.Equal(WavePhase.AwaitingApproval, h.State.Wave!.Phase);
        Assert.Empty(h.InFlight);
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0.AddMinutes(17)), l => l.Contains("awaits approval"));

        var approved = h.Ok(new C.Approve("bob", T0.AddMinutes(30)));
        Assert.Contains(approved, e => e is E.WaveApproved { By: "bob" });
        Assert.Equal(["ns/c3", "ns/c4"], h.Scheduled(approved));

        h.Ok(new C.ClusterSucceeded("ns/c3", T0.AddMinutes(40)));
        Assert.Equal(["ns/c4", "ns/c5"], h.InFlight);
        h.Ok(new C.ClusterSucceeded("ns/c4", T0.AddMinutes(41)));
        h.Ok(new C.ClusterSucceeded("ns/c5", T0.AddMinutes(42)));
        var last = h.Ok(new C.ClusterSucceeded("ns/c6", T0.AddMinutes(43)));
        Assert.Contains(last, e => e is E.Completed);
        Assert.Equal(CampaignStatus.Completed, h.State.Status);
        Assert.Equal(6, h.State.Count(ClusterStatus.Succeeded));
        Assert.Equal(2, h.MaxInFlightSeen);

        // order of starts follows the waves
        var order = h.Journal.OfType<E.ClusterScheduled>().Select(e => e.Cluster).ToList();
        Assert.Equal(["ns/c1", "ns/c2", "ns/c3", "ns/c4", "ns/c5", "ns/c6"], order);
    }

    [Fact]
    public void Exceeding_the_failure_budget_pauses_automatically_and_starts_nothing_more()
    {
        var h = new Harness("waves: [{maxConcurrent: 2}]\nfailureBudget: 1\n", Fleet(6));
        h.Ok(new C.ClusterFailed("ns/c1", "step CreateReplacement failed: provisioning failed", T0.AddMinutes(1)));
        Assert.Equal(CampaignStatus.Running, h.State.Status); // 1 failure is within the budget
        Assert.Equal(["ns/c2", "ns/c3"], h.InFlight);
        var events = h.Ok(new C.ClusterTimedOut("ns/c2", T0.AddMinutes(2)));
        var paused = Assert.Single(events.OfType<E.Paused>());
        Assert.True(paused.Automatic);
        Assert.Contains("failure budget exceeded", paused.Reason);
        Assert.Contains("ns/c1", paused.Reason);
        Assert.Contains("ns/c2", paused.Reason);
        Assert.Empty(h.Scheduled(events));
        Assert.Equal(CampaignStatus.Paused, h.State.Status);

        // in-flight results are still recorded, but nothing new starts
        var more = h.Ok(new C.ClusterSucceeded("ns/c3", T0.AddMinutes(3)));
        Assert.Empty(h.Scheduled(more));
        Assert.Empty(h.Ok(new C.Tick(T0.AddHours(1))));

        var why = h.Reject(new C.Resume("bob", T0.AddHours(1)));
        Assert.Contains("exceed the budget", why);
        Assert.Contains("--accept-failures", why);
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0.AddHours(1)), l => l.Contains("paused automatically"));

        var resumed = h.Ok(new C.Resume("bob", T0.AddHours(1), AcceptFailures: true));
        Assert.Contains(resumed, e => e is E.Resumed { AcceptedFailures: 2 });
        Assert.Equal(["ns/c4", "ns/c5"], h.Scheduled(resumed));
        h.Ok(new C.ClusterFailed("ns/c4", "x", T0.AddHours(2)));
        Assert.Equal(CampaignStatus.Running, h.State.Status); // one new failure: within the budget again
        h.Ok(new C.ClusterFailed("ns/c5", "x", T0.AddHours(2)));
        Assert.Equal(CampaignStatus.Paused, h.State.Status);
    }

    [Fact]
    public void Budget_zero_pauses_on_the_first_failure()
    {
        var h = new Harness("", Fleet(3));
        h.Ok(new C.ClusterFailed("ns/c1", "x", T0));
        Assert.Equal(CampaignStatus.Paused, h.State.Status);
    }

    [Fact]
    public void Skipping_or_a_successful_retry_of_a_failed_cluster_releases_the_budget()
    {
        var h = new Harness("waves: [{maxConcurrent: 1}]\n", Fleet(3));
        h.Ok(new C.ClusterFailed("ns/c1", "x", T0));
        Assert.Equal(CampaignStatus.Paused, h.State.Status);
        h.Ok(new C.SkipCluster("ns/c1", "bob", T0.AddMinutes(1)));
        Assert.Equal(0, h.State.Failures);
        var resumed = h.Ok(new C.Resume("bob", T0.AddMinutes(2)));
        Assert.Equal(["ns/c2"], h.Scheduled(resumed));

        h.Ok(new C.ClusterStarted("ns/c2", "u-2", T0.AddMinutes(3)));
        h.Ok(new C.ClusterFailed("ns/c2", "x", T0.AddMinutes(4)));
        Assert.Equal(CampaignStatus.Paused, h.State.Status);
        h.Ok(new C.ClusterStarted("ns/c2", "u-2", T0.AddMinutes(5))); // `upgrade retry` started it again
        Assert.Equal(ClusterStatus.Running, h.State.Clusters["ns/c2"].Status);
        h.Ok(new C.ClusterSucceeded("ns/c2", T0.AddMinutes(6)));
        Assert.Equal(0, h.State.Failures);
        h.Ok(new C.Resume("bob", T0.AddMinutes(7)));
        Assert.Equal(["ns/c3"], h.InFlight);
    }

    [Fact]
    public void Excluded_clusters_are_not_part_of_the_campaign_and_never_count()
    {
        var fleet = Fleet(2).Append(CampaignPlannerTests.Cluster("ns/paused", paused: true)).Append(CampaignPlannerTests.Cluster("ns/single", replicas: 1));
        var h = new Harness("waves: [{maxConcurrent: 5}]\n", fleet);
        Assert.Equal(2, h.State.Excluded.Count);
        Assert.Equal(["ns/c1", "ns/c2"], h.InFlight);
        var why = h.Reject(new C.ClusterFailed("ns/paused", "x", T0));
        Assert.Contains("excluded", why);
        Assert.Contains("Paused", why);
        Assert.Equal(0, h.State.Failures);
        h.SucceedAll(T0.AddMinutes(1));
        Assert.Equal(CampaignStatus.Completed, h.State.Status);
        Assert.Contains("2 excluded by preflight", CampaignStateMachine.Explain(h.State, T0.AddMinutes(2))[0]);
    }

    [Fact]
    public void Closed_maintenance_windows_hold_new_starts_until_they_open()
    {
        var fleet = new[]
        {
            CampaignPlannerTests.Cluster("ns/night", labels: ("capi-upgrade.io/maintenance-window", "mon-fri.22-06")),
            CampaignPlannerTests.Cluster("ns/any"),
        };
        var h = new Harness("waves: [{maxConcurrent: 2}]\n", fleet); // T0 is Monday 12:00 UTC
        Assert.Equal(["ns/any"], h.InFlight);
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0), l => l.Contains("1 cluster(s) wait for their maintenance window") && l.Contains("2026-06-01 22:00:00Z"));
        Assert.Equal(T0.Date.AddHours(22), CampaignStateMachine.NextWakeUp(h.State, T0)!.Value.UtcDateTime);
        Assert.Empty(h.Ok(new C.Tick(T0.AddHours(9))));
        var opened = h.Ok(new C.Tick(T0.AddHours(10)));
        Assert.Equal(["ns/night"], h.Scheduled(opened));
    }

    [Fact]
    public void A_closing_window_does_not_stop_running_upgrades()
    {
        var fleet = new[] { CampaignPlannerTests.Cluster("ns/a", labels: ("capi-upgrade.io/maintenance-window", "mon.12-13")) };
        var h = new Harness("", fleet);
        Assert.Equal(["ns/a"], h.InFlight);
        h.Ok(new C.ClusterStarted("ns/a", "u-a", T0));
        h.Ok(new C.Tick(T0.AddHours(3)));
        Assert.Equal(ClusterStatus.Running, h.State.Clusters["ns/a"].Status);
        h.Ok(new C.ClusterSucceeded("ns/a", T0.AddHours(4)));
        Assert.Equal(CampaignStatus.Completed, h.State.Status);
    }

    [Fact]
    public void Manual_pause_resume_and_abort()
    {
        var h = new Harness("waves: [{maxConcurrent: 1}]\nfailureBudget: 5\n", Fleet(3));
        h.Ok(new C.Pause("bob", "change freeze", T0));
        Assert.Contains("already paused", h.Reject(new C.Pause("bob", "again", T0)));
        var afterSuccess = h.Ok(new C.ClusterSucceeded("ns/c1", T0.AddMinutes(1)));
        Assert.Empty(h.Scheduled(afterSuccess));
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0), l => l.Contains("paused by bob: change freeze"));
        var resumed = h.Ok(new C.Resume("bob", T0.AddMinutes(2)));
        Assert.Equal(["ns/c2"], h.Scheduled(resumed));
        Assert.Contains("not paused", h.Reject(new C.Resume("bob", T0)));

        h.Ok(new C.Abort("carol", "wrong target", T0.AddMinutes(3)));
        Assert.Equal(CampaignStatus.Aborted, h.State.Status);
        Assert.Empty(h.Ok(new C.ClusterSucceeded("ns/c2", T0.AddMinutes(4))).OfType<E.ClusterScheduled>());
        Assert.Equal(ClusterStatus.Succeeded, h.State.Clusters["ns/c2"].Status);
        Assert.Equal(ClusterStatus.Pending, h.State.Clusters["ns/c3"].Status);
        h.Reject(new C.Abort("carol", "again", T0));
        h.Reject(new C.Resume("carol", T0));
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0), l => l.Contains("aborted by carol: wrong target"));
    }

    [Fact]
    public void Approvals_in_advance_and_rejections()
    {
        var h = new Harness("""
            waves:
              - {name: a, count: 1, approval: true}
              - {name: b, approval: true}
            """, Fleet(2));
        Assert.Equal(WavePhase.AwaitingApproval, h.State.Wave!.Phase);
        Assert.Empty(h.InFlight);
        h.Ok(new C.Approve("bob", T0, Wave: 1)); // in advance
        Assert.Empty(h.InFlight);
        Assert.Contains("0 to 1", h.Reject(new C.Approve("bob", T0, Wave: 7)));
        var started = h.Ok(new C.Approve("bob", T0));
        Assert.Equal(["ns/c1"], h.Scheduled(started));
        Assert.Contains("no wave", h.Reject(new C.Approve("bob", T0)));
        var next = h.Ok(new C.ClusterSucceeded("ns/c1", T0.AddMinutes(1)));
        Assert.DoesNotContain(next, e => e is E.WaveApprovalRequested);
        Assert.Equal(["ns/c2"], h.Scheduled(next));
        Assert.Empty(h.Ok(new C.Approve("bob", T0, Wave: 0))); // approving an approved wave again changes nothing
        Assert.Contains("already started", new Harness("", Fleet(1)).Reject(new C.Approve("bob", T0, Wave: 0)));
    }

    [Fact]
    public void Skip_rules()
    {
        var h = new Harness("waves: [{maxConcurrent: 1}]\nfailureBudget: 3\n", Fleet(3));
        Assert.Contains("abort its upgrade first", h.Reject(new C.SkipCluster("ns/c1", "bob", T0)));
        h.Ok(new C.SkipCluster("ns/c3", "bob", T0));
        Assert.Equal(ClusterStatus.Skipped, h.State.Clusters["ns/c3"].Status);
        Assert.Empty(h.Ok(new C.SkipCluster("ns/c3", "bob", T0)));
        h.Ok(new C.ClusterSucceeded("ns/c1", T0));
        Assert.Contains("already succeeded", h.Reject(new C.SkipCluster("ns/c1", "bob", T0)));
        Assert.Contains("not part of campaign", h.Reject(new C.SkipCluster("ns/zzz", "bob", T0)));
        Assert.Contains("skipped", h.Reject(new C.ClusterStarted("ns/c3", "u", T0)));
        h.Ok(new C.ClusterSucceeded("ns/c2", T0));
        Assert.Equal(CampaignStatus.Completed, h.State.Status);
    }

    [Fact]
    public void Soak_can_be_skipped()
    {
        var h = new Harness("waves: [{count: 1, soak: 2h}, {}]\n", Fleet(2));
        h.Ok(new C.ClusterSucceeded("ns/c1", T0));
        Assert.Contains("not soaking", new Harness("", Fleet(1)).Reject(new C.SkipSoak("bob", T0)));
        Assert.Contains(CampaignStateMachine.Explain(h.State, T0.AddMinutes(30)), l => l.Contains("soaking until") && l.Contains("1h30m0s left") is false && l.Contains("1h30m left"));
        Assert.Equal(T0.AddHours(2), CampaignStateMachine.NextWakeUp(h.State, T0));
        var next = h.Ok(new C.SkipSoak("bob", T0.AddMinutes(30)));
        Assert.Equal(["ns/c2"], h.Scheduled(next));
    }

    [Fact]
    public void Cluster_timeout_marks_overdue_upgrades_and_counts_them()
    {
        var h = new Harness("clusterTimeout: 1h\nfailureBudget: 1\nwaves: [{maxConcurrent: 2}]\n", Fleet(3));
        Assert.Equal(T0.AddHours(1), CampaignStateMachine.NextWakeUp(h.State, T0));
        h.Ok(new C.ClusterSucceeded("ns/c1", T0.AddMinutes(10)));
        var events = h.Ok(new C.Tick(T0.AddHours(1)));
        var timedOut = Assert.Single(events.OfType<E.ClusterTimedOut>());
        Assert.Equal("ns/c2", timedOut.Cluster);
        Assert.Contains("1h", timedOut.Reason);
        Assert.Equal(CampaignStatus.Running, h.State.Status); // 1 within budget; c3 was scheduled at T0+10m
        Assert.Equal(["ns/c3"], h.InFlight);
        // a late success still counts as success
        h.Ok(new C.ClusterSucceeded("ns/c2", T0.AddHours(1).AddMinutes(1)));
        Assert.Equal(0, h.State.Failures);
    }

    [Fact]
    public void Cluster_results_are_idempotent_and_unknown_clusters_rejected()
    {
        var h = new Harness("failureBudget: 9\n", Fleet(2));
        Assert.Single(h.Ok(new C.ClusterStarted("ns/c1", "u-1", T0)));
        Assert.Empty(h.Ok(new C.ClusterStarted("ns/c1", "u-1", T0)));
        Assert.Contains("still pending", h.Reject(new C.ClusterStarted("ns/c2", "u-2", T0)));
        h.Ok(new C.ClusterFailed("ns/c1", "boom", T0));
        Assert.Empty(h.Ok(new C.ClusterFailed("ns/c1", "boom", T0)));
        Assert.Empty(h.Ok(new C.ClusterTimedOut("ns/c1", T0)));
        Assert.Equal(1, h.State.Failures);
        Assert.Contains("not part", h.Reject(new C.ClusterSucceeded("x/y", T0)));
        Assert.Contains("already started", h.Reject(new C.Start(h.Plan, "alice", T0)));
    }

    [Fact]
    public void Commands_before_start_are_rejected_and_tick_does_nothing()
    {
        var s = CampaignState.Initial("demo");
        Assert.True(CampaignStateMachine.Decide(s, new C.Pause("a", "b", T0)).IsRejected);
        Assert.True(CampaignStateMachine.Decide(s, new C.Approve("a", T0)).IsRejected);
        Assert.True(CampaignStateMachine.Decide(s, new C.ClusterSucceeded("ns/c1", T0)).IsRejected);
        Assert.Empty(CampaignStateMachine.Decide(s, new C.Tick(T0)).Events);
        var other = CampaignPlanner.Plan(CampaignSpecParser.Parse("name: other\ntargetVersion: v1.30.2\n"), Fleet(1));
        Assert.Contains("not demo", CampaignStateMachine.Decide(s, new C.Start(other, "a", T0)).Rejection);
    }

    [Fact]
    public void Empty_waves_pass_without_soak_and_an_empty_campaign_completes_at_once()
    {
        var h = new Harness("waves: [{selector: {namespaces: [nowhere]}, soak: 1h}, {soak: 0s}]\n", Fleet(1));
        Assert.Equal(["ns/c1"], h.InFlight);
        var empty = new Harness("", []);
        Assert.Equal(CampaignStatus.Completed, empty.State.Status);
    }

    [Fact]
    public void Replaying_the_journal_rebuilds_the_same_state()
    {
        var h = new Harness("waves: [{count: 2, maxConcurrent: 2, soak: 5m}, {approval: true}]\nfailureBudget: 1\n", Fleet(4));
        h.Ok(new C.ClusterStarted("ns/c1", "u-1", T0));
        h.Ok(new C.ClusterFailed("ns/c1", "x", T0.AddMinutes(1)));
        h.Ok(new C.ClusterSucceeded("ns/c2", T0.AddMinutes(2)));
        h.Ok(new C.Tick(T0.AddMinutes(10)));
        h.Ok(new C.Approve("bob", T0.AddMinutes(11)));
        var replayed = CampaignStateMachine.Replay("demo", h.Journal);
        Assert.Equal(h.State.Status, replayed.Status);
        Assert.Equal(h.State.CurrentWave, replayed.CurrentWave);
        Assert.Equal(h.State.Clusters.OrderBy(kv => kv.Key), replayed.Clusters.OrderBy(kv => kv.Key));
        Assert.Equal(h.State.Waves.Select(w => (w.Phase, w.Approved, w.SoakUntil)), replayed.Waves.Select(w => (w.Phase, w.Approved, w.SoakUntil)));
    }

    [Fact]
    public void Events_round_trip_through_json_as_plain_records()
    {
        var h = new Harness("waves: [{count: 1, soak: 5m}, {approval: true}]\nclusterTimeout: 2h\n", Fleet(2));
        h.Ok(new C.ClusterStarted("ns/c1", "u-1", T0));
        h.Ok(new C.ClusterSucceeded("ns/c1", T0));
        h.Ok(new C.Tick(T0.AddMinutes(5)));
        h.Ok(new C.Approve("bob", T0.AddMinutes(6)));
        h.Ok(new C.Pause("bob", "lunch", T0.AddMinutes(7)));
        h.Ok(new C.Abort("bob", "done", T0.AddMinutes(8)));
        var copies = h.Journal.Select(e => (CampaignEvent)JsonSerializer.Deserialize(JsonSerializer.Serialize(e, e.GetType()), e.GetType())!).ToList();
        var fromCopies = CampaignStateMachine.Replay("demo", copies);
        Assert.Equal(h.State.Status, fromCopies.Status);
        Assert.Equal(h.State.Clusters.OrderBy(kv => kv.Key), fromCopies.Clusters.OrderBy(kv => kv.Key));
        var started = (E.Started)copies[0];
        Assert.Equal(2, started.Waves.Count);
        Assert.Equal(TimeSpan.FromHours(2), started.ClusterTimeout);
    }

    [Fact]
    public void Concurrency_is_never_exceeded_whatever_the_order_of_results()
    {
        var random = new Random(1234);
        for (var run = 0; run < 20; run++)
        {
            var h = new Harness("waves: [{count: 5, maxConcurrent: 2}, {maxConcurrent: 30%}]\nfailureBudget: 100%\n", Fleet(17));
            var at = T0;
            while (h.State.Status == CampaignStatus.Running)
            {
                at = at.AddMinutes(1);
                var inFlight = h.InFlight;
                Assert.True(inFlight.Count <= h.State.Wave!.MaxConcurrent);
                if (inFlight.Count == 0)
                {
                    h.Ok(new C.Tick(at));
                    continue;
                }
                var pick = inFlight[random.Next(inFlight.Count)];
                h.Ok(random.Next(4) == 0 ? new C.ClusterFailed(pick, "x", at) : new C.ClusterSucceeded(pick, at));
            }
            Assert.Equal(CampaignStatus.Completed, h.State.Status);
            Assert.True(h.MaxInFlightSeen <= 4); // 30% of 12 rounds up to 4
            Assert.Equal(17, h.State.Count(ClusterStatus.Succeeded) + h.State.Failures);
        }
    }
}
