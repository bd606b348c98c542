using Etcdserverpb;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>Answers the etcd RPCs of every simulated member; the member is the one bound to the connection's local port.</summary>
public sealed class EtcdGrpcService(SimulatedEtcdServer server)
{
    private (SimulatedEtcdMembership Membership, int Port) Resolve(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var port = http.Connection.LocalPort;
        var membership = server.MembershipOn(port);
        if (membership is null || !membership.IsServing(port))
        {
            http.Abort();
            throw EtcdErrors.ConnectionRefused();
        }
        return (membership, port);
    }

    private Task<T> Answer<T>(ServerCallContext context, string method, Func<SimulatedEtcdMembership, int, T> call)
    {
        var (membership, port) = Resolve(context);
        // The certificate keeps its subject once read: no name is parsed per call.
        server.Count(context.GetHttpContext().Connection.ClientCertificate?.Subject ?? "", method);
        var latency = membership.LatencyOn(port);
        return latency > TimeSpan.Zero ? LateAsync(context, membership, port, latency, call) : Task.FromResult(call(membership, port));
    }

    /// <summary>A slow member (fault EtcdMemberSlow): the call is answered after the latency, as it stands then; a client that gave up first hears nothing.</summary>
    private static async Task<T> LateAsync<T>(ServerCallContext context, SimulatedEtcdMembership membership, int port, TimeSpan latency, Func<SimulatedEtcdMembership, int, T> call)
    {
        await Task.Delay(latency, context.CancellationToken);
        return call(membership, port);
    }

    internal sealed class MethodProvider : IServiceMethodProvider<EtcdGrpcService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<EtcdGrpcService> context)
        {
            context.AddUnaryMethod(EtcdGrpcMethods.MemberList, [], (s, r, c) => s.Answer(c, "MemberList", (m, p) => m.MemberList(p)));
            context.AddUnaryMethod(EtcdGrpcMethods.MemberAdd, [], (s, r, c) => s.Answer(c, "MemberAdd", (m, p) => m.MemberAdd(p, r)));
            context.AddUnaryMethod(EtcdGrpcMethods.MemberRemove, [], (s, r, c) => s.Answer(c, "MemberRemove", (m, p) => m.MemberRemove(p, r)));
            context.AddUnaryMethod(EtcdGrpcMethods.MemberPromote, [], (s, r, c) => s.Answer(c, "MemberPromote", (m, p) => m.MemberPromote(p, r)));
            context.AddUnaryMethod(EtcdGrpcMethods.Status, [], (s, r, c) => s.Answer(c, "Status", (m, p) => m.Status(p)));
            context.AddUnaryMethod(EtcdGrpcMethods.MoveLeader, [], (s, r, c) => s.Answer(c, "MoveLeader", (m, p) => m.MoveLeader(p, r)));
            context.AddUnaryMethod(EtcdGrpcMethods.Alarm, [], (s, r, c) => s.Answer(c, "Alarm", (m, p) => m.Alarm(p, r)));
            context.AddUnaryMethod(EtcdGrpcMethods.Range, [], (s, r, c) => s.Answer(c, "Range", (m, p) => m.Range(p, r)));
        }
    }
}
