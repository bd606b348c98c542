using Akka.Persistence.Query;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Metrics;
using CapiUpgrade.Service.ReadModel;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>
/// Folds the engine's cluster-upgrade events into the read model with the engine's own
/// <see cref="ClusterUpgradeState.Apply"/>, so the read model and the actor can never disagree about what an
/// event means.
/// </summary>
public sealed class UpgradeProjector(ServiceMetrics metrics, Microsoft.Extensions.Logging.ILogger<UpgradeProjector> logger) : IJournalProjector
{
    /// <summary>A campaign starts upgrades with RequestedBy = "campaign/&lt;id&gt;".</summary>
    public const string CampaignRequesterPrefix = "campaign/";

    private readonly Dictionary<string, ClusterUpgradeState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _stepStarted = new(StringComparer.Ordinal);

    public void Project(EventEnvelope envelope, FleetView view, bool live)
    {
        if (envelope.Event is not IClusterUpgradeEvent e) return;
        var key = e.Cluster.EntityId;
        var state = _states.TryGetValue(key, out var s) ? s : ClusterUpgradeState.Empty(e.Cluster);
        state = state.Apply(e);
        _states[key] = state;
        Measure(key, e);
        var (type, text) = Describe(e);
        if (live)
            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "cluster {Cluster} upgrade {UpgradeId} #{SequenceNr} {Event}: {Detail}",
                key, e.UpgradeId, envelope.SequenceNr, type, text);
        var line = new EventLine(e.At, EventLine.UpgradeStream, key, e.UpgradeId, null, type, text, envelope.SequenceNr);
        var action = Action(e);
        view.UpdateUpgrade(key, current =>
        {
            var next = Summarize(state, current) with { PersistenceId = envelope.PersistenceId };
            return action is null ? next : next with { Actions = [.. current.Actions, action] };
        }, line);
    }

    /// <inheritdoc />
    public object? ExportState() => new Dictionary<string, ClusterUpgradeState>(_states, StringComparer.Ordinal);

    /// <inheritdoc />
    public void ImportState(System.Text.Json.JsonElement state, FleetView view) => ReadModelCheckpoint.Restore(_states, state);

    private void Measure(string key, IClusterUpgradeEvent e)
    {
        switch (e)
        {
            case StepStarted st:
                _stepStarted[key] = st.At;
                break;
            case StepSucceeded ok when _stepStarted.Remove(key, out var since):
                metrics.StepFinished(ok.Step.ToString(), ok.At - since);
                if (ok.Step == UpgradeStep.Preflight) metrics.EtcdHealthChecked(true);
                break;
            case StepFailed f:
                _stepStarted.Remove(key);
                metrics.ApiError(f.Step.ToString());
                break;
            case UpgradePaused { Step: UpgradeStep.Preflight }:
                metrics.EtcdHealthChecked(false);
                break;
        }
    }

    internal static UpgradeView Summarize(ClusterUpgradeState s, UpgradeView current)
    {
        var status = ClusterUpgradeReplies.UpgradeStatus.From(s);
        var campaign = s.RequestedBy is { } by && by.StartsWith(CampaignRequesterPrefix, StringComparison.Ordinal) ? by[CampaignRequesterPrefix.Length..] : null;
        return current with
        {
            UpgradeId = s.UpgradeId,
            CampaignId = campaign,
            Phase = s.Phase.ToString(),
            Step = status.CurrentStep is null ? null : status.CurrentMachine is null ? status.CurrentStep : $"{status.CurrentStep} ({status.CurrentMachine})",
            FromVersion = s.FromVersion,
            ToVersion = s.TargetVersion,
            Hops = s.Hops,
            MachinesReplaced = s.MachinesReplaced,
            MachinesTotal = s.Machines.Count > 0 ? s.Machines.Count : null,
            Machines = status.Machines.Select(m => new MachineView(m.OldMachine, m.Stage, m.Replacement, m.ReplacementNode)).ToList(),
            MixedVersion = s.IsMixedVersion,
            ControlPlaneVersions = ControlPlaneVersions(s),
            RequestedBy = s.RequestedBy,
            PauseReason = s.PauseReason,
            PausedBy = s.PausedBy,
            Error = s.LastError,
            StartedAt = s.StartedAt,
            FinishedAt = s.FinishedAt,
        };
    }

    private static string? ControlPlaneVersions(ClusterUpgradeState s)
    {
        if (s.Machines.Count == 0 || s.CurrentHopVersion is null || s.FromVersion is null) return null;
        var done = s.Machines.Count(m => m.IsDone);
        var old = s.HopIndex == 0 ? s.FromVersion : s.Hops[s.HopIndex - 1];
        if (done == 0) return $"{old} ×{s.Machines.Count}";
        if (done == s.Machines.Count) return $"{s.CurrentHopVersion} ×{done}";
        return $"mixed: {old} ×{s.Machines.Count - done}, {s.CurrentHopVersion} ×{done}";
    }

    private static OperatorAction? Action(IClusterUpgradeEvent e) => e switch
    {
        UpgradeStarted st => new OperatorAction("start", st.RequestedBy, st.At, $"to {st.TargetVersion}"),
        UpgradePaused { Step: null } p => new OperatorAction("pause", p.By, p.At, p.Reason),
        UpgradeResumed r => new OperatorAction("resume", r.By, r.At, null),
        RetryRequested r => new OperatorAction("retry", r.By, r.At, null),
        AbortRequested a => new OperatorAction("abort", a.By, a.At, null),
        _ => null,
    };

    /// <summary>An event as a person reads it.</summary>
    public static (string Type, string Text) Describe(IClusterUpgradeEvent e) => e switch
    {
        UpgradeStarted st => ("UpgradeStarted", $"upgrade to {st.TargetVersion} requested by {st.RequestedBy}"),
        UpgradePlanned p => ("UpgradePlanned", $"from {p.FromVersion} via {string.Join(" → ", p.Hops)}"),
        HopPlanned h => ("HopPlanned", $"hop {h.HopIndex + 1} to {h.Version}: replace {string.Join(", ", h.Machines.Select(m => m.OldMachine))}" +
                                       (h.StaleMembers.Count > 0 ? $"; stale etcd members {string.Join(", ", h.StaleMembers)}" : "")),
        StepStarted st => ("StepStarted", $"{st.Step}{On(st.Machine)}{(st.Attempt > 0 ? $" (attempt {st.Attempt + 1})" : "")}"),
        StepSucceeded ok => ("StepSucceeded", $"{ok.Step}{On(ok.Machine)}{(ok.Replacement is null ? "" : $" replacement {ok.Replacement}")}{(ok.Node is null ? "" : $" node {ok.Node}")}{(ok.Detail is null ? "" : $": {ok.Detail}")}"),
        StepFailed f => ("StepFailed", $"{f.Step}{On(f.Machine)} attempt {f.Attempt}: {f.Error}"),
        ReplacementFailed rf => ("ReplacementFailed", $"replacement {rf.Replacement ?? "?"} of {rf.Machine}: {rf.Reason}"),
        UpgradePaused p => ("UpgradePaused", $"by {p.By}{(p.Step is null ? "" : $" before {p.Step}{On(p.Machine)}")}: {p.Reason}"),
        UpgradeResumed r => ("UpgradeResumed", $"by {r.By}"),
        RetryRequested r => ("RetryRequested", $"by {r.By}"),
        AbortRequested a => ("AbortRequested", $"by {a.By}"),
        UpgradeRefused r => ("UpgradeRefused", r.Reason),
        UpgradeSucceeded ok => ("UpgradeSucceeded", $"at {ok.Version}, {ok.MachinesReplaced} Machine(s) replaced"),
        UpgradeAborted ab => ("UpgradeAborted", $"{ab.MachinesReplaced} Machine(s) replaced before the abort"),
        _ => (e.GetType().Name, e.ToString() ?? ""),
    };

    private static string On(string? machine) => machine is null ? "" : $" on {machine}";
}
