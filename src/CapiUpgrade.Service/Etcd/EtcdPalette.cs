using System.Runtime.CompilerServices;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Hosting;
using CapiUpgrade.Service.Upgrades;

namespace CapiUpgrade.Service.Etcd;

/// <summary><c>etcd health|members CLUSTER</c>: the cluster's etcd as the engine reaches it (member client URLs, client certificate from the &lt;cluster&gt;-etcd CA).</summary>
public sealed class EtcdPalette(EngineWiring engine) : IPaletteHandler
{
    public string Palette => "etcd";

    public async Task<CommandResult> ExecuteAsync(CommandInvocation invocation, CancellationToken cancellationToken)
    {
        var cluster = Clusters.Parse(invocation.Required("cluster"));
        var management = cluster.IsDefaultManagement ? Kubernetes.Management.ManagementClusterRegistry.DefaultName : cluster.Management!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await using var etcd = await engine.EtcdOfAsync(management, cluster.Namespace, cluster.Name, timeout.Token)
                ?? throw new CommandException($"the service has no management cluster named '{management}': start `capi-upgrade serve --kubeconfig {(cluster.IsDefaultManagement ? "" : management + "=")}FILE`", 409);
            if (invocation.Spec.Name == "members")
            {
                var members = await etcd.ListMembersAsync(timeout.Token);
                return new CommandResult(CommandJson.ToNode(members.Select(m => new { id = m.IdHex, m.Name, m.IsLearner, m.PeerUrls, m.ClientUrls })), new CommandView
                {
                    Title = $"etcd members of {cluster.EntityId}",
                    Tables = [new ViewTable(null, ["ID", "NAME", "ROLE", "PEER URLS", "CLIENT URLS"],
                        members.Select(m => (IReadOnlyList<string>)[m.IdHex, Views.Or(m.Name, "(not started)"), m.IsLearner ? "learner" : "voter", string.Join(",", m.PeerUrls), string.Join(",", m.ClientUrls)]).ToList())],
                    Message = $"{members.Count(m => !m.IsLearner)} voter(s), {members.Count(m => m.IsLearner)} learner(s)",
                });
            }
            var report = await etcd.CheckHealthAsync(timeout.Token);
            return new CommandResult(CommandJson.ToNode(new
            {
                healthy = report.AllHealthy,
                leader = report.LeaderId.ToString("x16"),
                summary = report.Describe(),
                members = report.Members.Select(m => new { id = m.Member.IdHex, m.Member.Name, m.Member.IsLearner, m.Endpoint, m.Healthy, m.IsLeader, m.RaftTerm, m.RaftIndex, m.Error }),
                alarms = report.Alarms.Select(a => new { member = a.MemberId.ToString("x16"), a.Alarm }),
            }), new CommandView
            {
                Title = $"etcd of {cluster.EntityId}: {report.Describe()}",
                Tables =
                [
                    new ViewTable(null, ["ID", "NAME", "ROLE", "ENDPOINT", "HEALTHY", "LEADER", "RAFT TERM", "RAFT INDEX", "ERROR"],
                        report.Members.Select(m => (IReadOnlyList<string>)[m.Member.IdHex, Views.Or(m.Member.Name), m.Member.IsLearner ? "learner" : "voter", Views.Or(m.Endpoint),
                            m.Healthy ? "yes" : "NO", m.IsLeader ? "leader" : "", m.RaftTerm.ToString(), m.RaftIndex.ToString(), Views.Or(m.Error, "")]).ToList()),
                    new ViewTable("alarms", ["MEMBER", "ALARM"], report.Alarms.Select(a => (IReadOnlyList<string>)[a.MemberId.ToString("x16"), a.Alarm]).ToList()),
                ],
            });
        }
        catch (EtcdOperationException e)
        {
            throw new CommandException($"etcd of {cluster.EntityId}: {e.Message}", 502);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CommandException($"etcd of {cluster.EntityId} did not answer within 30s", 504);
        }
    }

    public async IAsyncEnumerable<StreamItem> StreamAsync(CommandInvocation invocation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }
}
