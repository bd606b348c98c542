using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Execution;

/// <summary>One step to run: the state it was decided in, and the instant a wait step must give up.</summary>
public sealed record StepRequest(ClusterUpgradeState State, StepRef Step, DateTimeOffset Deadline)
{
    public ClusterKey Cluster => State.Cluster;
    public string UpgradeId => State.UpgradeId ?? throw new InvalidOperationException("no upgrade in progress");
    public MachineReplacement? Machine => Step.Machine is null ? null : State.Machines.FirstOrDefault(m => m.OldMachine == Step.Machine);
}

/// <summary>
/// Runs the side effect of one step against the real world (management cluster, workload cluster, etcd) and
/// says what came of it. Every step must be idempotent: it may run again after a crash.
/// </summary>
public interface IStepExecutor
{
    Task<StepOutcome> ExecuteAsync(StepRequest request, CancellationToken cancellationToken);
}

/// <summary>Gives each cluster's ClusterUpgradeActor its executor.</summary>
public interface IStepExecutorFactory
{
    IStepExecutor For(ClusterKey cluster);
}
