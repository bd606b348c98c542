using System.Collections.Immutable;
using E = CapiUpgrade.Core.Campaigns.CampaignEvents;
using C = CapiUpgrade.Core.Campaigns.CampaignCommands;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// The campaign as pure functions: <see cref="Decide"/> (state × command → events, or a rejection) and
/// <see cref="Apply(CampaignState, CampaignEvent)"/> (state × event → state).
/// <para>
/// After every accepted command the campaign advances on its own as far as it can at the command's instant:
/// the current wave asks for approval or starts; clusters are scheduled in wave order up to the wave's
/// maxConcurrent, only inside their maintenance window; a wave with nothing pending or in flight completes and
/// soaks; after the soak the next wave begins; after the last, the campaign completes. Counted failures (failed
/// or timed-out clusters, minus those accepted by a resume) above the failure budget pause it automatically with
/// the reason. Clusters excluded by preflight are not in any wave, so they never count. A paused or aborted
/// campaign starts nothing, but the results of in-flight upgrades are still recorded.
/// </para>
/// </summary>
public static class CampaignStateMachine
{
    public static CampaignDecision Decide(CampaignState state, CampaignCommand command)
    {
        var decision = command switch
        {
            C.Start c => Start(state, c),
            C.ClusterStarted c => ClusterStarted(state, c),
            C.ClusterSucceeded c => ClusterResult(state, c.Cluster, c.At, ClusterStatus.Succeeded, null),
            C.ClusterFailed c => ClusterResult(state, c.Cluster, c.At, ClusterStatus.Failed, c.Reason),
            C.ClusterTimedOut c => ClusterResult(state, c.Cluster, c.At, ClusterStatus.TimedOut, "timed out"),
            C.Pause c => Pause(state, c),
            C.Resume c => Resume(state, c),
            C.Abort c => Abort(state, c),
            C.Approve c => Approve(state, c),
            C.SkipCluster c => SkipCluster(state, c),
            C.SkipSoak c => SkipSoak(state, c),
            C.Tick => state.Status == CampaignStatus.NotStarted
                ? CampaignDecision.Nothing
                : CampaignDecision.Accept([]),
            _ => CampaignDecision.Reject($"unknown command {command.GetType().Name}"),
        };
        if (decision.IsRejected || state.Status == CampaignStatus.NotStarted && command is not C.Start) return decision;
        var after = Apply(state, decision.Events);
        var automatic = Advance(after, command.At);
        return automatic.Count == 0 ? decision : CampaignDecision.Accept([.. decision.Events, .. automatic]);
    }

    public static CampaignState Apply(CampaignState state, IEnumerable<CampaignEvent> events) =>
        events.Aggregate(state, Apply);

    /// <summary>Rebuilds a campaign from its journal.</summary>
    public static CampaignState Replay(string campaign, IEnumerable<CampaignEvent> events) =>
        Apply(CampaignState.Initial(campaign), events);

    public static CampaignState Apply(CampaignState s, CampaignEvent e)
    {
        switch (e)
        {
            case E.Started x:
                var windows = x.Windows.ToDictionary(w => w.Cluster, w => w.MaintenanceWindow);
                var clusters = x.Waves
                    .SelectMany(w => w.Clusters.Select(c => new ClusterProgress(c, w.Index, ClusterStatus.Pending, windows.GetValueOrDefault(c))))
                    .ToImmutableDictionary(c => c.Cluster);
                return s with
                {
                    Status = CampaignStatus.Running,
                    TargetVersion = x.TargetVersion,
                    Waves = x.Waves.Select(w => new WaveState(w.Index, w.Name, [.. w.Clusters], w.MaxConcurrent, w.Soak, w.RequiresApproval)).ToImmutableList(),
                    Clusters = clusters,
                    Excluded = [.. x.Excluded],
                    FailureBudget = x.FailureBudget,
                    ClusterTimeout = x.ClusterTimeout,
                    CurrentWave = 0,
                    StartedBy = x.By,
                    StartedAt = x.At,
                };
            case E.WaveApprovalRequested x:
                return UpdateWave(s, x.Wave, w => w with { Phase = WavePhase.AwaitingApproval });
            case E.WaveApproved x:
                return UpdateWave(s, x.Wave, w => w with { Approved = true, ApprovedBy = x.By });
            case E.WaveStarted x:
                return UpdateWave(s, x.Wave, w => w with { Phase = WavePhase.Running, StartedAt = x.At });
            case E.ClusterScheduled x:
                return UpdateCluster(s, x.Cluster, c => c with { Status = ClusterStatus.Scheduled, ScheduledAt = x.At, FailureReason = null });
            case E.ClusterUpgradeStarted x:
                return UpdateCluster(s, x.Cluster, c => c with
                {
                    Status = ClusterStatus.Running, UpgradeId = x.UpgradeId, StartedAt = x.At, ScheduledAt = c.ScheduledAt ?? x.At,
                    FinishedAt = null, FailureReason = null,
                });
            case E.ClusterSucceeded x:
                return UpdateCluster(s, x.Cluster, c => c with { Status = ClusterStatus.Succeeded, FinishedAt = x.At, FailureReason = null });
            case E.ClusterFailed x:
                return UpdateCluster(s, x.Cluster, c => c with { Status = ClusterStatus.Failed, FinishedAt = x.At, FailureReason = x.Reason });
            case E.ClusterTimedOut x:
                return UpdateCluster(s, x.Cluster, c => c with { Status = ClusterStatus.TimedOut, FinishedAt = x.At, FailureReason = x.Reason });
            case E.ClusterSkipped x:
                return UpdateCluster(s, x.Cluster, c => c with { Status = ClusterStatus.Skipped, FinishedAt = x.At, SkippedBy = x.By });
            case E.WaveCompleted x:
                return UpdateWave(s, x.Wave, w => w with { Phase = WavePhase.Soaking, CompletedAt = x.At, SoakUntil = x.SoakUntil });
            case E.WaveSoakSkipped x:
                return UpdateWave(s, x.Wave, w => w with { SoakUntil = x.At });
            case E.WaveFinished x:
                return UpdateWave(s, x.Wave, w => w with { Phase = WavePhase.Finished }) with { CurrentWave = x.Wave + 1 };
            case E.Paused x:
                return s with { Status = CampaignStatus.Paused, PauseReason = x.Reason, PausedBy = x.By, PausedAutomatically = x.Automatic };
            case E.Resumed x:
                return s with { Status = CampaignStatus.Running, PauseReason = null, PausedBy = null, PausedAutomatically = false, AcceptedFailures = x.AcceptedFailures };
            case E.Aborted x:
                return s with { Status = CampaignStatus.Aborted, AbortReason = x.Reason, AbortedBy = x.By, FinishedAt = x.At };
            case E.Completed x:
                return s with { Status = CampaignStatus.Completed, FinishedAt = x.At };
            default:
                throw new ArgumentException($"unknown campaign event {e.GetType().Name}", nameof(e));
        }
    }

    /// <summary>The events the campaign produces by itself at <paramref name="now"/> (what a Tick yields).</summary>
    public static IReadOnlyList<CampaignEvent> Advance(CampaignState state, DateTimeOffset now)
    {
        var all = new List<CampaignEvent>();
        for (var guard = 0; guard < 10_000; guard++)
        {
            var next = NextAutomatic(state, now);
            if (next.Count == 0) return all;
            all.AddRange(next);
            state = Apply(state, next);
        }
        throw new InvalidOperationException($"campaign {state.CampaignId} did not settle: this is a bug in CampaignStateMachine");
    }

    private static IReadOnlyList<CampaignEvent> NextAutomatic(CampaignState s, DateTimeOffset now)
    {
        var name = s.CampaignId;
        if (s.Status is CampaignStatus.NotStarted or CampaignStatus.Completed) return [];

        if (s.ClusterTimeout is { } timeout)
        {
            var overdue = s.InFlight
                .Where(c => (c.ScheduledAt ?? c.StartedAt) is { } since && since + timeout <= now)
                .OrderBy(c => c.Cluster, StringComparer.Ordinal)
                .Select(c => (CampaignEvent)new E.ClusterTimedOut(name, now, c.Cluster,
                    $"not finished {GoDuration.Format(timeout)} after it was started (clusterTimeout)"))
                .ToList();
            if (overdue.Count > 0) return overdue;
        }

        if (s.Status != CampaignStatus.Running) return [];

        if (s.BudgetExceeded)
        {
            var failed = s.Clusters.Values.Where(c => c.CountsAsFailure).Select(c => c.Cluster).Order(StringComparer.Ordinal);
            var reason = $"failure budget exceeded: {s.CountedFailures} cluster(s) failed or timed out (budget {s.FailureBudget}" +
                         (s.AcceptedFailures > 0 ? $", {s.AcceptedFailures} accepted earlier" : "") +
                         $"): {string.Join(", ", failed)}";
            return [new E.Paused(name, now, "failure-budget", reason, true)];
        }

        if (s.Wave is not { } wave) return [new E.Completed(name, now)];

        switch (wave.Phase)
        {
            case WavePhase.Pending:
                return wave.RequiresApproval && !wave.Approved
                    ? [new E.WaveApprovalRequested(name, now, wave.Index)]
                    : [new E.WaveStarted(name, now, wave.Index)];
            case WavePhase.AwaitingApproval:
                return wave.Approved ? [new E.WaveStarted(name, now, wave.Index)] : [];
            case WavePhase.Running:
                var members = wave.Clusters.Select(c => s.Clusters[c]).ToList();
                var inFlight = members.Count(c => c.InFlight);
                var pending = members.Where(c => c.Status == ClusterStatus.Pending).ToList();
                if (pending.Count == 0 && inFlight == 0)
                {
                    var soak = wave.Clusters.Count == 0 ? TimeSpan.Zero : wave.Soak;
                    return [new E.WaveCompleted(name, now, wave.Index, now + soak)];
                }
                var capacity = wave.MaxConcurrent - inFlight;
                return pending
                    .Where(c => WindowOpen(c, now))
                    .Take(Math.Max(0, capacity))
                    .Select(c => (CampaignEvent)new E.ClusterScheduled(name, now, c.Cluster, wave.Index))
                    .ToList();
            case WavePhase.Soaking:
                return wave.SoakUntil is { } until && until <= now ? [new E.WaveFinished(name, now, wave.Index)] : [];
            default:
                return [];
        }
    }

    private static bool WindowOpen(ClusterProgress c, DateTimeOffset now) =>
        c.MaintenanceWindow is null || MaintenanceWindow.Parse(c.MaintenanceWindow).IsOpen(now);

    private static CampaignDecision Start(CampaignState s, C.Start c)
    {
        if (s.Status != CampaignStatus.NotStarted)
            return CampaignDecision.Reject($"campaign {s.CampaignId} was already started by {s.StartedBy} at {s.StartedAt:u}; it is {s.Status}");
        if (c.Plan.CampaignId != s.CampaignId)
            return CampaignDecision.Reject($"the plan is for campaign {c.Plan.CampaignId}, not {s.CampaignId}: plan this campaign's own spec");
        var plan = c.Plan;
        var started = new E.Started(
            s.CampaignId, c.At, c.By, plan.TargetVersion.ToString(), plan.FailureBudget, plan.ClusterTimeout,
            plan.Waves.Select(w => new E.WaveDefinition(w.Index, w.Name, w.Clusters, w.MaxConcurrent, w.Soak, w.RequiresApproval)).ToList(),
            plan.Clusters.Where(p => p.Included).Select(p => new E.ClusterWindow(p.Key, p.MaintenanceWindow)).ToList(),
            plan.Clusters.Where(p => !p.Included).Select(p => new E.ExcludedCluster(p.Key, p.Exclusion.ToString(),
                p.Findings.FirstOrDefault(f => f.Severity != Errors.FindingSeverity.Info)?.Message ?? p.Exclusion.ToString())).ToList());
        return CampaignDecision.Accept([started]);
    }

    private static CampaignDecision ClusterStarted(CampaignState s, C.ClusterStarted c)
    {
        if (RequireStarted(s) is { } notStarted) return notStarted;
        if (!s.Clusters.TryGetValue(c.Cluster, out var cluster)) return UnknownCluster(s, c.Cluster);
        return cluster.Status switch
        {
            ClusterStatus.Scheduled or ClusterStatus.Failed or ClusterStatus.TimedOut =>
                CampaignDecision.Accept([new E.ClusterUpgradeStarted(s.CampaignId, c.At, c.Cluster, c.UpgradeId)]),
            ClusterStatus.Running when cluster.UpgradeId == c.UpgradeId => CampaignDecision.Nothing,
            ClusterStatus.Running => CampaignDecision.Accept([new E.ClusterUpgradeStarted(s.CampaignId, c.At, c.Cluster, c.UpgradeId)]),
            ClusterStatus.Succeeded => CampaignDecision.Nothing,
            ClusterStatus.Pending => CampaignDecision.Reject($"cluster {c.Cluster} is still pending in campaign {s.CampaignId}: the campaign starts it when its wave and window allow"),
            _ => CampaignDecision.Reject($"cluster {c.Cluster} was skipped in campaign {s.CampaignId} by {cluster.SkippedBy}; it is not started again"),
        };
    }

    private static CampaignDecision ClusterResult(CampaignState s, string key, DateTimeOffset at, ClusterStatus result, string? reason)
    {
        if (RequireStarted(s) is { } notStarted) return notStarted;
        if (!s.Clusters.TryGetValue(key, out var cluster)) return UnknownCluster(s, key);
        if (cluster.Status == result) return CampaignDecision.Nothing;
        if (cluster.Status is ClusterStatus.Pending or ClusterStatus.Skipped)
            return CampaignDecision.Reject($"cluster {key} is {cluster.Status} in campaign {s.CampaignId}: it was not started by it, so its result is not recorded");
        if (cluster.Status == ClusterStatus.Succeeded)
            return CampaignDecision.Reject($"cluster {key} already succeeded in campaign {s.CampaignId}; a later {result} is ignored");
        if (result != ClusterStatus.Succeeded && !cluster.InFlight)
            return CampaignDecision.Nothing; // failed then timed out (or the reverse): one failure is enough
        CampaignEvent e = result switch
        {
            ClusterStatus.Succeeded => new E.ClusterSucceeded(s.CampaignId, at, key),
            ClusterStatus.Failed => new E.ClusterFailed(s.CampaignId, at, key, reason ?? "failed"),
            _ => new E.ClusterTimedOut(s.CampaignId, at, key, reason ?? "timed out"),
        };
        return CampaignDecision.Accept([e]);
    }

    private static CampaignDecision Pause(CampaignState s, C.Pause c) => s.Status switch
    {
        CampaignStatus.Running => CampaignDecision.Accept([new E.Paused(s.CampaignId, c.At, c.By, c.Reason, false)]),
        CampaignStatus.Paused => CampaignDecision.Reject($"campaign {s.CampaignId} is already paused ({s.PauseReason})"),
        _ => CampaignDecision.Reject($"campaign {s.CampaignId} is {s.Status}: there is nothing to pause"),
    };

    private static CampaignDecision Resume(CampaignState s, C.Resume c)
    {
        if (s.Status != CampaignStatus.Paused)
            return CampaignDecision.Reject($"campaign {s.CampaignId} is {s.Status}, not paused");
        if (s.BudgetExceeded && !c.AcceptFailures)
            return CampaignDecision.Reject(
                $"campaign {s.CampaignId} would pause again at once: {s.CountedFailures} failure(s) exceed the budget of {s.FailureBudget}. " +
                "Retry or skip the failed clusters first, or resume accepting the failures so far (campaign resume --accept-failures)");
        var accepted = c.AcceptFailures ? s.Failures : Math.Min(s.AcceptedFailures, s.Failures);
        return CampaignDecision.Accept([new E.Resumed(s.CampaignId, c.At, c.By, accepted)]);
    }

    private static CampaignDecision Abort(CampaignState s, C.Abort c) => s.Status switch
    {
        CampaignStatus.Running or CampaignStatus.Paused => CampaignDecision.Accept([new E.Aborted(s.CampaignId, c.At, c.By, c.Reason)]),
        _ => CampaignDecision.Reject($"campaign {s.CampaignId} is {s.Status}: there is nothing to abort"),
    };

    private static CampaignDecision Approve(CampaignState s, C.Approve c)
    {
        if (RequireStarted(s) is { } notStarted) return notStarted;
        if (s.IsFinished) return CampaignDecision.Reject($"campaign {s.CampaignId} is {s.Status}: there is nothing to approve");
        var index = c.Wave ?? s.Waves.FirstOrDefault(w => w.Phase == WavePhase.AwaitingApproval)?.Index;
        if (index is null)
            return CampaignDecision.Reject($"no wave of campaign {s.CampaignId} awaits approval now; to approve a later wave in advance, name it (campaign approve {s.CampaignId} --wave N)");
        if (index < 0 || index >= s.Waves.Count)
            return CampaignDecision.Reject($"campaign {s.CampaignId} has waves 0 to {s.Waves.Count - 1}, not {index}");
        var wave = s.Waves[index.Value];
        if (wave.Approved) return CampaignDecision.Nothing;
        if (wave.Phase is not (WavePhase.Pending or WavePhase.AwaitingApproval))
            return CampaignDecision.Reject($"wave {index} ({wave.Name}) of campaign {s.CampaignId} has already started");
        return CampaignDecision.Accept([new E.WaveApproved(s.CampaignId, c.At, index.Value, c.By)]);
    }

    private static CampaignDecision SkipCluster(CampaignState s, C.SkipCluster c)
    {
        if (RequireStarted(s) is { } notStarted) return notStarted;
        if (!s.Clusters.TryGetValue(c.Cluster, out var cluster)) return UnknownCluster(s, c.Cluster);
        return cluster.Status switch
        {
            ClusterStatus.Pending or ClusterStatus.Failed or ClusterStatus.TimedOut =>
                CampaignDecision.Accept([new E.ClusterSkipped(s.CampaignId, c.At, c.Cluster, c.By)]),
            ClusterStatus.Skipped => CampaignDecision.Nothing,
            ClusterStatus.Succeeded => CampaignDecision.Reject($"cluster {c.Cluster} already succeeded; there is nothing to skip"),
            _ => CampaignDecision.Reject($"cluster {c.Cluster} is being upgraded now; abort its upgrade first (upgrade abort {c.Cluster}), then skip it"),
        };
    }

    private static CampaignDecision SkipSoak(CampaignState s, C.SkipSoak c)
    {
        if (RequireStarted(s) is { } notStarted) return notStarted;
        if (s.Wave is not { Phase: WavePhase.Soaking } wave)
            return CampaignDecision.Reject($"campaign {s.CampaignId} is not soaking a wave now");
        return CampaignDecision.Accept([new E.WaveSoakSkipped(s.CampaignId, c.At, wave.Index, c.By)]);
    }

    private static CampaignDecision? RequireStarted(CampaignState s) =>
        s.Status == CampaignStatus.NotStarted ? CampaignDecision.Reject($"campaign {s.CampaignId} has not been started") : null;

    private static CampaignDecision UnknownCluster(CampaignState s, string key) =>
        CampaignDecision.Reject(s.Excluded.FirstOrDefault(x => x.Cluster == key) is { } excluded
            ? $"cluster {key} was excluded from campaign {s.CampaignId} by preflight ({excluded.Reason}): {excluded.Message}"
            : $"cluster {key} is not part of campaign {s.CampaignId}");

    private static CampaignState UpdateWave(CampaignState s, int index, Func<WaveState, WaveState> update) =>
        s with { Waves = s.Waves.SetItem(index, update(s.Waves[index])) };

    private static CampaignState UpdateCluster(CampaignState s, string key, Func<ClusterProgress, ClusterProgress> update) =>
        s.Clusters.TryGetValue(key, out var c) ? s with { Clusters = s.Clusters.SetItem(key, update(c)) } : s;

    /// <summary>
    /// What the campaign is waiting for at <paramref name="now"/>, in words for <c>campaign show</c>: pause reason,
    /// approval, soak, clusters outside their maintenance window, in-flight upgrades.
    /// </summary>
    public static IReadOnlyList<string> Explain(CampaignState s, DateTimeOffset now)
    {
        var lines = new List<string>();
        switch (s.Status)
        {
            case CampaignStatus.NotStarted:
                return [$"campaign {s.CampaignId} has not been started"];
            case CampaignStatus.Completed:
                lines.Add($"completed at {s.FinishedAt:u}: {s.Count(ClusterStatus.Succeeded)} succeeded, {s.Failures} failed, {s.Count(ClusterStatus.Skipped)} skipped, {s.Excluded.Count} excluded by preflight");
                return lines;
            case CampaignStatus.Aborted:
                lines.Add($"aborted by {s.AbortedBy}: {s.AbortReason} (at {s.FinishedAt:u}); upgrades already in flight finish or are aborted on their own");
                break;
            case CampaignStatus.Paused:
                lines.Add(s.PausedAutomatically
                    ? $"paused automatically: {s.PauseReason}; retry or skip the failed clusters, then `campaign resume {s.CampaignId}` (or --accept-failures)"
                    : $"paused by {s.PausedBy}: {s.PauseReason}; `campaign resume {s.CampaignId}` to go on");
                break;
        }
        if (s.Wave is { } wave && s.Status != CampaignStatus.Aborted)
        {
            var label = $"wave {wave.Index} ({wave.Name})";
            switch (wave.Phase)
            {
                case WavePhase.AwaitingApproval:
                    lines.Add($"{label} awaits approval: `campaign approve {s.CampaignId}`");
                    break;
                case WavePhase.Soaking:
                    lines.Add($"{label} is soaking until {wave.SoakUntil:u}" + (wave.SoakUntil > now ? $" ({GoDuration.Format(wave.SoakUntil!.Value - now)} left; `campaign skip-soak {s.CampaignId}` ends it now)" : ""));
                    break;
                case WavePhase.Running:
                    var waiting = wave.Clusters.Select(c => s.Clusters[c]).Where(c => c.Status == ClusterStatus.Pending && !WindowOpen(c, now)).ToList();
                    if (waiting.Count > 0)
                    {
                        var next = waiting.Select(c => MaintenanceWindow.Parse(c.MaintenanceWindow!).NextOpening(now)).Where(t => t is not null).Min();
                        lines.Add($"{label}: {waiting.Count} cluster(s) wait for their maintenance window" + (next is null ? "" : $" (next opening {next:u})"));
                    }
                    break;
            }
        }
        var inFlight = s.InFlight.Select(c => c.Cluster).Order(StringComparer.Ordinal).ToList();
        if (inFlight.Count > 0) lines.Add($"{inFlight.Count} upgrade(s) in flight: {string.Join(", ", inFlight)}");
        return lines;
    }

    /// <summary>
    /// The next instant at which a Tick could change something (end of soak, a maintenance window opening, a cluster
    /// timeout), for the actor's timer; null when only a command can move the campaign.
    /// </summary>
    public static DateTimeOffset? NextWakeUp(CampaignState s, DateTimeOffset now)
    {
        var candidates = new List<DateTimeOffset>();
        if (s.ClusterTimeout is { } timeout)
            candidates.AddRange(s.InFlight.Select(c => (c.ScheduledAt ?? c.StartedAt ?? now) + timeout));
        if (s.Status == CampaignStatus.Running && s.Wave is { } wave)
        {
            if (wave.Phase == WavePhase.Soaking && wave.SoakUntil is { } until) candidates.Add(until);
            if (wave.Phase == WavePhase.Running)
            {
                var inFlight = wave.Clusters.Count(c => s.Clusters[c].InFlight);
                if (inFlight < wave.MaxConcurrent)
                {
                    candidates.AddRange(wave.Clusters.Select(c => s.Clusters[c])
                        .Where(c => c.Status == ClusterStatus.Pending && c.MaintenanceWindow is not null)
                        .Select(c => MaintenanceWindow.Parse(c.MaintenanceWindow!).NextOpening(now))
                        .Where(t => t is not null)
                        .Select(t => t!.Value));
                }
            }
        }
        return candidates.Count == 0 ? null : candidates.Min();
    }
}
