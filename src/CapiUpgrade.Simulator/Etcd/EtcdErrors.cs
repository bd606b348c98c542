using Grpc.Core;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>The gRPC errors etcd 3.4 returns (codes and texts of etcd's rpctypes), for the simulated etcd.</summary>
public static class EtcdErrors
{
    public static RpcException MemberNotFound() => New(StatusCode.NotFound, "etcdserver: member not found");
    public static RpcException PeerUrlExists() => New(StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists");
    public static RpcException MemberNotLearner() => New(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member");
    public static RpcException LearnerNotReady() => New(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader");
    public static RpcException TooManyLearners() => New(StatusCode.FailedPrecondition, "etcdserver: too many learner members in cluster");
    public static RpcException NotEnoughStartedMembers() => New(StatusCode.FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members");
    public static RpcException Unhealthy() => New(StatusCode.Unavailable, "etcdserver: unhealthy cluster");
    public static RpcException NotLeader() => New(StatusCode.FailedPrecondition, "etcdserver: not leader");
    public static RpcException BadLeaderTransferee() => New(StatusCode.FailedPrecondition, "etcdserver: bad leader transferee");
    public static RpcException LeaderTransferTimeout() => New(StatusCode.Unavailable, "etcdserver: request timed out, leader transfer took too long");
    public static RpcException NoLeader() => New(StatusCode.Unavailable, "etcdserver: no leader");
    public static RpcException Timeout() => New(StatusCode.Unavailable, "etcdserver: request timed out");
    public static RpcException NotSupportedForLearner() => New(StatusCode.Unavailable, "etcdserver: rpc not supported for learner");
    public static RpcException NoSpace() => New(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded");
    public static RpcException ConnectionRefused() => New(StatusCode.Unavailable, "connection refused: the etcd member on this port is not running");

    private static RpcException New(StatusCode code, string message) => new(new Status(code, message), message);
}
