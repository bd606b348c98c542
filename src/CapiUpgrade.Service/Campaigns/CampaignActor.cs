using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Naming;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Service.Upgrades;
using C = CapiUpgrade.Core.Campaigns.CampaignCommands;
using E = CapiUpgrade.Core.Campaigns.CampaignEvents;
using UpgradeKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Service.Campaigns;

/// <summary>
/// One campaign (persistence id <c>campaign/&lt;name&gt;</c>), thin over the pure
/// <see cref="CampaignStateMachine"/>: receive → Decide → persist → Apply → side effects. The side
/// effects: start the cluster upgrades the campaign scheduled (StartUpgrade to the cluster's sharded
/// ClusterUpgradeActor, idempotent with a derived upgrade id), abort in-flight upgrades on abort, and
/// watch the upgrades it started (progress subscription, plus a status poll on every tick) to feed
/// their outcome back as commands. A periodic tick ends soaks, opens maintenance windows and times out
/// overdue clusters. After recovery every scheduled or running cluster is re-driven. A snapshot of the state is
/// saved every <see cref="CampaignSettings.SnapshotEvery"/> events (older ones deleted), so a recovery replays at most that many.
/// </summary>
public sealed class CampaignActor : ReceivePersistentActor, IWithTimers
{
    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record UpgradeHandedOver(string Cluster, string UpgradeId, object Reply);

    private const string TickTimer = "tick";
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _upgrades;
    private readonly CampaignSettings _settings;
    private CampaignState _state;
    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _handingOver = new(StringComparer.Ordinal);

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId { get; }

    /// <summary>The sequence number of the snapshot this incarnation recovered from (null: none), for the recovery's log line.</summary>
    private long? _recoveredFromSnapshot;

    public static Props Props(string campaignId, IActorRef upgrades, CampaignSettings settings) =>
        Akka.Actor.Props.Create(() => new CampaignActor(campaignId, upgrades, settings));

    public CampaignActor(string campaignId, IActorRef upgrades, CampaignSettings settings)
    {
        _settings = settings;
        PersistenceId = E.PersistenceIdPrefix + campaignId;
        _upgrades = upgrades;
        _state = CampaignState.Initial(campaignId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not CampaignState snapshot) return;
            _state = snapshot;
            _recoveredFromSnapshot = offer.Metadata.SequenceNr;
        });
        Recover<CampaignEvent>(e => _state = CampaignStateMachine.Apply(_state, e));
        Recover<RecoveryCompleted>(_ =>
        {
            if (_state.Status != CampaignStatus.NotStarted && !_state.IsFinished)
                _log.Info("campaign {0}: recovered {1}{2}; re-driving {3} in-flight cluster(s)", _state.CampaignId, _state.Status,
                    _recoveredFromSnapshot is { } at ? $" from its snapshot at event {at} and {LastSequenceNr - at} event(s) after it" : "",
                    _state.InFlight.Count());
            AfterChange();
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("campaign {0}: snapshot at event {1} failed: {2}", _state.CampaignId, f.Metadata.SequenceNr, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });

        Command<CampaignProtocol.StartCampaign>(c => Handle(new C.Start(c.Plan, c.By, Now), $"campaign {campaignId} started"));
        Command<CampaignProtocol.PauseCampaign>(c => Handle(new C.Pause(c.By, c.Reason, Now), $"campaign {campaignId} paused"));
        Command<CampaignProtocol.ResumeCampaign>(c => Handle(new C.Resume(c.By, Now, c.AcceptFailures), $"campaign {campaignId} resumed"));
        Command<CampaignProtocol.AbortCampaign>(c => Handle(new C.Abort(c.By, c.Reason, Now), $"campaign {campaignId} aborted; in-flight upgrades are being aborted"));
        Command<CampaignProtocol.ApproveWave>(c => Handle(new C.Approve(c.By, Now, c.Wave), $"campaign {campaignId}: wave approved"));
        Command<CampaignProtocol.SkipCluster>(c => Handle(new C.SkipCluster(c.Cluster, c.By, Now), $"campaign {campaignId}: cluster {c.Cluster} skipped"));
        Command<CampaignProtocol.SkipSoak>(c => Handle(new C.SkipSoak(c.By, Now), $"campaign {campaignId}: soak skipped"));
        Command<CampaignProtocol.GetCampaign>(_ => Sender.Tell(new CampaignReplies.Current(_state)));
        Command<Tick>(_ =>
        {
            Handle(new C.Tick(Now), null);
            PollInFlight();
        });
        Command<UpgradeHandedOver>(OnHandedOver);
        Command<ClusterUpgradeReplies.UpgradeProgress>(p => OnStatus(p.Status));
        Command<ClusterUpgradeReplies.UpgradeStatus>(OnStatus);
        Command<ClusterUpgradeReplies.CommandAccepted>(_ => { });
        Command<ClusterUpgradeReplies.CommandRejected>(r => _log.Warning("campaign {0}: cluster {1} refused a command: {2}", _state.CampaignId, r.Cluster, r.Reason));
        Command<ReceiveTimeout>(_ =>
        {
            Context.SetReceiveTimeout(null);
            if (!IsIdleAndDone) return;
            // To the shard: it stops this actor (PoisonPill) and forgets it among the remembered entities.
            _log.Info("campaign {0} {1}; its actor leaves memory (the journal keeps it)", _state.CampaignId, _state.Status);
            Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
        });
    }

    /// <summary>Finished (or never started) with nothing in flight or being handed over: nothing left for this actor to do.</summary>
    private bool IsIdleAndDone => (_state.IsFinished || _state.Status == CampaignStatus.NotStarted) && !_state.InFlight.Any() && _handingOver.Count == 0;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private void Handle(CampaignCommand command, string? accepted)
    {
        var decision = CampaignStateMachine.Decide(_state, command);
        if (decision.IsRejected)
        {
            if (accepted is not null) Sender.Tell(new CampaignReplies.Rejected(_state.CampaignId, decision.Rejection!));
            return;
        }
        var replyTo = Sender;
        if (decision.Events.Count == 0)
        {
            if (accepted is not null) replyTo.Tell(new CampaignReplies.Accepted(_state.CampaignId, accepted + " (nothing changed)"));
            return;
        }
        var remaining = decision.Events.Count;
        PersistAll(decision.Events, e =>
        {
            _state = CampaignStateMachine.Apply(_state, e);
            if (LastSequenceNr % _settings.SnapshotEvery == 0)
                SaveSnapshot(_state);
            if (e is E.Paused { Automatic: true } paused)
                _log.Warning("campaign {0} paused automatically: {1}", _state.CampaignId, paused.Reason);
            if (--remaining > 0) return;
            if (accepted is not null) replyTo.Tell(new CampaignReplies.Accepted(_state.CampaignId, accepted));
            if (command is C.Abort) AbortInFlight();
            AfterChange();
        });
    }

    /// <summary>Hand scheduled clusters to their upgrade actors, watch the running ones, keep the tick going.</summary>
    private void AfterChange()
    {
        if (_settings.PassivateFinishedAfter is { } idle)
            Context.SetReceiveTimeout(IsIdleAndDone ? idle : null);
        if (_state.Status == CampaignStatus.NotStarted) return;
        foreach (var c in _state.Clusters.Values)
        {
            if (c.Status == ClusterStatus.Scheduled && _state.Status != CampaignStatus.Aborted) HandOver(c.Cluster);
            if (c.Status is ClusterStatus.Running or ClusterStatus.Failed or ClusterStatus.TimedOut or ClusterStatus.Scheduled) Watch(c.Cluster);
        }
        if (_state.IsFinished && !_state.InFlight.Any())
            Timers.Cancel(TickTimer);
        else if (!Timers.IsTimerActive(TickTimer))
            Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _settings.TickInterval);
    }

    private string UpgradeIdFor(string cluster)
    {
        var key = UpgradeKey.Parse(cluster);
        return UpgradeId.Derive(key.Namespace, key.Name, KubernetesVersion.Parse(_state.TargetVersion!), key.Management);
    }

    private void HandOver(string cluster)
    {
        if (!_handingOver.Add(cluster)) return;
        var upgradeId = UpgradeIdFor(cluster);
        var start = new ClusterUpgradeCommands.StartUpgrade(UpgradeKey.Parse(cluster), upgradeId, _state.TargetVersion!, // The planner excluded 1-node control planes unless the spec accepted the risk (allowSingleNodeControlPlane).
            _settings.UpgradeOptions with { AllowSingleNode = true },
            UpgradeProjector.CampaignRequesterPrefix + _state.CampaignId);
        _upgrades.Ask<object>(start, TimeSpan.FromSeconds(30))
            .ContinueWith(t => (object)new UpgradeHandedOver(cluster, upgradeId, t.IsCompletedSuccessfully ? t.Result : (object)(t.Exception?.GetBaseException().Message ?? "timed out")))
            .PipeTo(Self);
    }

    private void OnHandedOver(UpgradeHandedOver h)
    {
        _handingOver.Remove(h.Cluster);
        switch (h.Reply)
        {
            case ClusterUpgradeReplies.CommandAccepted:
                Handle(new C.ClusterStarted(h.Cluster, h.UpgradeId, Now), null);
                Watch(h.Cluster);
                break;
            case ClusterUpgradeReplies.CommandRejected r:
                Handle(new C.ClusterFailed(h.Cluster, $"the upgrade could not start: {r.Reason}", Now), null);
                break;
            default:
                // No answer (the shard was not ready): the next tick hands it over again.
                _log.Warning("campaign {0}: handing cluster {1} over got no answer ({2}); trying again", _state.CampaignId, h.Cluster, h.Reply);
                break;
        }
    }

    private void Watch(string cluster)
    {
        if (!_subscribed.Add(cluster)) return;
        _upgrades.Tell(new ClusterUpgradeCommands.SubscribeToProgress(UpgradeKey.Parse(cluster), Self));
    }

    private void PollInFlight()
    {
        foreach (var c in _state.Clusters.Values)
        {
            if (c.Status == ClusterStatus.Scheduled && _state.Status != CampaignStatus.Aborted) HandOver(c.Cluster);
            if (c.Status is ClusterStatus.Running or ClusterStatus.Failed or ClusterStatus.TimedOut)
                _upgrades.Tell(new ClusterUpgradeCommands.GetUpgradeStatus(UpgradeKey.Parse(c.Cluster)));
        }
    }

    private void OnStatus(ClusterUpgradeReplies.UpgradeStatus status)
    {
        var cluster = status.Cluster.EntityId;
        if (!_state.Clusters.TryGetValue(cluster, out var progress)) return;
        var expected = progress.UpgradeId ?? UpgradeIdFor(cluster);
        if (status.UpgradeId != expected) return;
        switch (status.Phase)
        {
            case UpgradePhase.Succeeded when progress.Status is not ClusterStatus.Succeeded:
                Handle(new C.ClusterSucceeded(cluster, Now), null);
                break;
            case UpgradePhase.Paused when progress.InFlight && status.PausedBy == ClusterUpgradeDecider.EngineActor:
                Handle(new C.ClusterFailed(cluster, $"paused: {status.PauseReason}", Now), null);
                break;
            case UpgradePhase.Refused when progress.InFlight:
                Handle(new C.ClusterFailed(cluster, $"refused: {status.PauseReason ?? status.LastError}", Now), null);
                break;
            case UpgradePhase.Aborted when progress.InFlight:
                Handle(new C.ClusterFailed(cluster, "its upgrade was aborted", Now), null);
                break;
            case UpgradePhase.Running when progress.Status is ClusterStatus.Failed or ClusterStatus.TimedOut && !status.Aborting:
                // `upgrade retry` / `upgrade resume` of a failed cluster: it is running again.
                Handle(new C.ClusterStarted(cluster, status.UpgradeId!, Now), null);
                break;
        }
    }

    private void AbortInFlight()
    {
        foreach (var c in _state.InFlight)
            _upgrades.Tell(new ClusterUpgradeCommands.AbortUpgrade(UpgradeKey.Parse(c.Cluster), $"campaign/{_state.CampaignId} abort by {_state.AbortedBy}"));
    }
}
