using Akka.Persistence.Query;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Service.ReadModel;
using E = CapiUpgrade.Core.Campaigns.CampaignEvents;

namespace CapiUpgrade.Service.Campaigns;

/// <summary>Folds campaign events into the read model with the campaign's own <see cref="CampaignStateMachine.Apply(CampaignState, CampaignEvent)"/>.</summary>
public sealed class CampaignProjector(Microsoft.Extensions.Logging.ILogger<CampaignProjector> logger) : IJournalProjector
{
    private readonly Dictionary<string, CampaignState> _states = new(StringComparer.Ordinal);

    public void Project(EventEnvelope envelope, FleetView view, bool live)
    {
        if (envelope.Event is not CampaignEvent e) return;
        var state = _states.TryGetValue(e.CampaignId, out var s) ? s : CampaignState.Initial(e.CampaignId);
        state = CampaignStateMachine.Apply(state, e);
        _states[e.CampaignId] = state;
        var (type, text) = Describe(e);
        if (live)
            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "campaign {Campaign} #{SequenceNr} {Event}: {Detail}", e.CampaignId, envelope.SequenceNr, type, text);
        var line = new EventLine(e.At, EventLine.CampaignStream, e.CampaignId, null, e.CampaignId, type, text, envelope.SequenceNr);
        var action = Action(e);
        view.UpdateCampaign(e.CampaignId, current =>
        {
            var next = Summarize(state, current);
            return action is null ? next : next with { Actions = [.. current.Actions, action] };
        }, line);
    }

    /// <inheritdoc />
    public object? ExportState() => new Dictionary<string, CampaignState>(_states, StringComparer.Ordinal);

    /// <inheritdoc />
    public void ImportState(System.Text.Json.JsonElement state, FleetView view)
    {
        ReadModelCheckpoint.Restore(_states, state);
        // The view's copy of the state (for explanations) does not travel with the views.
        foreach (var (key, value) in _states)
            view.AttachCampaignState(key, value);
    }

    internal static CampaignView Summarize(CampaignState s, CampaignView current) => current with
    {
        Name = s.CampaignId,
        Phase = s.Status.ToString(),
        TargetVersion = s.TargetVersion,
        CurrentWave = s.Wave?.Index,
        FailureCount = s.CountedFailures,
        FailureBudget = s.FailureBudget,
        PauseReason = s.PauseReason,
        StartedAt = s.StartedAt,
        StartedBy = s.StartedBy,
        FinishedAt = s.FinishedAt,
        Waves = s.Waves.Select(w => new CampaignWaveView(w.Index, w.Name, w.Phase.ToString(), w.Clusters.Count, w.MaxConcurrent, w.RequiresApproval, w.ApprovedBy, w.SoakUntil)).ToList(),
        Clusters = s.Clusters.Values.OrderBy(c => c.Wave).ThenBy(c => c.Cluster, StringComparer.Ordinal)
            .Select(c => new CampaignClusterView(c.Cluster, c.Wave, c.Status.ToString(), c.UpgradeId, c.FailureReason ?? (c.SkippedBy is null ? null : $"skipped by {c.SkippedBy}"))).ToList(),
        Excluded = s.Excluded.Select(x => $"{x.Cluster}: {x.Reason}: {x.Message}").ToList(),
        State = s,
    };

    private static OperatorAction? Action(CampaignEvent e) => e switch
    {
        E.Started x => new OperatorAction("start", x.By, x.At, $"to {x.TargetVersion}"),
        E.Paused x => new OperatorAction(x.Automatic ? "auto-pause" : "pause", x.By, x.At, x.Reason),
        E.Resumed x => new OperatorAction("resume", x.By, x.At, x.AcceptedFailures > 0 ? $"accepting {x.AcceptedFailures} failure(s)" : null),
        E.Aborted x => new OperatorAction("abort", x.By, x.At, x.Reason),
        E.WaveApproved x => new OperatorAction("approve", x.By, x.At, $"wave {x.Wave}"),
        E.ClusterSkipped x => new OperatorAction("skip", x.By, x.At, x.Cluster),
        E.WaveSoakSkipped x => new OperatorAction("skip-soak", x.By, x.At, $"wave {x.Wave}"),
        _ => null,
    };

    public static (string Type, string Text) Describe(CampaignEvent e) => e switch
    {
        E.Started x => ("Started", $"to {x.TargetVersion} by {x.By}: {x.Waves.Count} wave(s), {x.Waves.Sum(w => w.Clusters.Count)} cluster(s), failure budget {x.FailureBudget}, {x.Excluded.Count} excluded"),
        E.WaveApprovalRequested x => ("WaveApprovalRequested", $"wave {x.Wave} awaits approval: `campaign approve {x.CampaignId}`"),
        E.WaveApproved x => ("WaveApproved", $"wave {x.Wave} approved by {x.By}"),
        E.WaveStarted x => ("WaveStarted", $"wave {x.Wave}"),
        E.ClusterScheduled x => ("ClusterScheduled", $"{x.Cluster} (wave {x.Wave})"),
        E.ClusterUpgradeStarted x => ("ClusterUpgradeStarted", $"{x.Cluster} upgrade {x.UpgradeId}"),
        E.ClusterSucceeded x => ("ClusterSucceeded", x.Cluster),
        E.ClusterFailed x => ("ClusterFailed", $"{x.Cluster}: {x.Reason}"),
        E.ClusterTimedOut x => ("ClusterTimedOut", $"{x.Cluster}: {x.Reason}"),
        E.ClusterSkipped x => ("ClusterSkipped", $"{x.Cluster} by {x.By}"),
        E.WaveCompleted x => ("WaveCompleted", x.SoakUntil > x.At ? $"wave {x.Wave}; soak until {x.SoakUntil:u} (`campaign skip-soak {x.CampaignId}` ends it now)" : $"wave {x.Wave}"),
        E.WaveSoakSkipped x => ("WaveSoakSkipped", $"wave {x.Wave} by {x.By}"),
        E.WaveFinished x => ("WaveFinished", $"wave {x.Wave}"),
        E.Paused x => ("Paused", $"{(x.Automatic ? "automatically" : "by " + x.By)}: {x.Reason}"),
        E.Resumed x => ("Resumed", $"by {x.By}"),
        E.Aborted x => ("Aborted", $"by {x.By}: {x.Reason}"),
        E.Completed => ("Completed", "every wave done"),
        _ => (e.GetType().Name, e.ToString()),
    };
}
