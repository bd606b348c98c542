using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Service.Hosting;

namespace CapiUpgrade.Service.Fleet;

/// <summary>
/// The etcd part of a plan's preflight (`campaign plan`, `fleet preflight`): asks each candidate cluster's
/// etcd, as the engine reaches it, whether every member is healthy, a leader is known and no alarm is
/// raised. At most <see cref="Parallelism"/> clusters at once, each bounded by <see cref="Timeout"/>; a
/// cluster whose etcd cannot be reached is reported unhealthy with the reason.
/// </summary>
public sealed class EtcdProbe(EngineWiring engine)
{
    public int Parallelism { get; init; } = 16;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><paramref name="fleet"/> with <see cref="ClusterFacts.EtcdHealthy"/> set for the clusters <paramref name="probe"/> selects.</summary>
    public async Task<IReadOnlyList<ClusterFacts>> CheckAsync(IReadOnlyList<ClusterFacts> fleet, Func<ClusterFacts, bool> probe, CancellationToken cancellationToken)
    {
        var results = new ClusterFacts[fleet.Count];
        await Parallel.ForAsync(0, fleet.Count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var c = fleet[i];
            if (!probe(c))
            {
                results[i] = c;
                return;
            }
            var (healthy, problem) = await HealthOfAsync(c.Key, ct);
            results[i] = c with { EtcdHealthy = healthy, EtcdProblem = problem };
        });
        return results;
    }

    private async Task<(bool Healthy, string? Problem)> HealthOfAsync(ClusterKey cluster, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            if (await engine.EtcdOfAsync(cluster.Management, cluster.Namespace, cluster.Name, timeout.Token) is not { } etcd)
                return (false, $"the service has no management cluster named '{cluster.Management}'");
            var report = await etcd.CheckHealthAsync(timeout.Token);
            // Not report.AllHealthy: a healthy learner (a join in progress) does not block a step (SafetyCheck), so it does not exclude a cluster either.
            var healthy = report.LeaderId != 0 && report.Alarms.Count == 0 && report.Members.All(m => m.Healthy);
            return (healthy, healthy ? null : report.Describe());
        }
        catch (EtcdOperationException e)
        {
            return (false, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"etcd did not answer within {Timeout.TotalSeconds:0} s");
        }
    }
}
