using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>
/// The etcd v3 gRPC methods the simulator serves, declared by hand over dotnet-etcd's public
/// `Etcdserverpb` message types (service and method names as in etcd's rpc.proto).
/// </summary>
public static class EtcdGrpcMethods
{
    public static readonly Method<MemberListRequest, MemberListResponse> MemberList = Unary<MemberListRequest, MemberListResponse>("etcdserverpb.Cluster", "MemberList");
    public static readonly Method<MemberAddRequest, MemberAddResponse> MemberAdd = Unary<MemberAddRequest, MemberAddResponse>("etcdserverpb.Cluster", "MemberAdd");
    public static readonly Method<MemberRemoveRequest, MemberRemoveResponse> MemberRemove = Unary<MemberRemoveRequest, MemberRemoveResponse>("etcdserverpb.Cluster", "MemberRemove");
    public static readonly Method<MemberPromoteRequest, MemberPromoteResponse> MemberPromote = Unary<MemberPromoteRequest, MemberPromoteResponse>("etcdserverpb.Cluster", "MemberPromote");
    public static readonly Method<StatusRequest, StatusResponse> Status = Unary<StatusRequest, StatusResponse>("etcdserverpb.Maintenance", "Status");
    public static readonly Method<MoveLeaderRequest, MoveLeaderResponse> MoveLeader = Unary<MoveLeaderRequest, MoveLeaderResponse>("etcdserverpb.Maintenance", "MoveLeader");
    public static readonly Method<AlarmRequest, AlarmResponse> Alarm = Unary<AlarmRequest, AlarmResponse>("etcdserverpb.Maintenance", "Alarm");
    public static readonly Method<RangeRequest, RangeResponse> Range = Unary<RangeRequest, RangeResponse>("etcdserverpb.KV", "Range");

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, service, name, Marshal<TRequest>(), Marshal<TResponse>());

    private static Marshaller<T> Marshal<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }
}
