using Grpc.Core;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>Classifies etcd gRPC errors.</summary>
public static class EtcdFailures
{
    /// <summary>"etcdserver: member not found" (NotFound).</summary>
    public static bool IsMemberNotFound(Exception e) =>
        e is RpcException rpc && (rpc.StatusCode == StatusCode.NotFound || rpc.Status.Detail.Contains("member not found", StringComparison.OrdinalIgnoreCase));

    /// <summary>Promote of a member that already votes ("can only promote a learner member", but not "...which is in sync").</summary>
    public static bool IsAlreadyVoter(Exception e) =>
        e is RpcException rpc && rpc.Status.Detail.Contains("can only promote a learner member", StringComparison.OrdinalIgnoreCase)
        && !rpc.Status.Detail.Contains("in sync", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Worth retrying (possibly at another member): Unavailable / DeadlineExceeded (unreachable member, leader
    /// change, "unhealthy cluster" right after a start), "not leader", "leader changed", "not enough started
    /// members", "possibly due to previous leader failure", a learner not yet in sync with the leader.
    /// </summary>
    public static bool IsRetryable(Exception e) => e switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted
            // The member's connection broke before an answer (stopped member, stream reset): try another member.
            || (rpc.StatusCode == StatusCode.Internal && (rpc.Status.DebugException is HttpRequestException or IOException || rpc.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal)))
            || ContainsAny(rpc.Status.Detail, "unhealthy cluster", "not leader", "leader changed", "not enough started members", "previous leader failure", "in sync with leader", "request timed out", "no leader"),
        HttpRequestException or IOException => true,
        _ => false,
    };

    private static bool ContainsAny(string text, params string[] parts) => parts.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
}
