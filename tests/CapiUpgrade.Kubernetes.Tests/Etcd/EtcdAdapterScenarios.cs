using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Retries;
using SimEtcd = CapiUpgrade.Simulator.Etcd;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

/// <summary>
/// The adapter's etcd operations, run the same way against simulated etcd and real etcd (both TLS with
/// client certificates required). The adapter gets only what the engine gets in production: client URLs
/// and the etcd CA's PEM (it mints its own client certificate).
/// </summary>
internal static class EtcdAdapterScenarios
{
    public static readonly string[] InitialMembers = ["m-0", "m-1", "m-2"];

    public static EtcdCluster Connect(SimEtcd.EtcdCluster etcd, RetryOptions? retry = null) =>
        new(etcd.Processes.Where(p => p.IsRunning).Select(p => p.ClientUrl).ToList(),
            EtcdClientCertificate.Mint(etcd.Ca.CertificatePem, etcd.Ca.KeyPem),
            retry ?? RetryOptions.EtcdDefault);

    public static async Task<EtcdHealthReport> AwaitHealthAsync(IEtcdCluster adapter, Func<EtcdHealthReport, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        EtcdHealthReport report;
        while (true)
        {
            report = await adapter.CheckHealthAsync(CancellationToken.None);
            if (condition(report))
                return report;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"etcd never reached '{what}': {report.Describe()}");
            await Task.Delay(100);
        }
    }

    public static async Task ListsThreeHealthyVotersWithOneLeaderAsync(IEtcdCluster adapter)
    {
        var members = await adapter.ListMembersAsync(CancellationToken.None);
        Assert.Equal(InitialMembers, members.Select(m => m.Name).Order());
        Assert.All(members, m => Assert.False(m.IsLearner));
        Assert.All(members, m => Assert.NotEmpty(m.ClientUrls));

        var report = await AwaitHealthAsync(adapter, r => r.AllHealthy, "all healthy");
        Assert.Equal(3, report.Members.Count);
        Assert.Single(report.Members, m => m.IsLeader);
        Assert.Equal(report.Members.Single(m => m.IsLeader).Member.Id, report.LeaderId);
        Assert.Empty(report.Alarms);
        Assert.Equal("healthy", report.Describe());
    }

    public static async Task MovesLeadershipAwayFromTheLeaderAsync(IEtcdCluster adapter)
    {
        var before = await AwaitHealthAsync(adapter, r => r.AllHealthy, "all healthy");
        var move = await adapter.MoveLeaderAwayFromAsync(before.LeaderId, CancellationToken.None);
        Assert.True(move.Moved);
        Assert.Equal(before.LeaderId, move.PreviousLeaderId);
        Assert.NotEqual(before.LeaderId, move.NewLeaderId);
        var after = await AwaitHealthAsync(adapter, r => r.LeaderId != 0, "a leader");
        Assert.NotEqual(before.LeaderId, after.LeaderId);

        // Moving away from a member that does not lead is a no-op.
        var follower = after.Members.First(m => m.Member.Id != after.LeaderId).Member.Id;
        var noop = await adapter.MoveLeaderAwayFromAsync(follower, CancellationToken.None);
        Assert.False(noop.Moved);
    }

    public static async Task JoinsALearnerThatIsPromotedAsync(SimEtcd.EtcdCluster etcd, IEtcdCluster adapter)
    {
        var id = await etcd.AddLearnerAsync("m-3");
        await etcd.StartMemberAsync("m-3");

        var withLearner = await AwaitHealthAsync(adapter, r => r.Members.Any(m => m.Member.Id == id && m.Member.IsLearner && m.Member.Name == "m-3"), "m-3 listed as learner");
        Assert.False(withLearner.AllHealthy);
        Assert.Contains("learner", withLearner.Describe());
        // The learner does not count: 3 voters, removing one leaves 2 healthy = quorum of 2.
        Assert.Equal(3, EtcdQuorum.CanRemoveMember(withLearner.Members, withLearner.LeaderId).Voters);

        await adapter.PromoteMemberAsync(id, CancellationToken.None);
        await adapter.PromoteMemberAsync(id, CancellationToken.None); // already a voter: success
        var promoted = await AwaitHealthAsync(adapter, r => r.AllHealthy && r.Members.Count == 4, "4 healthy voters");
        Assert.All(promoted.Members, m => Assert.False(m.Member.IsLearner));
        Assert.Contains(adapter.Endpoints, url => url == etcd.ClientUrlOf("m-3"));
    }

    public static async Task RemovesAStoppedMemberOnceAsync(SimEtcd.EtcdCluster etcd, IEtcdCluster adapter, string memberName)
    {
        var members = await adapter.ListMembersAsync(CancellationToken.None);
        var victim = members.Single(m => m.Name == memberName);
        var report = await AwaitHealthAsync(adapter, r => r.AllHealthy, "all healthy");
        if (report.LeaderId == victim.Id)
            await adapter.MoveLeaderAwayFromAsync(victim.Id, CancellationToken.None);

        await etcd.StopMemberAsync(memberName);
        var stopped = await AwaitHealthAsync(adapter, r => r.Members.Any(m => m.Member.Id == victim.Id && !m.Healthy) && r.LeaderId != 0, $"{memberName} down");
        var safety = EtcdQuorum.CanRemoveMember(stopped.Members, victim.Id);
        Assert.True(safety.Safe, safety.Reason);

        var removal = await adapter.RemoveMemberAsync(victim.Id, CancellationToken.None);
        Assert.False(removal.AlreadyAbsent);
        var again = await adapter.RemoveMemberAsync(victim.Id, CancellationToken.None);
        Assert.True(again.AlreadyAbsent);

        var remaining = await adapter.ListMembersAsync(CancellationToken.None);
        Assert.DoesNotContain(remaining, m => m.Id == victim.Id);
        Assert.DoesNotContain(adapter.Endpoints, url => victim.ClientUrls.Contains(url));
        await AwaitHealthAsync(adapter, r => r.AllHealthy && r.Members.Count == members.Count - 1, "healthy after removal");
    }

    /// <summary>
    /// An alarm raised on one member (Alarm ACTIVATE, as etcd raises NOSPACE itself) is read from the members'
    /// Status: the report names it and its member and is not healthy; no member is called unhealthy for it;
    /// disarmed, the report is healthy again.
    /// </summary>
    public static async Task ReportsAnAlarmFromTheMembersStatusAsync(SimEtcd.EtcdCluster etcd, IEtcdCluster adapter, string memberName)
    {
        var member = (await adapter.ListMembersAsync(CancellationToken.None)).Single(m => m.Name == memberName);
        await etcd.SetAlarmAsync(memberName, Etcdserverpb.AlarmType.Nospace, active: true);
        var alarmed = await AwaitHealthAsync(adapter, r => r.Alarms.Count > 0, "an alarm reported");

        Assert.Equal([new EtcdAlarm(member.Id, "NOSPACE")], alarmed.Alarms);
        Assert.False(alarmed.AllHealthy);
        Assert.All(alarmed.Members, m => Assert.True(m.Healthy, m.Error));
        Assert.Contains($"alarm NOSPACE on member {member.IdHex}", alarmed.Describe());

        await etcd.SetAlarmAsync(memberName, Etcdserverpb.AlarmType.Nospace, active: false);
        var cleared = await AwaitHealthAsync(adapter, r => r.Alarms.Count == 0, "the alarm disarmed");
        Assert.True(cleared.AllHealthy, cleared.Describe());
    }

    public static async Task AddsAndRemovesAnUnstartedLearnerAsync(IEtcdCluster adapter, string peerUrl)
    {
        var added = await adapter.AddMemberAsync([peerUrl], asLearner: true, CancellationToken.None);
        Assert.True(added.IsLearner);
        var members = await adapter.ListMembersAsync(CancellationToken.None);
        var listed = members.Single(m => m.Id == added.Id);
        Assert.Equal("", listed.Name);
        Assert.Equal([peerUrl], listed.PeerUrls);

        var removal = await adapter.RemoveMemberAsync(added.Id, CancellationToken.None);
        Assert.False(removal.AlreadyAbsent);
        // etcd 3.4 answers MemberList from the member asked, which may not have applied the removal yet:
        // await the committed change with a deadline rather than expect it on the very next read.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var after = await adapter.ListMembersAsync(CancellationToken.None);
        while (after.Any(m => m.Id == added.Id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = await adapter.ListMembersAsync(CancellationToken.None);
        }
        Assert.DoesNotContain(after, m => m.Id == added.Id);
    }
}
