using Akka.Actor;
using Akka.Event;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.ClusterUpgrade;

/// <summary>
/// Base of the ClusterUpgradeActor's children: runs one step at a time through the executor, returns the
/// outcome to the parent (async work comes back with PipeTo(Self)). An exception is a transient failure.
/// </summary>
public abstract class StepRunnerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    protected StepRunnerActor(IStepExecutor executor)
    {
        Receive<RunStep>(run =>
        {
            var step = run.Request.Step;
            executor.ExecuteAsync(run.Request, run.CancellationToken).PipeTo(Self,
                success: outcome => new StepFinished(run.ExecutionId, step, outcome),
                failure: ex => new StepFinished(run.ExecutionId, step, new StepOutcome.Failed(Describe(ex))));
        });
        Receive<StepFinished>(done =>
        {
            if (done.Outcome is StepOutcome.Failed failed)
                _log.Warning("{0} of cluster {1}: {2}", done.Step, Context.Parent.Path.Name, failed.Error);
            Context.Parent.Tell(done);
        });
    }

    private static string Describe(Exception ex)
    {
        var e = ex is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : ex;
        return e is OperationCanceledException ? "cancelled (step took too long)" : e.Message;
    }
}

/// <summary>etcd membership: stale member removal, leader moves and member removal (one at a time per cluster).</summary>
public sealed class EtcdHealthActor(IStepExecutor executor) : StepRunnerActor(executor);

/// <summary>kubeadm-config (kubernetesVersion, API endpoints), the kubelet ConfigMap and its RBAC.</summary>
public sealed class ConfigMaintenanceActor(IStepExecutor executor) : StepRunnerActor(executor);

/// <summary>The replacement of one old control-plane Machine: hook, clones, replacement, waits, deletion.</summary>
public sealed class MachineReplacementActor(IStepExecutor executor) : StepRunnerActor(executor);
