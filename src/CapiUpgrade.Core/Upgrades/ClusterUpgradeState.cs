using System.Collections.Immutable;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Core.Upgrades;

/// <summary>A step and the Machine it acts on (null for per-hop and per-upgrade steps).</summary>
public sealed record StepRef(UpgradeStep Step, string? Machine)
{
    public override string ToString() => Machine is null ? Step.ToString() : $"{Step} ({Machine})";
}

/// <summary>A finished upgrade of this cluster, kept when a later one starts.</summary>
public sealed record UpgradeSummary(string UpgradeId, string TargetVersion, UpgradePhase Phase, int MachinesReplaced, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Reason);

/// <summary>
/// One cluster's upgrade state, rebuilt from its event stream by <see cref="Apply"/>. Immutable.
/// </summary>
public sealed record ClusterUpgradeState
{
    public required ClusterKey Cluster { get; init; }
    public string? UpgradeId { get; init; }
    public string? TargetVersion { get; init; }
    public UpgradeOptions Options { get; init; } = UpgradeOptions.Default;
    public UpgradePhase Phase { get; init; } = UpgradePhase.None;
    public bool Aborting { get; init; }
    public string? RequestedBy { get; init; }

    public string? FromVersion { get; init; }
    public ImmutableList<string> Hops { get; init; } = ImmutableList<string>.Empty;
    public int HopIndex { get; init; }
    public bool HopPlanned { get; init; }
    public bool Claimed { get; init; }
    public ImmutableList<string> StaleMembers { get; init; } = ImmutableList<string>.Empty;
    public bool ClusterConfigUpdated { get; init; }
    public ImmutableList<MachineReplacement> Machines { get; init; } = ImmutableList<MachineReplacement>.Empty;

    /// <summary>The step whose intent is persisted and whose outcome is not: re-driven after recovery.</summary>
    public StepRef? InFlight { get; init; }
    public DateTimeOffset? InFlightSince { get; init; }
    /// <summary>Failed attempts of the current step.</summary>
    public int Attempt { get; init; }
    public string? LastError { get; init; }
    public string? PauseReason { get; init; }
    public string? PausedBy { get; init; }

    public int MachinesReplaced { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public long EventCount { get; init; }
    public ImmutableList<UpgradeSummary> History { get; init; } = ImmutableList<UpgradeSummary>.Empty;

    public static ClusterUpgradeState Empty(ClusterKey cluster) => new() { Cluster = cluster };

    public string? CurrentHopVersion => HopIndex < Hops.Count ? Hops[HopIndex] : null;

    /// <summary>The Machine whose replacement is under way (not Pending, not Done), if any.</summary>
    public MachineReplacement? InFlightMachine => Machines.FirstOrDefault(m => m.Stage is not ReplacementStage.Pending and not ReplacementStage.Done);

    /// <summary>
    /// The step to run now: the in-flight one (re-driven after recovery), else the next one by the
    /// sequence; null when nothing is to be done (not running, or finished).
    /// </summary>
    public StepRef? NextStep
    {
        get
        {
            if (InFlight is not null) return InFlight;
            if (Phase != UpgradePhase.Running) return null;
            if (!HopPlanned) return new StepRef(UpgradeStep.Preflight, null);
            if (!Claimed) return Aborting ? null : new StepRef(UpgradeStep.ClaimCluster, null);
            if (Aborting) return NextAbortStep();
            if (StaleMembers.Count > 0) return new StepRef(UpgradeStep.RemoveStaleMembers, null);
            if (!ClusterConfigUpdated) return new StepRef(UpgradeStep.UpdateClusterConfig, null);
            var machine = InFlightMachine ?? Machines.FirstOrDefault(m => !m.IsDone);
            if (machine?.NextStep is { } step) return new StepRef(step, machine.OldMachine);
            return new StepRef(UpgradeStep.ReleaseClaim, null);
        }
    }

    private StepRef? NextAbortStep()
    {
        var machine = InFlightMachine;
        if (machine is null) return new StepRef(UpgradeStep.ReleaseClaim, null);
        var step = machine.Stage switch
        {
            // Nothing created yet: undo the hook.
            ReplacementStage.HookAdded => UpgradeStep.ReleasePreTerminateHook,
            // A replacement that never became Ready: remove it, then the hook.
            ReplacementStage.ReplacementFailed or ReplacementStage.RemovingFailedReplacement => UpgradeStep.RemoveFailedReplacement,
            // The replacement exists: finish this Machine's replacement.
            _ => machine.NextStep,
        };
        return step is null ? new StepRef(UpgradeStep.ReleaseClaim, null) : new StepRef(step.Value, machine.OldMachine);
    }

    /// <summary>The state after <paramref name="e"/>. Total: events of another upgrade id than the current one only start a new one.</summary>
    public ClusterUpgradeState Apply(IClusterUpgradeEvent e)
    {
        var s = this with { EventCount = EventCount + 1, UpdatedAt = e.At };
        if (e is UpgradeStarted started)
            return s.StartNew(started);
        if (e.UpgradeId != UpgradeId)
            return s;
        return e switch
        {
            UpgradePlanned p => s with { FromVersion = p.FromVersion, Hops = p.Hops.ToImmutableList(), HopIndex = 0 },
            HopPlanned h => s with
            {
                HopIndex = h.HopIndex,
                HopPlanned = true,
                Machines = h.Machines.ToImmutableList(),
                StaleMembers = h.StaleMembers.ToImmutableList(),
                ClusterConfigUpdated = false,
            },
            StepStarted st => s with { InFlight = new StepRef(st.Step, st.Machine), InFlightSince = st.At, Attempt = st.Attempt },
            StepSucceeded ok => s.ApplySucceeded(ok),
            StepFailed f => s with { InFlight = null, InFlightSince = null, Attempt = f.Attempt, LastError = f.Error },
            ReplacementFailed rf => s with
            {
                InFlight = null,
                InFlightSince = null,
                LastError = rf.Reason,
                Machines = s.UpdateMachine(rf.Machine, m => m with { Stage = ReplacementStage.ReplacementFailed, Replacement = rf.Replacement ?? m.Replacement }),
            },
            UpgradePaused p => s with
            {
                Phase = s.Phase.IsFinished() ? s.Phase : UpgradePhase.Paused,
                PauseReason = p.Reason,
                PausedBy = p.By,
                // The engine pauses instead of running the step: its intent is void.
                InFlight = p.Step is not null && s.InFlight == new StepRef(p.Step.Value, p.Machine) ? null : s.InFlight,
                InFlightSince = p.Step is not null && s.InFlight == new StepRef(p.Step.Value, p.Machine) ? null : s.InFlightSince,
            },
            UpgradeResumed => s with { Phase = UpgradePhase.Running, PauseReason = null, PausedBy = null, Attempt = 0 },
            RetryRequested => s with
            {
                Phase = UpgradePhase.Running,
                PauseReason = null,
                PausedBy = null,
                Attempt = 0,
                Machines = s.Machines.Select(m => m.Stage == ReplacementStage.ReplacementFailed ? m with { Stage = ReplacementStage.RemovingFailedReplacement } : m).ToImmutableList(),
            },
            AbortRequested => s with { Aborting = true, Phase = UpgradePhase.Running, PauseReason = null, PausedBy = null, Attempt = 0 },
            UpgradeRefused r => s.Finish(UpgradePhase.Refused, r.At, r.Reason),
            UpgradeSucceeded ok => s.Finish(UpgradePhase.Succeeded, ok.At, null),
            UpgradeAborted ab => s.Finish(UpgradePhase.Aborted, ab.At, "aborted"),
            _ => s,
        };
    }

    private ClusterUpgradeState StartNew(UpgradeStarted e)
    {
        var history = History;
        if (UpgradeId is not null && UpgradeId != e.UpgradeId)
            history = history.Add(Summary());
        return new ClusterUpgradeState
        {
            Cluster = Cluster,
            UpgradeId = e.UpgradeId,
            TargetVersion = e.TargetVersion,
            Options = e.Options,
            Phase = UpgradePhase.Running,
            RequestedBy = e.RequestedBy,
            StartedAt = e.At,
            UpdatedAt = e.At,
            EventCount = EventCount,
            History = history,
        };
    }

    public UpgradeSummary Summary() =>
        new(UpgradeId ?? "", TargetVersion ?? "", Phase, MachinesReplaced, StartedAt, FinishedAt, PauseReason ?? LastError);

    private ClusterUpgradeState Finish(UpgradePhase phase, DateTimeOffset at, string? reason) =>
        this with { Phase = phase, FinishedAt = at, InFlight = null, InFlightSince = null, PauseReason = phase == UpgradePhase.Refused ? reason : null, Claimed = phase == UpgradePhase.Refused ? Claimed : false };

    private ClusterUpgradeState ApplySucceeded(StepSucceeded e)
    {
        var s = this with { InFlight = null, InFlightSince = null, Attempt = 0, LastError = null };
        switch (e.Step)
        {
            case UpgradeStep.Preflight:
                return s;
            case UpgradeStep.ClaimCluster:
                return s with { Claimed = true };
            case UpgradeStep.RemoveStaleMembers:
                return s with { StaleMembers = ImmutableList<string>.Empty };
            case UpgradeStep.UpdateClusterConfig:
                return (s with { ClusterConfigUpdated = true }).AdvanceHopIfDone();
            case UpgradeStep.ReleaseClaim:
                return s with { Claimed = false };
        }
        if (e.Machine is null) return s;
        var machine = s.Machines.FirstOrDefault(m => m.OldMachine == e.Machine);
        if (machine is null) return s;
        var next = machine with
        {
            Stage = machine.StageAfter(e.Step),
            Replacement = e.Replacement ?? machine.Replacement,
            ReplacementNode = e.Step == UpgradeStep.RemoveFailedReplacement ? null : e.Node ?? machine.ReplacementNode,
        };
        s = s with { Machines = s.Machines.Replace(machine, next) };
        if (next.IsDone)
            s = (s with { MachinesReplaced = s.MachinesReplaced + 1 }).AdvanceHopIfDone();
        return s;
    }

    /// <summary>When every Machine of a hop is done and another hop follows, the next hop starts with its preflight.</summary>
    private ClusterUpgradeState AdvanceHopIfDone()
    {
        if (!HopPlanned || !ClusterConfigUpdated || StaleMembers.Count > 0 || Aborting) return this;
        if (Machines.Any(m => !m.IsDone) || HopIndex >= Hops.Count - 1) return this;
        return this with
        {
            HopIndex = HopIndex + 1,
            HopPlanned = false,
            ClusterConfigUpdated = false,
            Machines = ImmutableList<MachineReplacement>.Empty,
        };
    }

    private ImmutableList<MachineReplacement> UpdateMachine(string name, Func<MachineReplacement, MachineReplacement> update) =>
        Machines.Select(m => m.OldMachine == name ? update(m) : m).ToImmutableList();

    /// <summary>The control plane has Machines of two versions right now (a replacement is in flight).</summary>
    public bool IsMixedVersion => Phase is UpgradePhase.Running or UpgradePhase.Paused && (MachinesReplaced > 0 || Machines.Any(m => m.SurgeInUse));
}
