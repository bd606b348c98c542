using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Core.Upgrades;

/// <summary>
/// The pure cluster-upgrade state machine: <c>Decide(state, command, now) → events</c>; the state follows by
/// <see cref="ClusterUpgradeState.Apply"/>. No I/O: step outcomes come in as commands.
/// </summary>
public static class ClusterUpgradeDecider
{
    public const string EngineActor = "engine";

    public static Decision Decide(ClusterUpgradeState state, UpgradeCommand command, DateTimeOffset now)
    {
        var decision = command switch
        {
            UpgradeCommand.Start start => DecideStart(state, start, now),
            UpgradeCommand.Pause pause => DecidePause(state, pause, now),
            UpgradeCommand.Resume resume => DecideResume(state, resume, now),
            UpgradeCommand.Retry retry => DecideRetry(state, retry, now),
            UpgradeCommand.Abort abort => DecideAbort(state, abort, now),
            UpgradeCommand.BeginNextStep => DecideBegin(state, now),
            UpgradeCommand.CompleteStep complete => DecideComplete(state, complete, now),
            _ => Decision.Reject($"unknown command {command.GetType().Name}"),
        };
        return decision.IsRejected ? decision : WithAbortCompletion(state, decision, now);
    }

    /// <summary>Folds events into a state.</summary>
    public static ClusterUpgradeState ApplyAll(ClusterUpgradeState state, IEnumerable<IClusterUpgradeEvent> events) =>
        events.Aggregate(state, (s, e) => s.Apply(e));

    // An abort that finds no claim to release (never claimed, or already released) ends right away.
    private static Decision WithAbortCompletion(ClusterUpgradeState state, Decision decision, DateTimeOffset now)
    {
        var after = ApplyAll(state, decision.Events);
        if (after is { Phase: UpgradePhase.Running, Aborting: true, Claimed: false, InFlight: null } && after.UpgradeId is { } id)
            return new Decision(decision.Events.Append(new UpgradeAborted(state.Cluster, id, after.MachinesReplaced, now)).ToList());
        return decision;
    }

    private static Decision DecideStart(ClusterUpgradeState state, UpgradeCommand.Start start, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(start.UpgradeId))
            return Decision.Reject("upgrade id is empty: give --upgrade-id or let it derive from the cluster and target");
        if (string.IsNullOrWhiteSpace(start.TargetVersion))
            return Decision.Reject("target version is empty: give --to, e.g. --to v1.30.2");
        if (state.UpgradeId == start.UpgradeId)
        {
            if (!HopPlanner.SameVersion(state.TargetVersion ?? "", start.TargetVersion))
                return Decision.Reject($"upgrade {start.UpgradeId} of cluster {state.Cluster} targets {state.TargetVersion}, not {start.TargetVersion}: use another upgrade id");
            return Decision.Nothing; // idempotent: already started (or finished) with this id
        }
        if (state.Phase is UpgradePhase.Running or UpgradePhase.Paused)
            return Decision.Reject($"cluster {state.Cluster} is being upgraded by upgrade {state.UpgradeId} to {state.TargetVersion} ({state.Phase}): abort it first (`upgrade abort {state.Cluster}`) or wait until it ends");
        return Decision.Of(new UpgradeStarted(state.Cluster, start.UpgradeId, start.TargetVersion, start.Options, start.By, now));
    }

    private static Decision DecidePause(ClusterUpgradeState state, UpgradeCommand.Pause pause, DateTimeOffset now)
    {
        if (state.Phase == UpgradePhase.Paused) return Decision.Nothing;
        if (state.Phase != UpgradePhase.Running)
            return Decision.Reject($"cluster {state.Cluster} has no running upgrade to pause (phase {state.Phase})");
        return Decision.Of(new UpgradePaused(state.Cluster, state.UpgradeId!, pause.Reason, pause.By, null, null, now));
    }

    private static Decision DecideResume(ClusterUpgradeState state, UpgradeCommand.Resume resume, DateTimeOffset now)
    {
        if (state.Phase == UpgradePhase.Running) return Decision.Nothing;
        if (state.Phase != UpgradePhase.Paused)
            return Decision.Reject($"cluster {state.Cluster} has no paused upgrade to resume (phase {state.Phase})");
        return Decision.Of(new UpgradeResumed(state.Cluster, state.UpgradeId!, resume.By, now));
    }

    private static Decision DecideRetry(ClusterUpgradeState state, UpgradeCommand.Retry retry, DateTimeOffset now)
    {
        if (state.Phase != UpgradePhase.Paused)
            return state.Phase == UpgradePhase.Running
                ? Decision.Nothing
                : Decision.Reject($"cluster {state.Cluster} has no paused upgrade to retry (phase {state.Phase})");
        return Decision.Of(new RetryRequested(state.Cluster, state.UpgradeId!, retry.By, now));
    }

    private static Decision DecideAbort(ClusterUpgradeState state, UpgradeCommand.Abort abort, DateTimeOffset now)
    {
        if (state.Aborting || state.Phase == UpgradePhase.Aborted) return Decision.Nothing;
        if (state.Phase is not (UpgradePhase.Running or UpgradePhase.Paused))
            return Decision.Reject($"cluster {state.Cluster} has no upgrade to abort (phase {state.Phase})");
        return Decision.Of(new AbortRequested(state.Cluster, state.UpgradeId!, abort.By, now));
    }

    private static Decision DecideBegin(ClusterUpgradeState state, DateTimeOffset now)
    {
        if (state.Phase != UpgradePhase.Running || state.InFlight is not null) return Decision.Nothing;
        var next = state.NextStep;
        if (next is null) return Decision.Nothing;
        return Decision.Of(new StepStarted(state.Cluster, state.UpgradeId!, next.Step, next.Machine, state.Attempt, now));
    }

    private static Decision DecideComplete(ClusterUpgradeState state, UpgradeCommand.CompleteStep complete, DateTimeOffset now)
    {
        var step = new StepRef(complete.Step, complete.Machine);
        if (state.InFlight != step || state.UpgradeId is not { } id)
            return Decision.Nothing; // a late outcome of a step that is no longer in flight
        var c = state.Cluster;
        var label = step.Machine is null ? step.Step.ToString() : $"{step.Step} on Machine {step.Machine}";
        return complete.Outcome switch
        {
            StepOutcome.Succeeded ok when complete.Step == UpgradeStep.Preflight => DecidePreflight(state, ok, now),
            StepOutcome.Succeeded ok when complete.Step == UpgradeStep.ReleaseClaim => Decision.Of(
                new StepSucceeded(c, id, step.Step, null, ok.Detail, now),
                state.Aborting
                    ? new UpgradeAborted(c, id, state.MachinesReplaced, now)
                    : new UpgradeSucceeded(c, id, state.Hops.LastOrDefault() ?? state.TargetVersion ?? "", state.MachinesReplaced, now)),
            StepOutcome.Succeeded ok => Decision.Of(new StepSucceeded(c, id, step.Step, step.Machine, ok.Detail, now, ok.Replacement, ok.Node)),
            StepOutcome.Failed failed => DecideFailed(state, step, failed, label, now),
            StepOutcome.Blocked blocked => Decision.Of(new UpgradePaused(c, id, blocked.Reason, EngineActor, step.Step, step.Machine, now)),
            StepOutcome.TimedOut timedOut when complete.Step == UpgradeStep.AwaitReplacementReady && complete.Machine is { } old => Decision.Of(
                new ReplacementFailed(c, id, old, state.Machines.FirstOrDefault(m => m.OldMachine == old)?.Replacement, timedOut.Reason, now),
                new UpgradePaused(c, id, timedOut.Reason + $"; fix the cause, then `capi-upgrade run ... --retry` (or `upgrade retry {c}`) removes the replacement and creates it again", EngineActor, null, null, now)),
            StepOutcome.TimedOut timedOut => Decision.Of(new UpgradePaused(c, id, timedOut.Reason, EngineActor, step.Step, step.Machine, now)),
            StepOutcome.Refused refused when !state.Claimed => Decision.Of(new UpgradeRefused(c, id, refused.Reason, now)),
            StepOutcome.Refused refused => Decision.Of(new UpgradePaused(c, id, refused.Reason, EngineActor, step.Step, step.Machine, now)),
            _ => Decision.Reject($"unknown outcome {complete.Outcome.GetType().Name}"),
        };
    }

    private static Decision DecideFailed(ClusterUpgradeState state, StepRef step, StepOutcome.Failed failed, string label, DateTimeOffset now)
    {
        var attempt = state.Attempt + 1;
        var c = state.Cluster;
        var id = state.UpgradeId!;
        var failedEvent = new StepFailed(c, id, step.Step, step.Machine, failed.Error, attempt, now);
        if (attempt < state.Options.MaxStepAttempts)
            return Decision.Of(failedEvent);
        return Decision.Of(failedEvent, new UpgradePaused(c, id,
            $"{label} failed {attempt} times on cluster {c}, last error: {failed.Error}; fix the cause, then resume", EngineActor, null, null, now));
    }

    private static Decision DecidePreflight(ClusterUpgradeState state, StepOutcome.Succeeded ok, DateTimeOffset now)
    {
        var c = state.Cluster;
        var id = state.UpgradeId!;
        if (ok.Preflight is not { } report)
            return Decision.Of(new StepFailed(c, id, UpgradeStep.Preflight, null, "preflight returned no report", state.Attempt + 1, now));
        var observation = report.Observation;
        var firstHop = state.Hops.Count == 0;

        // Refusals: only before the first write; after the claim they pause instead.
        var refusals = new List<string>(report.Refusals);
        if (observation.ClaimHolder is { Length: > 0 } holder && holder != id)
            refusals.Add($"cluster {c} is claimed by upgrade {holder} (annotation capi-upgrade.io/upgrade-id on the Cluster): wait for it, abort it, or remove the annotation if that upgrade is gone");
        var size = HopPlanner.ControlPlaneSize(observation);
        if (size == 1 && !state.Options.AllowSingleNode)
            refusals.Add($"cluster {c} has a 1-node control plane: replacing its only Machine takes etcd from 1 member to 2 and back to 1, and a failure in between loses quorum; rerun with --allow-single-node to accept that risk");
        if (size == 0)
            refusals.Add($"cluster {c} has no control-plane Machine (labels cluster.x-k8s.io/cluster-name={c.Name}, cluster.x-k8s.io/control-plane): check the cluster name and namespace");
        var hops = firstHop ? report.Hops : state.Hops;
        if (hops.Count == 0 && refusals.Count == 0)
        {
            // Already at the target: nothing to replace.
            if (!state.Claimed)
                return Decision.Of(
                    new StepSucceeded(c, id, UpgradeStep.Preflight, null, $"control plane already at {report.FromVersion}", now),
                    new UpgradePlanned(c, id, report.FromVersion, hops, now),
                    new UpgradeSucceeded(c, id, report.FromVersion, 0, now));
        }
        if (refusals.Count > 0)
        {
            var reason = string.Join("; ", refusals);
            return state.Claimed
                ? Decision.Of(new UpgradePaused(c, id, reason, EngineActor, UpgradeStep.Preflight, null, now))
                : Decision.Of(new StepSucceeded(c, id, UpgradeStep.Preflight, null, "refused", now), new UpgradeRefused(c, id, reason, now));
        }

        var hopVersion = hops[state.HopIndex];
        var plan = HopPlanner.Plan(observation, hopVersion);
        var exempt = plan.Where(m => m.Stage != ReplacementStage.Pending).Select(m => m.OldMachine)
            .Concat(observation.Machines.Where(m => m.ReplacementFor is not null && HopPlanner.SameVersion(m.Version, hopVersion)).Select(m => m.Name))
            .ToHashSet(StringComparer.Ordinal);
        var blockers = SafetyCheck.Blockers(observation, exempt, c.ToString()).ToList();
        var stale = SafetyCheck.StaleMembers(observation);
        var members = observation.Members.ToList();
        foreach (var member in stale)
        {
            var safety = EtcdQuorum.CanRemoveMember(members, member.Id);
            if (!safety.Safe)
                blockers.Add($"stale etcd member {member.Name} (no Machine, no Node) cannot be removed safely: {safety.Reason}");
            else
                members.Remove(member);
        }
        if (blockers.Count > 0)
            return Decision.Of(new UpgradePaused(c, id, string.Join("; ", blockers), EngineActor, UpgradeStep.Preflight, null, now));

        var events = new List<IClusterUpgradeEvent>
        {
            new StepSucceeded(c, id, UpgradeStep.Preflight, null,
                $"hop {state.HopIndex + 1}/{hops.Count} to {hopVersion}: {plan.Count} Machine(s) to replace, {stale.Count} stale etcd member(s)", now),
        };
        if (firstHop)
            events.Add(new UpgradePlanned(c, id, report.FromVersion, hops, now));
        events.Add(new HopPlanned(c, id, state.HopIndex, hopVersion, plan, stale.Select(m => m.Name).ToList(), now));
        return new Decision(events);
    }
}
