using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Actors.ClusterUpgrade;

/// <summary>
/// One cluster's upgrades (persistence id `cluster-upgrade/&lt;namespace&gt;/&lt;name&gt;`). Thin around the pure
/// state machine: receive → Decide → persist → Apply → side effect. Every step's intent (StepStarted) is
/// persisted before its side effect runs in a child, its outcome after. After recovery the in-flight step
/// is re-driven (steps are idempotent).
/// </summary>
public sealed class ClusterUpgradeActor : ReceivePersistentActor, IWithTimers
{
    private sealed record Drive
    {
        public static readonly Drive Instance = new();
    }

    private sealed record StepDeadlinePassed(long ExecutionId);

    private const string RetryTimer = "retry";
    private const string DeadlineTimer = "step-deadline";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IStepExecutor _executor;
    private readonly EngineSettings _settings;
    private readonly int _snapshotPhase;
    private readonly HashSet<IActorRef> _subscribers = new();
    private ClusterUpgradeState _state;
    private long _executionId;
    private long? _executing;
    private StepRef? _executingStep;
    private CancellationTokenSource? _executionCancellation;
    private IActorRef _etcd = ActorRefs.Nobody;
    private IActorRef _config = ActorRefs.Nobody;

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId { get; }

    /// <summary>
    /// Where in every <paramref name="every"/> events this upgrade saves its snapshot: a fixed number from its
    /// persistence id. Upgrades a campaign starts together run in step, and had they all saved at the same
    /// sequence numbers, their snapshot writes would land in the same instant and hold the journal's fsyncs back.
    /// </summary>
    public static int SnapshotPhase(string persistenceId, int every)
    {
        var hash = 2166136261u;
        foreach (var c in persistenceId)
            hash = (hash ^ c) * 16777619u;
        return (int)(hash % (uint)Math.Max(1, every));
    }

    public static Props Props(ClusterKey cluster, IStepExecutorFactory executors, EngineSettings settings) =>
        Akka.Actor.Props.Create(() => new ClusterUpgradeActor(cluster, executors.For(cluster), settings));

    /// <summary>The actor behind a backoff supervisor: restarted with growing delays when it crashes (e.g. a journal failure).</summary>
    public static Props SupervisedProps(ClusterKey cluster, IStepExecutorFactory executors, EngineSettings settings) =>
        BackoffSupervisor.Props(Backoff.OnStop(
                Props(cluster, executors, settings), "upgrade",
                settings.SupervisorMinBackoff, settings.SupervisorMaxBackoff, settings.SupervisorRandomFactor, -1)
            .WithFinalStopMessage(m => m is PoisonPill));

    public ClusterUpgradeActor(ClusterKey cluster, IStepExecutor executor, EngineSettings settings)
    {
        PersistenceId = cluster.PersistenceId;
        _executor = executor;
        _settings = settings;
        _snapshotPhase = SnapshotPhase(PersistenceId, settings.SnapshotEvery);
        _state = ClusterUpgradeState.Empty(cluster);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ClusterUpgradeState snapshot) _state = snapshot;
        });
        Recover<IClusterUpgradeEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            if (_state.InFlight is not null)
                _log.Info("cluster {0}: recovered with step {1} in flight; re-driving it", _state.Cluster, _state.InFlight);
            Self.Tell(Drive.Instance);
            UpdatePassivation();
        });

        Command<StartUpgrade>(c => Handle(new UpgradeCommand.Start(c.UpgradeId, c.TargetVersion, c.Options, c.RequestedBy), Sender,
            s => $"upgrade {s.UpgradeId} of {s.Cluster} to {s.TargetVersion}: {s.Phase}"));
        Command<PauseUpgrade>(c => Handle(new UpgradeCommand.Pause(c.Reason, c.By), Sender, s => $"upgrade {s.UpgradeId} of {s.Cluster} paused"));
        Command<ResumeUpgrade>(c => Handle(new UpgradeCommand.Resume(c.By), Sender, s => $"upgrade {s.UpgradeId} of {s.Cluster} resumed"));
        Command<RetryUpgrade>(c => Handle(new UpgradeCommand.Retry(c.By), Sender, s => $"upgrade {s.UpgradeId} of {s.Cluster} retried"));
        Command<AbortUpgrade>(c => Handle(new UpgradeCommand.Abort(c.By), Sender, s => $"upgrade {s.UpgradeId} of {s.Cluster} aborting"));
        Command<GetUpgradeStatus>(_ => Sender.Tell(UpgradeStatus.From(_state)));
        Command<SubscribeToProgress>(c =>
        {
            if (_subscribers.Add(c.Subscriber)) Context.Watch(c.Subscriber);
            c.Subscriber.Tell(new UpgradeProgress(_state.Cluster, null, UpgradeStatus.From(_state)));
        });
        Command<UnsubscribeFromProgress>(c =>
        {
            if (_subscribers.Remove(c.Subscriber)) Context.Unwatch(c.Subscriber);
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Command<Drive>(_ => DriveOn());
        Command<StepFinished>(OnStepFinished);
        Command<StepDeadlinePassed>(d =>
        {
            if (d.ExecutionId != _executing || _executingStep is not { } step) return;
            _executionCancellation?.Cancel();
            var reason = $"{step} on cluster {_state.Cluster} did not finish before its deadline";
            OnStepFinished(new StepFinished(d.ExecutionId, step,
                step.Step.IsWait() ? new StepOutcome.TimedOut(reason) : new StepOutcome.Failed(reason)));
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("cluster {0}: snapshot failed: {1}", _state.Cluster, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
        Command<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            if (!IsIdleAndFinished) return;
            // To the backoff supervisor, which passes it on to the shard as its own: the shard then stops the
            // supervisor (PoisonPill, its final stop message) and forgets the entity among the remembered ones.
            _log.Info("cluster {0}: upgrade {1} {2}; its actor leaves memory (the journal keeps it)", _state.Cluster, _state.UpgradeId, _state.Phase);
            Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
        });
    }

    private bool IsIdleAndFinished => _state.Phase.IsFinished() && _executing is null;

    /// <summary>Arms (or disarms) the passivation of a finished upgrade's actor (<see cref="EngineSettings.PassivateFinishedAfter"/>).</summary>
    private void UpdatePassivation()
    {
        if (_settings.PassivateFinishedAfter is { } idle)
            Context.SetReceiveTimeout(IsIdleAndFinished ? idle : null);
    }

    protected override void PreStart()
    {
        _etcd = Context.ActorOf(Akka.Actor.Props.Create(() => new EtcdHealthActor(_executor)), "etcd-health");
        _config = Context.ActorOf(Akka.Actor.Props.Create(() => new ConfigMaintenanceActor(_executor)), "config-maintenance");
        base.PreStart();
    }

    protected override void PostStop()
    {
        _executionCancellation?.Cancel();
        _executionCancellation?.Dispose();
        base.PostStop();
    }

    private void Handle(UpgradeCommand command, IActorRef replyTo, Func<ClusterUpgradeState, string> accepted)
    {
        var decision = ClusterUpgradeDecider.Decide(_state, command, DateTimeOffset.UtcNow);
        if (decision.IsRejected)
        {
            replyTo.Tell(new CommandRejected(_state.Cluster, decision.Rejection!));
            return;
        }
        PersistThen(decision.Events, () =>
        {
            replyTo.Tell(new CommandAccepted(_state.Cluster, _state.UpgradeId, accepted(_state)));
            Self.Tell(Drive.Instance);
        });
    }

    private void PersistThen(IReadOnlyList<IClusterUpgradeEvent> events, Action then)
    {
        if (events.Count == 0)
        {
            then();
            UpdatePassivation();
            return;
        }
        var remaining = events.Count;
        PersistAll(events, e =>
        {
            _state = _state.Apply(e);
            Publish(e);
            if (LastSequenceNr % _settings.SnapshotEvery == _snapshotPhase)
                SaveSnapshot(_state);
            if (--remaining == 0)
            {
                then();
                UpdatePassivation();
            }
        });
    }

    private void Publish(IClusterUpgradeEvent e)
    {
        if (_subscribers.Count == 0) return;
        var progress = new UpgradeProgress(_state.Cluster, e, UpgradeStatus.From(_state));
        foreach (var s in _subscribers) s.Tell(progress);
    }

    private void DriveOn()
    {
        if (_executing is not null || _state.Phase.IsFinished()) return;
        if (_state.InFlight is { } inFlight)
        {
            Execute(inFlight);
            return;
        }
        var decision = ClusterUpgradeDecider.Decide(_state, UpgradeCommand.BeginNextStep.Instance, DateTimeOffset.UtcNow);
        if (decision.Events.Count == 0) return;
        PersistThen(decision.Events, () =>
        {
            if (_state.InFlight is { } started) Execute(started);
        });
    }

    private void Execute(StepRef step)
    {
        Timers.Cancel(RetryTimer);
        var id = ++_executionId;
        _executing = id;
        _executingStep = step;
        _executionCancellation?.Dispose();
        _executionCancellation = new CancellationTokenSource();
        var now = DateTimeOffset.UtcNow;
        var since = _state.InFlightSince ?? now;
        var deadline = step.Step switch
        {
            UpgradeStep.AwaitReplacementReady => since + _state.Options.MachineTimeout,
            UpgradeStep.AwaitPreTerminateHold or UpgradeStep.AwaitOldMachineGone or UpgradeStep.RemoveFailedReplacement => since + _settings.DeletionTimeout,
            _ => now + _settings.StepTimeout,
        };
        // The executor gives up at the deadline itself; the timer is the safety net (with a grace period).
        var delay = deadline - now + TimeSpan.FromSeconds(5);
        Timers.StartSingleTimer(DeadlineTimer, new StepDeadlinePassed(id), delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay);
        RunnerFor(step).Tell(new RunStep(id, new StepRequest(_state, step, deadline), _executionCancellation.Token));
    }

    private IActorRef RunnerFor(StepRef step)
    {
        switch (step.Step)
        {
            case UpgradeStep.RemoveStaleMembers or UpgradeStep.MoveEtcdLeader or UpgradeStep.RemoveEtcdMember:
                return _etcd;
            case UpgradeStep.Preflight or UpgradeStep.ClaimCluster or UpgradeStep.ReleaseClaim or UpgradeStep.UpdateClusterConfig:
                return _config;
        }
        var name = "machine-" + step.Machine;
        var child = Context.Child(name);
        return child.IsNobody()
            ? Context.ActorOf(Akka.Actor.Props.Create(() => new MachineReplacementActor(_executor)), name)
            : child;
    }

    private void OnStepFinished(StepFinished done)
    {
        if (done.ExecutionId != _executing) return; // a late answer of an execution that was given up
        _executing = null;
        _executingStep = null;
        Timers.Cancel(DeadlineTimer);
        var now = DateTimeOffset.UtcNow;
        var decision = ClusterUpgradeDecider.Decide(_state, new UpgradeCommand.CompleteStep(done.Step.Step, done.Step.Machine, done.Outcome), now);
        // The outcome and the next step's intent go to the journal in one write: the next side effect still
        // waits for its intent to be persisted, but a step's end no longer costs two journal round trips.
        var events = decision.Events;
        var after = events.Aggregate(_state, (s, e) => s.Apply(e));
        var retrying = events.LastOrDefault() is StepFailed && after.Phase == UpgradePhase.Running;
        if (!retrying && after.InFlight is null && !after.Phase.IsFinished())
            events = [.. events, .. ClusterUpgradeDecider.Decide(after, UpgradeCommand.BeginNextStep.Instance, now).Events];
        PersistThen(events, () =>
        {
            if (done.Step.Machine is { } machine && _state.Machines.FirstOrDefault(m => m.OldMachine == machine) is { IsDone: true })
                Context.Child("machine-" + machine).Tell(PoisonPill.Instance);
            if (decision.Events.LastOrDefault() is StepFailed failed && _state.Phase == UpgradePhase.Running)
            {
                var backoff = _settings.RetryBackoff(failed.Attempt);
                _log.Info("cluster {0}: {1} failed (attempt {2}): {3}; retrying in {4}", _state.Cluster, done.Step, failed.Attempt, failed.Error, backoff);
                Timers.StartSingleTimer(RetryTimer, Drive.Instance, backoff);
            }
            else
            {
                if (decision.Events.OfType<UpgradePaused>().FirstOrDefault() is { } paused)
                    _log.Warning("cluster {0}: upgrade {1} paused: {2}", _state.Cluster, paused.UpgradeId, paused.Reason);
                Self.Tell(Drive.Instance);
            }
        });
    }
}
