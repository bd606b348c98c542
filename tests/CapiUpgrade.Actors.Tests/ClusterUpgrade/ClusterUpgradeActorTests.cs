using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

public class ClusterUpgradeActorTests : TestKit
{
    private static readonly Config InMemory = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        # A reply's wait bound, not a speed check: the first test of a suite run on 2 busy cores once took over
        # the default 3 s for the first CommandAccepted.
        akka.test.single-expect-default = 15s
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private static readonly ClusterKey Cluster = new("fleet", "alpha");
    private static readonly EngineSettings Fast = EngineSettings.Default with { RetryMinBackoff = TimeSpan.FromMilliseconds(20), RetryMaxBackoff = TimeSpan.FromMilliseconds(50) };

    public ClusterUpgradeActorTests() : base(InMemory) { }

    private IActorRef Spawn(IStepExecutorFactory executor, EngineSettings? settings = null) =>
        Sys.ActorOf(ClusterUpgradeActor.Props(Cluster, executor, settings ?? Fast));

    private UpgradeStatus AwaitPhase(IActorRef actor, UpgradePhase phase)
    {
        UpgradeStatus? status = null;
        AwaitAssert(() =>
        {
            status = actor.Ask<UpgradeStatus>(new GetUpgradeStatus(Cluster), TimeSpan.FromSeconds(3)).Result;
            Assert.Equal(phase, status.Phase);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        return status!;
    }

    private static StartUpgrade Start(string id = "up1", UpgradeOptions? options = null) =>
        new(Cluster, id, "v1.30.2", options ?? UpgradeOptions.Default, "test");

    [Fact]
    public void Runs_a_three_node_upgrade_to_success_and_answers_status()
    {
        var executor = new ScriptedStepExecutor();
        var actor = Spawn(executor);
        actor.Tell(Start());
        ExpectMsg<CommandAccepted>();
        var status = AwaitPhase(actor, UpgradePhase.Succeeded);
        Assert.Equal(3, status.MachinesReplaced);
        Assert.Equal("up1", status.UpgradeId);
        Assert.Equal(UpgradeStep.ReleaseClaim, executor.Runs[^1].Step);
        Assert.Equal(3, executor.Runs.Count(r => r.Step == UpgradeStep.CreateReplacement));
    }

    [Fact]
    public void After_a_crash_mid_step_a_new_incarnation_recovers_the_state_and_re_drives_the_in_flight_step()
    {
        var executor = new ScriptedStepExecutor();
        var hang = new TaskCompletionSource<StepOutcome>();
        executor.Behaviour = r => r.Step is { Step: UpgradeStep.DeleteOldMachine, Machine: "cp-3" } ? hang.Task : Task.FromResult(ScriptedStepExecutor.Succeed(r));
        var first = Spawn(executor);
        first.Tell(Start());
        ExpectMsg<CommandAccepted>();
        AwaitCondition(() => executor.Runs.Contains(new StepRef(UpgradeStep.DeleteOldMachine, "cp-3")), TimeSpan.FromSeconds(10));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var runsBefore = executor.Runs.Count;
        executor.Behaviour = r => Task.FromResult(ScriptedStepExecutor.Succeed(r));
        var second = Spawn(executor);
        var status = AwaitPhase(second, UpgradePhase.Succeeded);

        // The first step run by the new incarnation is the in-flight one, not a new one.
        Assert.Equal(new StepRef(UpgradeStep.DeleteOldMachine, "cp-3"), executor.Runs[runsBefore]);
        Assert.Equal(3, status.MachinesReplaced);
        // Exactly one replacement per Machine was created over both incarnations.
        Assert.Equal(3, executor.Runs.Count(r => r.Step == UpgradeStep.CreateReplacement));
    }

    [Fact]
    public void Recovery_from_snapshots_rebuilds_the_same_state()
    {
        var executor = new ScriptedStepExecutor();
        var settings = Fast with { SnapshotEvery = 7 };
        var first = Spawn(executor, settings);
        first.Tell(Start());
        ExpectMsg<CommandAccepted>();
        var before = AwaitPhase(first, UpgradePhase.Succeeded);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var second = Spawn(executor, settings);
        var after = AwaitPhase(second, UpgradePhase.Succeeded);
        Assert.Equal((before.UpgradeId, before.MachinesReplaced, before.FinishedAt), (after.UpgradeId, after.MachinesReplaced, after.FinishedAt));
    }

    [Fact]
    public void Upgrades_started_together_save_their_snapshots_at_different_sequence_numbers()
    {
        var phases = Enumerable.Range(0, 200).Select(i => ClusterUpgradeActor.SnapshotPhase(new ClusterKey("fleet", $"cluster-{i:0000}").PersistenceId, 50)).ToList();
        Assert.All(phases, p => Assert.InRange(p, 0, 49));
        // 200 clusters in step spread over most of the 50 phases, none holding more than a handful.
        Assert.True(phases.Distinct().Count() >= 40, $"{phases.Distinct().Count()} distinct phases");
        Assert.True(phases.GroupBy(p => p).Max(g => g.Count()) <= 10);
        // The phase of an upgrade does not change between runs of the engine.
        Assert.Equal(phases[7], ClusterUpgradeActor.SnapshotPhase(new ClusterKey("fleet", "cluster-0007").PersistenceId, 50));
    }

    [Fact]
    public void Transient_failures_are_retried_with_backoff_then_pause_and_retry_goes_on()
    {
        var executor = new ScriptedStepExecutor();
        var failing = true;
        executor.Behaviour = r => Task.FromResult(r.Step.Step == UpgradeStep.UpdateClusterConfig && failing
            ? new StepOutcome.Failed("500 from kube-system/kubeadm-config")
            : ScriptedStepExecutor.Succeed(r));
        var actor = Spawn(executor);
        actor.Tell(Start(options: UpgradeOptions.Default with { MaxStepAttempts = 3 }));
        var paused = AwaitPhase(actor, UpgradePhase.Paused);
        Assert.Contains("failed 3 times", paused.PauseReason);
        Assert.Equal(3, executor.Runs.Count(r => r.Step == UpgradeStep.UpdateClusterConfig));

        failing = false;
        actor.Tell(new RetryUpgrade(Cluster, "ops"));
        ExpectMsg<CommandAccepted>();
        AwaitPhase(actor, UpgradePhase.Succeeded);
    }

    [Fact]
    public void A_second_upgrade_id_is_rejected_naming_the_running_one()
    {
        var executor = new ScriptedStepExecutor();
        var hang = new TaskCompletionSource<StepOutcome>();
        executor.Behaviour = r => r.Step.Step == UpgradeStep.CreateReplacement ? hang.Task : Task.FromResult(ScriptedStepExecutor.Succeed(r));
        var actor = Spawn(executor);
        actor.Tell(Start());
        ExpectMsg<CommandAccepted>();
        actor.Tell(Start("other"));
        var rejected = ExpectMsg<CommandRejected>();
        Assert.Contains("up1", rejected.Reason);
    }

    [Fact]
    public void Pause_then_resume_through_the_protocol()
    {
        var executor = new ScriptedStepExecutor();
        var gate = new TaskCompletionSource<StepOutcome>();
        executor.Behaviour = r => r.Step is { Step: UpgradeStep.AwaitReplacementReady, Machine: "cp-2" } && !gate.Task.IsCompleted
            ? gate.Task
            : Task.FromResult(ScriptedStepExecutor.Succeed(r));
        var actor = Spawn(executor);
        actor.Tell(Start());
        ExpectMsg<CommandAccepted>();
        AwaitCondition(() => executor.Runs.Any(r => r.Step == UpgradeStep.AwaitReplacementReady));
        actor.Tell(new PauseUpgrade(Cluster, "change freeze", "ops"));
        ExpectMsg<CommandAccepted>(m => m.Message.Contains("paused"));
        gate.SetResult(new StepOutcome.Succeeded(Node: "cp-2-new"));
        var paused = AwaitPhase(actor, UpgradePhase.Paused);
        Assert.Equal("change freeze", paused.PauseReason);
        AwaitAssert(() => Assert.Null(actor.Ask<UpgradeStatus>(new GetUpgradeStatus(Cluster)).Result.Machines.SingleOrDefault(m => m.Stage == "ReplacementCreated")));

        actor.Tell(new ResumeUpgrade(Cluster, "ops"));
        ExpectMsg<CommandAccepted>();
        AwaitPhase(actor, UpgradePhase.Succeeded);
    }

    [Fact]
    public void Subscribers_get_progress_for_every_event_until_the_end()
    {
        var executor = new ScriptedStepExecutor();
        var actor = Spawn(executor);
        var probe = CreateTestProbe();
        actor.Tell(new SubscribeToProgress(Cluster, probe.Ref));
        probe.ExpectMsg<UpgradeProgress>(p => p.Event is null);
        actor.Tell(Start());
        var last = probe.FishForMessage<UpgradeProgress>(p => p.Status.Phase == UpgradePhase.Succeeded, TimeSpan.FromSeconds(10));
        Assert.IsType<ClusterUpgradeEvents.UpgradeSucceeded>(last.Event);
    }

    [Fact]
    public void A_wait_step_past_its_deadline_times_out_and_pauses_for_retry()
    {
        var executor = new ScriptedStepExecutor();
        var never = new TaskCompletionSource<StepOutcome>();
        executor.Behaviour = r => r.Step.Step == UpgradeStep.AwaitReplacementReady ? never.Task : Task.FromResult(ScriptedStepExecutor.Succeed(r));
        var actor = Spawn(executor);
        actor.Tell(Start(options: UpgradeOptions.Default with { MachineTimeout = TimeSpan.FromMilliseconds(100) }));
        var paused = AwaitPhase(actor, UpgradePhase.Paused);
        Assert.Contains("--retry", paused.PauseReason);
        Assert.Contains(paused.Machines, m => m.Stage == nameof(ReplacementStage.ReplacementFailed));
    }

    [Fact]
    public void The_backoff_supervisor_restarts_the_actor_which_resumes_from_its_journal()
    {
        var executor = new ScriptedStepExecutor();
        var supervised = Sys.ActorOf(ClusterUpgradeActor.SupervisedProps(Cluster, executor, Fast with { SupervisorMinBackoff = TimeSpan.FromMilliseconds(10), SupervisorMaxBackoff = TimeSpan.FromMilliseconds(50) }));
        supervised.Tell(Start());
        ExpectMsg<CommandAccepted>();
        AwaitPhase(supervised, UpgradePhase.Succeeded);
    }
}
