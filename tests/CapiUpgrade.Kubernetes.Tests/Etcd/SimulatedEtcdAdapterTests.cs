using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;
using Etcdserverpb;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

/// <summary>The etcd adapter against the simulated etcd (gRPC over TLS, client certificates required).</summary>
public sealed class SimulatedEtcdAdapterTests : IAsyncLifetime
{
    private readonly SimulatedEtcdServer _server = new();
    private SimulatedEtcdCluster _etcd = null!;
    private CapiUpgrade.Kubernetes.Etcd.EtcdCluster _adapter = null!;

    public async Task InitializeAsync()
    {
        _etcd = new SimulatedEtcdCluster("default/sim", CertificateAuthority.Create("etcd-ca", TestKeys.Pool), _server);
        await _etcd.BootstrapAsync(EtcdAdapterScenarios.InitialMembers);
        _adapter = EtcdAdapterScenarios.Connect(_etcd);
    }

    public async Task DisposeAsync()
    {
        await _adapter.DisposeAsync();
        await _etcd.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public Task Lists_members_and_reports_health_and_the_leader() => EtcdAdapterScenarios.ListsThreeHealthyVotersWithOneLeaderAsync(_adapter);

    [Fact]
    public Task Moves_leadership_through_the_leaders_own_endpoint() => EtcdAdapterScenarios.MovesLeadershipAwayFromTheLeaderAsync(_adapter);

    [Fact]
    public Task Reads_alarms_from_the_members_status() => EtcdAdapterScenarios.ReportsAnAlarmFromTheMembersStatusAsync(_etcd, _adapter, "m-1");

    [Fact]
    public async Task A_health_check_sends_no_alarm_request_through_raft()
    {
        await EtcdAdapterScenarios.AwaitHealthAsync(_adapter, r => r.AllHealthy, "all healthy");
        _server.Rpcs.Clear();

        var report = await _adapter.CheckHealthAsync(CancellationToken.None);

        Assert.True(report.AllHealthy, report.Describe());
        Assert.DoesNotContain(_server.Rpcs.Keys, k => k.Method == "Alarm");
        Assert.Equal(3, _server.Rpcs.Where(r => r.Key.Method == "Status").Sum(r => r.Value));
        Assert.Equal(HealthCheckRpcs(report), _server.Rpcs.Values.Sum());
    }

    [Fact]
    public async Task A_leader_move_decided_on_the_callers_report_sends_only_MoveLeader()
    {
        var report = await EtcdAdapterScenarios.AwaitHealthAsync(_adapter, r => r.AllHealthy, "all healthy");
        _server.Rpcs.Clear();

        var move = await _adapter.MoveLeaderAwayFromAsync(report.LeaderId, report, CancellationToken.None);

        Assert.True(move.Moved);
        Assert.Equal(report.LeaderId, move.PreviousLeaderId);
        Assert.NotEqual(report.LeaderId, move.NewLeaderId);
        // etcd answers MoveLeader once the target leads: the report's view and etcd's now agree without asking again.
        var after = await _adapter.CheckHealthAsync(CancellationToken.None);
        Assert.Equal(move.NewLeaderId, after.LeaderId);
        var moveLeaderRpcs = _server.Rpcs.Where(p => p.Key.Method.EndsWith("MoveLeader", StringComparison.Ordinal)).Sum(p => p.Value);
        Assert.Equal(1, moveLeaderRpcs);
        Assert.Equal(1 + HealthCheckRpcs(after), _server.Rpcs.Values.Sum());
    }

    /// <summary>One health check's RPCs: the member list, and each member's status (its alarms with it) and linearizable read.</summary>
    private static int HealthCheckRpcs(EtcdHealthReport report) => 1 + 2 * report.Members.Count;

    [Fact]
    public Task Promotes_a_joined_learner() => EtcdAdapterScenarios.JoinsALearnerThatIsPromotedAsync(_etcd, _adapter);

    [Fact]
    public Task Removes_a_stopped_member_and_treats_not_found_as_done() => EtcdAdapterScenarios.RemovesAStoppedMemberOnceAsync(_etcd, _adapter, "m-1");

    [Fact]
    public Task Adds_a_learner_and_removes_it() => EtcdAdapterScenarios.AddsAndRemovesAnUnstartedLearnerAsync(_adapter, "https://127.0.0.1:1");

    [Fact]
    public async Task An_unhealthy_member_and_an_alarm_make_the_report_unhealthy_and_removal_unsafe()
    {
        _etcd.Membership.SetUnhealthy("m-1", true);
        _etcd.Membership.SetAlarm("m-2", AlarmType.Nospace, true);
        var report = await EtcdAdapterScenarios.AwaitHealthAsync(_adapter, r => r.Members.Any(m => m.Member.Name == "m-1" && !m.Healthy), "m-1 unhealthy");

        Assert.False(report.AllHealthy);
        Assert.Contains(report.Alarms, a => a.Alarm == "NOSPACE");
        Assert.Contains("'m-1'", report.Describe());
        Assert.Contains("NOSPACE", report.Describe());
        var m0 = report.Members.Single(m => m.Member.Name == "m-0").Member.Id;
        var safety = EtcdQuorum.CanRemoveMember(report.Members, m0);
        Assert.False(safety.Safe, safety.Reason);
    }

    [Fact]
    public async Task Moving_leadership_to_a_learner_is_refused_with_a_reason()
    {
        var id = await _etcd.AddLearnerAsync("m-3");
        await _etcd.StartMemberAsync("m-3");
        await EtcdAdapterScenarios.AwaitHealthAsync(_adapter, r => r.Members.Any(m => m.Member.Id == id && m.Healthy), "learner running");
        var e = await Assert.ThrowsAsync<EtcdOperationException>(() => _adapter.MoveLeaderAsync(id, CancellationToken.None));
        Assert.Contains("learner", e.Message);
    }

    [Fact]
    public async Task A_member_asked_at_its_pods_endpoint_beside_the_list_is_judged_as_one_asked_after_it()
    {
        // Both connections last looked before m-3 joined: one is told where m-3 answers (as the engine's wait is,
        // from the etcd pod's annotation), with an endpoint no member has; the other finds m-3 in the list only.
        await using var hinted = EtcdAdapterScenarios.Connect(_etcd);
        await using var plain = EtcdAdapterScenarios.Connect(_etcd);
        Assert.Equal(3, (await hinted.CheckHealthAsync(CancellationToken.None)).Members.Count);
        Assert.Equal(3, (await plain.CheckHealthAsync(CancellationToken.None)).Members.Count);
        var id = await _etcd.AddLearnerAsync("m-3");
        await _etcd.StartMemberAsync("m-3");
        var url = _etcd.ClientUrlOf("m-3")!;
        string[] alsoAsk = [url, "https://127.0.0.1:1"];
        // Opening the connections ahead (as the wait does when the etcd pod appears) fails for no endpoint.
        await hinted.WarmUpAsync(alsoAsk, CancellationToken.None);

        // A learner serves no linearizable read: asked before the list said "learner", its failed read is no fault.
        var learner = await hinted.CheckHealthAsync(alsoAsk, CancellationToken.None);
        var learnerPlain = await plain.CheckHealthAsync(CancellationToken.None);
        foreach (var report in new[] { learner, learnerPlain })
        {
            Assert.Equal(4, report.Members.Count);
            var m3 = report.Members.Single(m => m.Member.Id == id);
            Assert.True(m3.Member.IsLearner);
            Assert.True(m3.Healthy, m3.Error);
            Assert.Equal(url, m3.Endpoint);
            Assert.Contains("learner", report.Describe());
        }

        await hinted.PromoteMemberAsync(id, CancellationToken.None);
        var voter = await hinted.CheckHealthAsync(alsoAsk, CancellationToken.None);
        Assert.True(voter.AllHealthy, voter.Describe());
        Assert.Equal(4, voter.Members.Count);
        Assert.DoesNotContain(voter.Members, m => m.Endpoint == "https://127.0.0.1:1");
        Assert.False(voter.Members.Single(m => m.Member.Id == id).Member.IsLearner);
        Assert.Equal(voter.LeaderId, (await plain.CheckHealthAsync(CancellationToken.None)).LeaderId);
    }

    [Fact]
    public async Task A_connection_needs_the_clusters_own_CA()
    {
        var foreign = CertificateAuthority.Create("foreign-ca", TestKeys.Pool);
        await using var wrong = new CapiUpgrade.Kubernetes.Etcd.EtcdCluster(
            _etcd.Processes.Select(p => p.ClientUrl).ToList(),
            CapiUpgrade.Kubernetes.Certificates.EtcdClientCertificate.Mint(foreign.CertificatePem, foreign.KeyPem),
            CapiUpgrade.Kubernetes.Retries.RetryOptions.None);
        var e = await Assert.ThrowsAsync<EtcdOperationException>(() => wrong.ListMembersAsync(CancellationToken.None));
        Assert.Contains("member list", e.Message);
    }
}
