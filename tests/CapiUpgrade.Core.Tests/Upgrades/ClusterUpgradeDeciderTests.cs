using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Core.Tests.Upgrades;

public class ClusterUpgradeDeciderTests
{
    private static readonly UpgradeStep[] PerMachine =
    {
        UpgradeStep.AddPreTerminateHook, UpgradeStep.CreateReplacement, UpgradeStep.AwaitReplacementReady,
        UpgradeStep.DeleteOldMachine, UpgradeStep.AwaitPreTerminateHold, UpgradeStep.MoveEtcdLeader,
        UpgradeStep.RemoveEtcdMember, UpgradeStep.ReleasePreTerminateHook, UpgradeStep.AwaitOldMachineGone,
    };

    [Fact]
    public void Three_node_upgrade_runs_the_seed_sequence_surge_first_and_ends_succeeded_with_claim_released()
    {
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2"));

        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(3, d.State.MachinesReplaced);
        Assert.False(d.State.Claimed);
        var steps = d.StepsRun.Select(s => s.Step).ToList();
        Assert.Equal(new[] { UpgradeStep.Preflight, UpgradeStep.ClaimCluster, UpgradeStep.UpdateClusterConfig }, steps.Take(3));
        Assert.Equal(UpgradeStep.ReleaseClaim, steps[^1]);
        // Machines one after the other; the init Machine (cp-1) last; it alone gets its secrets re-owned, before its hook is released.
        var order = d.StepsRun.Where(s => s.Machine is not null).Select(s => s.Machine).Distinct().ToList();
        Assert.Equal(new[] { "cp-2", "cp-3", "cp-1" }, order);
        Assert.Equal(PerMachine, d.StepsRun.Where(s => s.Machine == "cp-2").Select(s => s.Step));
        var init = d.StepsRun.Where(s => s.Machine == "cp-1").Select(s => s.Step).ToList();
        Assert.True(init.IndexOf(UpgradeStep.ReownCertificateSecrets) is var i && i > init.IndexOf(UpgradeStep.RemoveEtcdMember) && i < init.IndexOf(UpgradeStep.ReleasePreTerminateHook));
        Assert.Single(d.Events.OfType<UpgradeSucceeded>());
    }

    [Fact]
    public void Every_side_effect_has_its_intent_persisted_before_and_its_outcome_after()
    {
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2"));
        var stepEvents = d.Events.Where(e => e is StepStarted or StepSucceeded).ToList();
        for (var i = 0; i < stepEvents.Count; i += 2)
        {
            var started = Assert.IsType<StepStarted>(stepEvents[i]);
            var done = Assert.IsType<StepSucceeded>(stepEvents[i + 1]);
            Assert.Equal((started.Step, started.Machine), (done.Step, done.Machine));
        }
        Assert.All(d.Events, e => Assert.Equal("up1", e.UpgradeId));
    }

    [Fact]
    public void Never_more_than_one_replacement_at_a_time()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(count: 5), "v1.30.2");
        var maxSurge = 0;
        d.RunUntilIdle(step =>
        {
            maxSurge = Math.Max(maxSurge, d.State.Machines.Count(m => m.SurgeInUse));
            return world(step);
        });
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(5, d.State.MachinesReplaced);
        Assert.Equal(1, maxSurge);
    }

    [Fact]
    public void Multi_minor_target_is_a_chain_of_hops_each_finished_before_the_next()
    {
        var d = new UpgradeDriver();
        d.Start("v1.31.1");
        var versions = new[] { "v1.29.4", "v1.30.6" };
        d.RunUntilIdle(UpgradeDriver.AllSucceed(hop => UpgradeDriver.ThreeNodes(versions[hop]), "v1.30.6", "v1.31.1"));

        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(6, d.State.MachinesReplaced);
        var hops = d.Events.OfType<HopPlanned>().ToList();
        Assert.Equal(new[] { "v1.30.6", "v1.31.1" }, hops.Select(h => h.Version));
        // The second hop's preflight comes after the first hop's last Machine is gone.
        var secondPreflight = d.StepsRun.FindLastIndex(s => s.Step == UpgradeStep.Preflight);
        var lastGoneOfHop1 = d.StepsRun.FindIndex(s => s.Step == UpgradeStep.AwaitOldMachineGone && s.Machine == "cp-1");
        Assert.True(secondPreflight > lastGoneOfHop1);
        Assert.Equal(1, d.StepsRun.Count(s => s.Step == UpgradeStep.ClaimCluster));
        Assert.Equal(2, d.StepsRun.Count(s => s.Step == UpgradeStep.UpdateClusterConfig));
        Assert.Equal("v1.31.1", d.Events.OfType<UpgradeSucceeded>().Single().Version);
    }

    [Fact]
    public void Single_node_control_plane_is_refused_without_the_flag_and_nothing_is_written()
    {
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(count: 1), "v1.30.2"));
        Assert.Equal(UpgradePhase.Refused, d.State.Phase);
        Assert.Contains("--allow-single-node", d.State.PauseReason);
        Assert.Equal(new[] { UpgradeStep.Preflight }, d.StepsRun.Select(s => s.Step));
    }

    [Fact]
    public void Single_node_control_plane_is_upgraded_with_the_flag()
    {
        var d = new UpgradeDriver();
        d.Start(options: UpgradeOptions.Default with { AllowSingleNode = true });
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(count: 1), "v1.30.2"));
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(1, d.State.MachinesReplaced);
    }

    [Fact]
    public void Claim_held_by_another_upgrade_is_refused_naming_the_holder()
    {
        var d = new UpgradeDriver();
        d.Start();
        var observed = UpgradeDriver.ThreeNodes() with { ClaimHolder = "other-upgrade" };
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => observed, "v1.30.2"));
        Assert.Equal(UpgradePhase.Refused, d.State.Phase);
        Assert.Contains("other-upgrade", d.State.PauseReason);
        Assert.DoesNotContain(d.StepsRun, s => s.Step == UpgradeStep.ClaimCluster);
    }

    [Fact]
    public void Claim_lost_to_a_race_is_refused()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        d.RunUntilIdle(s => s.Step == UpgradeStep.ClaimCluster ? new StepOutcome.Refused("claimed by up9") : world(s));
        Assert.Equal(UpgradePhase.Refused, d.State.Phase);
        Assert.Equal("claimed by up9", d.State.PauseReason);
    }

    [Fact]
    public void Unhealthy_etcd_member_before_start_pauses_with_the_reason_and_touches_nothing()
    {
        var d = new UpgradeDriver();
        d.Start();
        var sick = UpgradeDriver.ThreeNodes();
        sick = sick with { Members = sick.Members.Select(m => m.Name == "node-2" ? m with { Healthy = false } : m).ToList() };
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => sick, "v1.30.2"));
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Contains("node-2", d.State.PauseReason);
        Assert.Contains("unhealthy", d.State.PauseReason);
        Assert.Equal(new[] { UpgradeStep.Preflight }, d.StepsRun.Select(s => s.Step));
        Assert.Null(d.State.InFlight);
    }

    [Fact]
    public void Etcd_alarm_pauses_and_resume_reruns_preflight()
    {
        var d = new UpgradeDriver();
        d.Start();
        var alarmed = UpgradeDriver.ThreeNodes() with { Alarms = new[] { "NOSPACE on member node-1" } };
        var healthy = UpgradeDriver.ThreeNodes();
        var current = alarmed;
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => current, "v1.30.2"));
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Contains("NOSPACE", d.State.PauseReason);

        current = healthy;
        d.Send(new UpgradeCommand.Resume("ops"));
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => current, "v1.30.2"));
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
    }

    [Fact]
    public void Machine_without_Ready_Node_or_deleted_by_someone_else_blocks()
    {
        var observed = UpgradeDriver.ThreeNodes();
        var notReady = observed with { Machines = observed.Machines.Select(m => m.Name == "cp-3" ? m with { NodeReady = false } : m).ToList() };
        var blockers = SafetyCheck.Blockers(notReady, Array.Empty<string>(), "fleet/alpha");
        Assert.Contains(blockers, b => b.Contains("cp-3") && b.Contains("not Ready"));

        var deleting = observed with { Machines = observed.Machines.Select(m => m.Name == "cp-2" ? m with { Deleting = true } : m).ToList() };
        Assert.Contains(SafetyCheck.Blockers(deleting, Array.Empty<string>(), "fleet/alpha"), b => b.Contains("cp-2") && b.Contains("deleted"));
        // ...unless it is the one the upgrade is itself waiting for.
        Assert.Empty(SafetyCheck.Blockers(deleting, new[] { "cp-2" }, "fleet/alpha"));
    }

    [Fact]
    public void Members_that_only_timed_out_are_told_apart_from_members_that_reported_a_problem()
    {
        var observed = UpgradeDriver.ThreeNodes();
        ControlPlaneObservation With(string name, ObservedEtcdMember change) =>
            observed with { Members = observed.Members.Select(m => m.Name == name ? change with { Id = m.Id, Name = m.Name } : m).ToList() };
        var slow = With("node-2", new ObservedEtcdMember(0, "", false, Healthy: false, Error: "DeadlineExceeded", TimedOut: true));
        var refused = With("node-2", new ObservedEtcdMember(0, "", false, Healthy: false, Error: "Unavailable \"connection refused\""));

        // Both block: a member that did not answer is not known to be healthy.
        Assert.Contains(SafetyCheck.Blockers(slow, Array.Empty<string>(), "fleet/alpha"), b => b.Contains("node-2") && b.Contains("DeadlineExceeded"));
        Assert.NotEmpty(SafetyCheck.Blockers(refused, Array.Empty<string>(), "fleet/alpha"));
        // Only the slow one is worth another look before a pause.
        Assert.True(SafetyCheck.OnlyTimedOutMembersBlock(slow, Array.Empty<string>(), "fleet/alpha"));
        Assert.False(SafetyCheck.OnlyTimedOutMembersBlock(refused, Array.Empty<string>(), "fleet/alpha"));
        // A slow member beside another reason to stop (a Node not Ready) pauses at once.
        var slowAndNotReady = slow with { Machines = slow.Machines.Select(m => m.Name == "cp-3" ? m with { NodeReady = false } : m).ToList() };
        Assert.False(SafetyCheck.OnlyTimedOutMembersBlock(slowAndNotReady, Array.Empty<string>(), "fleet/alpha"));
        // Nothing wrong: nothing to wait for.
        Assert.False(SafetyCheck.OnlyTimedOutMembersBlock(observed, Array.Empty<string>(), "fleet/alpha"));
    }

    [Fact]
    public void An_unstarted_learner_blocks_with_its_id_and_the_way_out_and_is_never_called_stale()
    {
        var observed = UpgradeDriver.ThreeNodes();
        var withLearner = observed with { Members = observed.Members.Append(new ObservedEtcdMember(0xabcdef, "", IsLearner: true, Healthy: false)).ToList() };
        Assert.Empty(SafetyCheck.StaleMembers(withLearner));
        var blocker = Assert.Single(SafetyCheck.Blockers(withLearner, Array.Empty<string>(), "fleet/alpha"));
        Assert.Contains("learner 0000000000abcdef of cluster fleet/alpha was added but has never started", blocker);
        Assert.Contains("--retry", blocker);
        Assert.Contains("etcdctl member remove 0000000000abcdef", blocker);
    }

    [Fact]
    public void Stale_member_is_removed_first_when_quorum_safe()
    {
        var observed = UpgradeDriver.ThreeNodes();
        observed = observed with { Members = observed.Members.Append(new ObservedEtcdMember(9, "node-old", false, false)).ToList() };
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => observed, "v1.30.2"));
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(new[] { "node-old" }, d.Events.OfType<HopPlanned>().Single().StaleMembers);
        Assert.Equal(UpgradeStep.RemoveStaleMembers, d.StepsRun[2].Step);
        Assert.Equal(UpgradeStep.UpdateClusterConfig, d.StepsRun[3].Step);
    }

    [Fact]
    public void Stale_members_that_cannot_be_removed_safely_pause_with_the_reason()
    {
        // 2 healthy + 3 stale dead voters: removing a stale one leaves 2 healthy of 4, quorum needs 3.
        var observed = UpgradeDriver.ThreeNodes(count: 2);
        observed = observed with
        {
            Members = observed.Members.Concat(new[] { new ObservedEtcdMember(7, "gone-1", false, false), new ObservedEtcdMember(8, "gone-2", false, false), new ObservedEtcdMember(9, "gone-3", false, false) }).ToList(),
        };
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => observed, "v1.30.2"));
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Contains("stale etcd member", d.State.PauseReason);
    }

    [Fact]
    public void Transient_failures_are_retried_then_pause_after_the_attempt_budget()
    {
        var d = new UpgradeDriver();
        d.Start(options: UpgradeOptions.Default with { MaxStepAttempts = 3 });
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var failures = 0;
        d.RunUntilIdle(s =>
        {
            if (s.Step == UpgradeStep.CreateReplacement) { failures++; return new StepOutcome.Failed("500 Internal Server Error"); }
            return world(s);
        });
        Assert.Equal(3, failures);
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Contains("failed 3 times", d.State.PauseReason);
        Assert.Contains("500", d.State.PauseReason);
    }

    [Fact]
    public void Transient_failure_then_success_goes_on()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var failedOnce = new HashSet<StepRef>();
        d.RunUntilIdle(s => failedOnce.Add(s) ? new StepOutcome.Failed("429 Too Many Requests") : world(s));
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(3, d.State.MachinesReplaced);
    }

    [Fact]
    public void Replacement_that_never_becomes_Ready_pauses_and_retry_removes_it_then_recreates()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var nodeReady = false;
        d.RunUntilIdle(s => s.Step == UpgradeStep.AwaitReplacementReady && !nodeReady
            ? new StepOutcome.TimedOut($"replacement of {s.Machine} not Ready after 15m")
            : world(s));
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Contains("--retry", d.State.PauseReason);
        Assert.Equal(ReplacementStage.ReplacementFailed, d.State.Machines.Single(m => m.OldMachine == "cp-2").Stage);
        Assert.Single(d.Events.OfType<ReplacementFailed>());

        nodeReady = true;
        d.Send(new UpgradeCommand.Retry("ops"));
        d.StepsRun.Clear();
        d.RunUntilIdle(world);
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
        Assert.Equal(new[] { UpgradeStep.RemoveFailedReplacement, UpgradeStep.CreateReplacement, UpgradeStep.AwaitReplacementReady },
            d.StepsRun.Take(3).Select(s => s.Step));
        Assert.Equal(3, d.State.MachinesReplaced);
    }

    [Fact]
    public void Resume_after_a_failed_replacement_waits_again_without_recreating()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var timeouts = 0;
        d.RunUntilIdle(s => s.Step == UpgradeStep.AwaitReplacementReady && timeouts++ == 0 ? new StepOutcome.TimedOut("slow") : world(s));
        d.Send(new UpgradeCommand.Resume("ops"));
        d.StepsRun.Clear();
        d.RunUntilIdle(world);
        Assert.Equal(UpgradeStep.AwaitReplacementReady, d.StepsRun[0].Step);
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
    }

    [Fact]
    public void Operator_pause_stops_after_the_in_flight_step_and_resume_goes_on()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var paused = false;
        d.RunUntilIdle(s =>
        {
            if (s.Step == UpgradeStep.CreateReplacement && !paused) { paused = true; d.Send(new UpgradeCommand.Pause("maintenance", "ops")); }
            return world(s);
        });
        Assert.Equal(UpgradePhase.Paused, d.State.Phase);
        Assert.Equal("ops", d.State.PausedBy);
        Assert.Null(d.State.InFlight); // the in-flight step's outcome was still recorded
        Assert.Equal(ReplacementStage.ReplacementCreated, d.State.Machines.Single(m => m.OldMachine == "cp-2").Stage);
        Assert.Equal(UpgradeStep.CreateReplacement, d.StepsRun[^1].Step);

        d.Send(new UpgradeCommand.Resume("ops"));
        d.RunUntilIdle(world);
        Assert.Equal(UpgradePhase.Succeeded, d.State.Phase);
    }

    [Fact]
    public void Abort_after_the_replacement_exists_finishes_that_Machine_then_releases_the_claim()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var aborted = false;
        d.RunUntilIdle(s =>
        {
            if (s is { Step: UpgradeStep.AwaitReplacementReady, Machine: "cp-2" } && !aborted) { aborted = true; d.Send(new UpgradeCommand.Abort("ops")); }
            return world(s);
        });
        Assert.Equal(UpgradePhase.Aborted, d.State.Phase);
        Assert.Equal(1, d.State.MachinesReplaced);
        Assert.False(d.State.Claimed);
        Assert.Equal(UpgradeStep.ReleaseClaim, d.StepsRun[^1].Step);
        Assert.DoesNotContain(d.StepsRun, s => s.Machine == "cp-3");
    }

    [Fact]
    public void Abort_before_the_replacement_exists_undoes_the_hook()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        var aborted = false;
        d.RunUntilIdle(s =>
        {
            if (s.Step == UpgradeStep.AddPreTerminateHook && !aborted) { aborted = true; d.Send(new UpgradeCommand.Abort("ops")); }
            return world(s);
        });
        Assert.Equal(UpgradePhase.Aborted, d.State.Phase);
        Assert.Equal(0, d.State.MachinesReplaced);
        Assert.Equal(new[] { UpgradeStep.AddPreTerminateHook, UpgradeStep.ReleasePreTerminateHook, UpgradeStep.ReleaseClaim },
            d.StepsRun.Skip(3).Select(s => s.Step));
        Assert.DoesNotContain(d.StepsRun, s => s.Step == UpgradeStep.CreateReplacement);
    }

    [Fact]
    public void Abort_of_a_failed_replacement_removes_it_and_the_hook()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        d.RunUntilIdle(s => s.Step == UpgradeStep.AwaitReplacementReady ? new StepOutcome.TimedOut("never Ready") : world(s));
        d.Send(new UpgradeCommand.Abort("ops"));
        d.StepsRun.Clear();
        d.RunUntilIdle(world);
        Assert.Equal(UpgradePhase.Aborted, d.State.Phase);
        Assert.Equal(new[] { UpgradeStep.RemoveFailedReplacement, UpgradeStep.ReleasePreTerminateHook, UpgradeStep.ReleaseClaim }, d.StepsRun.Select(s => s.Step));
    }

    [Fact]
    public void Abort_before_the_claim_ends_at_once()
    {
        var d = new UpgradeDriver();
        d.Start();
        d.Send(new UpgradeCommand.Abort("ops"));
        Assert.Equal(UpgradePhase.Aborted, d.State.Phase);
    }

    [Fact]
    public void Start_is_idempotent_for_the_same_id_and_rejected_for_another_while_running()
    {
        var d = new UpgradeDriver();
        d.Start();
        Assert.Empty(d.Start().Events);
        var other = d.Start(id: "up2");
        Assert.True(other.IsRejected);
        Assert.Contains("up1", other.Rejection);
        Assert.True(d.Start("v1.31.0").IsRejected);
    }

    [Fact]
    public void A_later_upgrade_starts_a_fresh_state_and_keeps_the_earlier_one_in_history()
    {
        var d = new UpgradeDriver();
        d.Start();
        d.RunUntilIdle(UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2"));
        d.Start("v1.31.0", id: "up2");
        Assert.Equal("up2", d.State.UpgradeId);
        Assert.Equal(UpgradePhase.Running, d.State.Phase);
        Assert.Equal(0, d.State.MachinesReplaced);
        var earlier = Assert.Single(d.State.History);
        Assert.Equal(("up1", UpgradePhase.Succeeded, 3), (earlier.UpgradeId, earlier.Phase, earlier.MachinesReplaced));
    }

    [Fact]
    public void Late_outcome_of_a_step_no_longer_in_flight_is_ignored()
    {
        var d = new UpgradeDriver();
        d.Start();
        var decision = d.Send(new UpgradeCommand.CompleteStep(UpgradeStep.CreateReplacement, "cp-2", new StepOutcome.Succeeded()));
        Assert.Empty(decision.Events);
    }

    private sealed class CrashException : Exception;

    [Fact]
    public void Replaying_the_journal_rebuilds_the_state_with_the_intent_in_flight()
    {
        var d = new UpgradeDriver();
        d.Start();
        var world = UpgradeDriver.AllSucceed(_ => UpgradeDriver.ThreeNodes(), "v1.30.2");
        try
        {
            d.RunUntilIdle(s => s is { Step: UpgradeStep.DeleteOldMachine, Machine: "cp-3" } ? throw new CrashException() : world(s));
        }
        catch (CrashException) { }

        var replayed = ClusterUpgradeDecider.ApplyAll(ClusterUpgradeState.Empty(UpgradeDriver.Cluster), d.Events);
        Assert.Equal(new StepRef(UpgradeStep.DeleteOldMachine, "cp-3"), replayed.InFlight);
        Assert.Equal(replayed.InFlight, replayed.NextStep);
        Assert.Equal(1, replayed.MachinesReplaced);
        // BeginNextStep does not start another step while one is in flight.
        Assert.Empty(ClusterUpgradeDecider.Decide(replayed, UpgradeCommand.BeginNextStep.Instance, DateTimeOffset.UtcNow).Events);
    }
}
