using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;
using Etcdserverpb;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Tests.Etcd;

/// <summary>The membership scenarios against the simulated etcd (TLS, client certificates), with dotnet-etcd and etcdctl.</summary>
public sealed class SimulatedEtcdTests : IAsyncLifetime
{
    private static readonly RsaKeySource Keys = RsaKeySource.Shared;
    private readonly SimulatedEtcdServer _server = new();
    private SimulatedEtcdCluster _etcd = null!;

    public async Task InitializeAsync()
    {
        _etcd = new SimulatedEtcdCluster("default/sim", CertificateAuthority.Create("etcd-ca", Keys), _server) { ReconfigurationTimeout = TimeSpan.FromSeconds(10) };
        await _etcd.BootstrapAsync(MembershipScenarios.InitialMembers);
    }

    public async Task DisposeAsync()
    {
        await _etcd.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public Task Three_healthy_voters_reachable_only_with_a_client_certificate_from_the_ca() =>
        MembershipScenarios.ThreeHealthyVotersAsync(_etcd);

    [Fact]
    public async Task Join_adds_a_learner_then_promotes_it_and_removal_makes_its_port_stop_answering()
    {
        await MembershipScenarios.JoinAsLearnerThenPromoteAsync(_etcd);
        await MembershipScenarios.RemoveMemberAsync(_etcd);
    }

    [Fact]
    public Task Move_leader_only_on_the_leader() => MembershipScenarios.MoveLeaderAsync(_etcd);

    [Fact]
    public Task Quorum_rules_refuse_unsafe_removal_and_allow_removing_a_down_member() => MembershipScenarios.QuorumRulesAsync(_etcd);

    [Fact]
    public async Task One_of_two_running_voters_may_be_removed_as_real_etcd_allows()
    {
        var survivor = _etcd.Processes.Single(p => p.Name == "cp-0").ClientUrl;
        using var client = _etcd.Connect(survivor);
        var members = (await client.MemberListAsync(new MemberListRequest())).Members;
        await client.MemberRemoveAsync(new MemberRemoveRequest { ID = members.Single(m => m.Name == "cp-2").ID });
        await client.MemberRemoveAsync(new MemberRemoveRequest { ID = members.Single(m => m.Name == "cp-1").ID });
        var after = (await client.MemberListAsync(new MemberListRequest())).Members;
        Assert.Equal("cp-0", Assert.Single(after).Name);
    }

    [Fact]
    public async Task Promoting_a_learner_that_has_not_started_is_refused_as_not_in_sync()
    {
        var id = await _etcd.AddLearnerAsync("cp-3");
        using var client = _etcd.Connect();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.MemberPromoteAsync(new MemberPromoteRequest { ID = id }));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("etcdserver: can only promote a learner member which is in sync with leader", error.Status.Detail);
        var second = await Assert.ThrowsAsync<RpcException>(() => client.MemberAddAsync(new MemberAddRequest { PeerURLs = { "https://127.0.0.1:1" }, IsLearner = true }));
        Assert.Equal("etcdserver: too many learner members in cluster", second.Status.Detail);
    }

    [Fact]
    public async Task Losing_quorum_makes_the_cluster_unavailable_and_etcdctl_reports_it()
    {
        await _etcd.StopMemberAsync("cp-1");
        await _etcd.StopMemberAsync("cp-2");
        var survivor = _etcd.ClientUrlOf("cp-0")!;
        using var client = _etcd.Connect(survivor);
        Assert.Equal(0UL, (await client.StatusAsync(new StatusRequest())).Leader);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.MemberAddAsync(new MemberAddRequest { PeerURLs = { "https://127.0.0.1:2" }, IsLearner = true }));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        using var etcdctl = Etcdctl.WithMintedCertificate(_etcd.Ca);
        var health = await etcdctl.RunAsync([survivor], "endpoint", "health");
        Assert.NotEqual(0, health.ExitCode);
        Assert.Contains("is unhealthy", health.Output);

        await _etcd.RestartMemberAsync("cp-1");
        var back = await etcdctl.RunAsync([survivor], "endpoint", "health");
        Assert.True(back.ExitCode == 0, back.Output);
    }

    [Fact]
    public async Task Nospace_alarm_is_listed_by_etcdctl_and_in_status()
    {
        var member = _etcd.Membership.Members.First();
        Assert.True(_etcd.Membership.SetAlarm(member.Name, AlarmType.Nospace, active: true));
        using var etcdctl = Etcdctl.WithMintedCertificate(_etcd.Ca);
        var alarms = await etcdctl.RunAsync(_etcd.Processes.Select(p => p.ClientUrl), "alarm", "list");
        Assert.True(alarms.ExitCode == 0, alarms.Output);
        Assert.Contains("alarm:NOSPACE", alarms.Output);
        using var client = _etcd.Connect();
        var status = await client.StatusAsync(new StatusRequest());
        Assert.Contains(status.Errors, e => e.Contains("NOSPACE"));
        var disarm = await etcdctl.RunAsync(_etcd.Processes.Select(p => p.ClientUrl), "alarm", "disarm");
        Assert.True(disarm.ExitCode == 0, disarm.Output);
        Assert.Empty(_etcd.Membership.Alarms);
    }

    [Fact]
    public async Task Thousands_of_members_share_one_kestrel_host_per_batch()
    {
        var ports = await _server.BindPortsAsync(300);
        Assert.Equal(300, ports.Distinct().Count());
        var ca = CertificateAuthority.Create("etcd-ca", Keys);
        var clusters = Enumerable.Range(0, 100).Select(i => new SimulatedEtcdCluster($"ns/c{i}", ca, _server)).ToList();
        for (var i = 0; i < clusters.Count; i++)
            clusters[i].Bootstrap([("a", ports[3 * i]), ("b", ports[3 * i + 1]), ("c", ports[3 * i + 2])]);
        using var client = clusters[57].Connect();
        var list = await client.MemberListAsync(new MemberListRequest());
        Assert.Equal(["a", "b", "c"], list.Members.Select(m => m.Name).Order());
        Assert.Equal(clusters[57].Membership.ClusterId, list.Header.ClusterId);
        Assert.Equal(2, _server.HostCount);
    }
}
