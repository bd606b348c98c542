using CapiUpgrade.Core.Patches;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Management;
using K8sClusterKey = CapiUpgrade.Kubernetes.Management.ClusterKey;

namespace CapiUpgrade.Actors.Execution;

/// <summary>Executors over the real wire: one management cluster per name from the registry.</summary>
public sealed class KubernetesStepExecutorFactory(ManagementClusterRegistry registry) : IStepExecutorFactory
{
    public IStepExecutor For(Core.Upgrades.ClusterKey cluster) =>
        new KubernetesStepExecutor(registry.Get(cluster.IsDefaultManagement ? ManagementClusterRegistry.DefaultName : cluster.Management!), cluster);
}

/// <summary>
/// Runs each step of DESIGN §1 against one cluster through the Kubernetes and etcd adapters. Writing steps
/// check the safety rules first (DESIGN §4 rule 1) and answer Blocked instead of writing when unsafe.
/// Waits subscribe to watches (shared Machine watch, the workload cluster's Node/Pod watch); only etcd
/// membership, which has no watch here, is polled while a wait is otherwise satisfied.
/// </summary>
public sealed partial class KubernetesStepExecutor : IStepExecutor
{
    private readonly ManagementClusterAccess _access;
    private readonly Core.Upgrades.ClusterKey _cluster;
    private readonly K8sClusterKey _key;

    public KubernetesStepExecutor(ManagementClusterAccess access, Core.Upgrades.ClusterKey cluster)
    {
        _access = access;
        _cluster = cluster;
        _key = new K8sClusterKey(cluster.Namespace, cluster.Name);
    }

    private IManagementCluster Api => _access.Api;

    public async Task<StepOutcome> ExecuteAsync(StepRequest request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var remaining = request.Deadline - DateTimeOffset.UtcNow;
        deadline.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        try
        {
            return request.Step.Step switch
            {
                UpgradeStep.Preflight => await PreflightAsync(request, deadline.Token),
                UpgradeStep.ClaimCluster => await ClaimAsync(request, deadline.Token),
                UpgradeStep.ReleaseClaim => await ReleaseClaimAsync(request, deadline.Token),
                UpgradeStep.RemoveStaleMembers => await RemoveStaleMembersAsync(request, deadline.Token),
                UpgradeStep.UpdateClusterConfig => await UpdateClusterConfigAsync(request, deadline.Token),
                UpgradeStep.AddPreTerminateHook => await AddHookAsync(request, deadline.Token),
                UpgradeStep.CreateReplacement => await CreateReplacementAsync(request, deadline.Token),
                UpgradeStep.AwaitReplacementReady => await AwaitReplacementReadyAsync(request, deadline.Token),
                UpgradeStep.DeleteOldMachine => await DeleteOldMachineAsync(request, deadline.Token),
                UpgradeStep.AwaitPreTerminateHold => await AwaitHeldByHookAsync(request, deadline.Token),
                UpgradeStep.MoveEtcdLeader => await MoveLeaderAsync(request, deadline.Token),
                UpgradeStep.RemoveEtcdMember => await RemoveMemberAsync(request, deadline.Token),
                UpgradeStep.ReownCertificateSecrets => await ReownSecretsAsync(deadline.Token),
                UpgradeStep.ReleasePreTerminateHook => await ReleaseHookAsync(request, deadline.Token),
                UpgradeStep.AwaitOldMachineGone => await AwaitGoneAsync(request, request.Step.Machine!, deadline.Token),
                UpgradeStep.RemoveFailedReplacement => await RemoveFailedReplacementAsync(request, deadline.Token),
                _ => new StepOutcome.Failed($"step {request.Step.Step} has no executor"),
            };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var reason = $"{request.Step} on cluster {_cluster} did not finish by {request.Deadline:HH:mm:ss} UTC";
            return request.Step.Step.IsWait() ? new StepOutcome.TimedOut(reason) : new StepOutcome.Failed(reason);
        }
        catch (Core.Errors.ValidationException e)
        {
            return new StepOutcome.Blocked(e.Message);
        }
        catch (PatchException e)
        {
            return new StepOutcome.Blocked(e.Message);
        }
    }

    private static OperatorPatch? ParsePatch(string? text, string source) =>
        string.IsNullOrWhiteSpace(text) ? null : OperatorPatch.Parse(text, source);
}
