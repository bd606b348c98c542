using System.Collections.Concurrent;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>
/// Step outcomes by script, for tests of the actor's persistence mechanics only (recovery, re-drive,
/// snapshots, timers). What the steps do to a cluster is tested against the simulator in the integration tests.
/// </summary>
internal sealed class ScriptedStepExecutor : IStepExecutor, IStepExecutorFactory
{
    private readonly ConcurrentQueue<StepRef> _runs = new();
    public Func<StepRequest, Task<StepOutcome>> Behaviour { get; set; }

    public ScriptedStepExecutor(int controlPlaneSize = 3) => Behaviour = r => Task.FromResult(Succeed(r, controlPlaneSize));

    public IReadOnlyList<StepRef> Runs => _runs.ToList();

    public IStepExecutor For(ClusterKey cluster) => this;

    public Task<StepOutcome> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        _runs.Enqueue(request.Step);
        return Behaviour(request);
    }

    public static StepOutcome Succeed(StepRequest request, int controlPlaneSize = 3) => request.Step.Step switch
    {
        UpgradeStep.Preflight => new StepOutcome.Succeeded(Preflight: new PreflightReport(Observation(controlPlaneSize), "v1.29.4", new[] { "v1.30.2" }, Array.Empty<string>())),
        UpgradeStep.CreateReplacement => new StepOutcome.Succeeded(Replacement: request.Step.Machine + "-new"),
        UpgradeStep.AwaitReplacementReady => new StepOutcome.Succeeded(Node: request.Step.Machine + "-new"),
        _ => new StepOutcome.Succeeded(),
    };

    public static ControlPlaneObservation Observation(int count) => new(
        Enumerable.Range(1, count).Select(i => new ObservedMachine($"cp-{i}", "v1.29.4", $"cp-{i}", true, IsInitMachine: i == 1)).ToList(),
        Enumerable.Range(1, count).Select(i => $"cp-{i}").ToList(),
        Enumerable.Range(1, count).Select(i => new ObservedEtcdMember((ulong)i, $"cp-{i}", false, true)).ToList(),
        Array.Empty<string>());
}
