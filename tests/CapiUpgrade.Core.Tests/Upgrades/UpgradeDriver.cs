using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Core.Tests.Upgrades;

/// <summary>Runs the pure state machine the way the actor does: begin a step, get its outcome, complete it.</summary>
internal sealed class UpgradeDriver
{
    public static readonly ClusterKey Cluster = new("fleet", "alpha");
    private DateTimeOffset _now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public ClusterUpgradeState State { get; private set; } = ClusterUpgradeState.Empty(Cluster);
    public List<IClusterUpgradeEvent> Events { get; } = new();
    public List<StepRef> StepsRun { get; } = new();

    public Decision Send(UpgradeCommand command)
    {
        _now = _now.AddSeconds(1);
        var decision = ClusterUpgradeDecider.Decide(State, command, _now);
        foreach (var e in decision.Events)
        {
            State = State.Apply(e);
            Events.Add(e);
        }
        return decision;
    }

    public Decision Start(string target = "v1.30.2", UpgradeOptions? options = null, string id = "up1") =>
        Send(new UpgradeCommand.Start(id, target, options ?? UpgradeOptions.Default, "test"));

    /// <summary>Runs steps until the machine stops asking (finished, paused) or <paramref name="maxSteps"/> is reached.</summary>
    public void RunUntilIdle(Func<StepRef, StepOutcome> outcome, int maxSteps = 500)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            Send(UpgradeCommand.BeginNextStep.Instance);
            var step = State.InFlight;
            if (step is null) return;
            StepsRun.Add(step);
            Send(new UpgradeCommand.CompleteStep(step.Step, step.Machine, outcome(step)));
        }
        throw new InvalidOperationException("the state machine did not stop after " + maxSteps + " steps");
    }

    public static ControlPlaneObservation ThreeNodes(string version = "v1.29.4", int count = 3) => new(
        Enumerable.Range(1, count).Select(i => new ObservedMachine($"cp-{i}", version, $"node-{i}", true, IsInitMachine: i == 1)).ToList(),
        Enumerable.Range(1, count).Select(i => $"node-{i}").ToList(),
        Enumerable.Range(1, count).Select(i => new ObservedEtcdMember((ulong)i, $"node-{i}", false, true, i == 1)).ToList(),
        Array.Empty<string>());

    public static StepOutcome Preflight(ControlPlaneObservation observation, params string[] hops) =>
        new StepOutcome.Succeeded(Preflight: new PreflightReport(observation, "v1.29.4", hops, Array.Empty<string>()));

    /// <summary>A world where every step succeeds; preflight observes what the hop needs.</summary>
    public static Func<StepRef, StepOutcome> AllSucceed(Func<int, ControlPlaneObservation> observationPerHop, params string[] hops)
    {
        var hop = 0;
        return step => step.Step switch
        {
            UpgradeStep.Preflight => Preflight(observationPerHop(hop++), hops),
            UpgradeStep.CreateReplacement => new StepOutcome.Succeeded(Replacement: step.Machine + "-new"),
            UpgradeStep.AwaitReplacementReady => new StepOutcome.Succeeded(Node: step.Machine + "-new"),
            _ => new StepOutcome.Succeeded(),
        };
    }
}
