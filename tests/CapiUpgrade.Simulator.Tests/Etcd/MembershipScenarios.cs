using CapiUpgrade.Simulator.Etcd;
using Etcdserverpb;
using Grpc.Core;

namespace CapiUpgrade.Simulator.Tests.Etcd;

/// <summary>
/// Membership scenarios run identically against real etcd and the simulated etcd, through
/// dotnet-etcd and the real etcdctl with a client certificate minted from the CA.
/// </summary>
public static class MembershipScenarios
{
    public static readonly string[] InitialMembers = ["cp-0", "cp-1", "cp-2"];

    /// <summary>3 healthy voting members, reachable only with a client certificate from the etcd CA.</summary>
    public static async Task ThreeHealthyVotersAsync(EtcdCluster etcd)
    {
        var list = await etcd.MemberListAsync();
        Assert.Equal(InitialMembers, list.Members.Select(m => m.Name).Order());
        Assert.All(list.Members, m => Assert.False(m.IsLearner));

        var leaders = new HashSet<ulong>();
        foreach (var process in etcd.Processes)
        {
            StatusResponse? status = null;
            await Eventually.TrueAsync(async () =>
            {
                using var client = etcd.Connect(process.ClientUrl);
                status = await client.StatusAsync(new StatusRequest(), deadline: Soon());
                return true;
            }, $"status of etcd member {process.Name}");
            Assert.NotEqual(0UL, status!.Leader);
            leaders.Add(status.Leader);
        }
        Assert.Single(leaders);

        var endpoints = etcd.Processes.Select(p => p.ClientUrl).ToList();
        using var etcdctl = Etcdctl.WithMintedCertificate(etcd.Ca);
        var health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.Output);
        Assert.Equal(3, CountOccurrences(health.Output, "is healthy"));
        var members = await etcdctl.RunAsync(endpoints, "member", "list");
        Assert.True(members.ExitCode == 0, members.Output);
        Assert.All(InitialMembers, name => Assert.Contains(name, members.Output));

        using var noCertificate = new Etcdctl(etcd.Ca);
        var refused = await noCertificate.RunAsync(endpoints.Take(1), "member", "list");
        Assert.NotEqual(0, refused.ExitCode);
        var foreignCa = Pki.CertificateAuthority.Create("someone-else", Pki.RsaKeySource.Shared);
        using var foreign = new Etcdctl(etcd.Ca, foreignCa.IssueClient("intruder"));
        var rejected = await foreign.RunAsync(endpoints.Take(1), "member", "list");
        Assert.NotEqual(0, rejected.ExitCode);
    }

    /// <summary>kubeadm's join: add as learner (unstarted, empty name), start, a learner cannot lead, promote.</summary>
    public static async Task JoinAsLearnerThenPromoteAsync(EtcdCluster etcd, string name = "cp-3")
    {
        var id = await etcd.AddLearnerAsync(name);
        var added = (await etcd.MemberListAsync()).Members.Single(m => m.ID == id);
        Assert.True(added.IsLearner);
        Assert.Equal("", added.Name);
        Assert.Empty(added.ClientURLs);

        await etcd.StartMemberAsync(name);
        var learnerUrl = etcd.ClientUrlOf(name)!;
        using (var learner = etcd.Connect(learnerUrl))
        {
            var status = await learner.StatusAsync(new StatusRequest(), deadline: Soon());
            Assert.True(status.IsLearner);
            var leaderUrl = await LeaderUrlAsync(etcd);
            using var leader = etcd.Connect(leaderUrl);
            var error = await Assert.ThrowsAsync<RpcException>(() => leader.MoveLeaderAsync(new MoveLeaderRequest { TargetID = id }, deadline: Soon()));
            Assert.Contains("bad leader transferee", error.Status.Detail);
        }

        await etcd.PromoteAsync(name);
        var promoted = (await etcd.MemberListAsync()).Members.Single(m => m.ID == id);
        Assert.False(promoted.IsLearner);
        Assert.Equal(name, promoted.Name);
        Assert.Equal(4, (await etcd.MemberListAsync()).Members.Count(m => !m.IsLearner));

        using var again = etcd.Connect(learnerUrl);
        var error2 = await Assert.ThrowsAsync<RpcException>(() => again.MemberPromoteAsync(new MemberPromoteRequest { ID = id }, deadline: Soon()));
        Assert.Contains("can only promote a learner member", error2.Status.Detail);
    }

    /// <summary>MoveLeader only on the leader's endpoint; leadership moves to a voter.</summary>
    public static async Task MoveLeaderAsync(EtcdCluster etcd)
    {
        var leaderUrl = await LeaderUrlAsync(etcd);
        var list = await etcd.MemberListAsync();
        var other = list.Members.First(m => !m.IsLearner && !m.ClientURLs.Contains(leaderUrl));
        var followerUrl = etcd.Processes.First(p => p.IsRunning && p.ClientUrl != leaderUrl).ClientUrl;
        using (var follower = etcd.Connect(followerUrl))
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => follower.MoveLeaderAsync(new MoveLeaderRequest { TargetID = other.ID }, deadline: Soon()));
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.Contains("not leader", error.Status.Detail);
        }
        using (var leader = etcd.Connect(leaderUrl))
            await leader.MoveLeaderAsync(new MoveLeaderRequest { TargetID = other.ID }, deadline: Soon());
        await Eventually.TrueAsync(async () =>
        {
            using var client = etcd.Connect(other.ClientURLs[0]);
            return (await client.StatusAsync(new StatusRequest(), deadline: Soon())).Leader == other.ID;
        }, "leadership to move to " + other.Name);
    }

    /// <summary>Remove a member with etcdctl: it disappears, its port stops answering, removing it again is "member not found".</summary>
    public static async Task RemoveMemberAsync(EtcdCluster etcd, string name = "cp-3")
    {
        var list = await etcd.MemberListAsync();
        var target = list.Members.Single(m => m.Name == name);
        var url = target.ClientURLs[0];
        var survivors = etcd.Processes.Where(p => p.IsRunning && p.ClientUrl != url).Select(p => p.ClientUrl).ToList();
        using var etcdctl = Etcdctl.WithMintedCertificate(etcd.Ca);
        var removed = await RetryEtcdctlAsync(etcdctl, survivors, "member", "remove", target.ID.ToString("x"));
        Assert.True(removed.ExitCode == 0, removed.Output);
        Assert.Contains("removed from cluster", removed.Output);

        Assert.DoesNotContain((await etcd.MemberListAsync()).Members, m => m.ID == target.ID);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                using var gone = etcd.Connect(url);
                await gone.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return false;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { return true; }
        }, $"the removed member's port {url} to stop answering");

        // The removed member may have been the leader (MoveLeader can pick it): until the survivors elect
        // a new one, a proposal times out. Retry those; the answer must then be "member not found".
        await Eventually.TrueAsync(async () =>
        {
            using var client = etcd.Connect(survivors.ToArray());
            try
            {
                await client.MemberRemoveAsync(new MemberRemoveRequest { ID = target.ID }, deadline: Soon());
                throw new Xunit.Sdk.XunitException("removing an already removed member must fail");
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { return false; }
            catch (RpcException e)
            {
                Assert.Equal(StatusCode.NotFound, e.StatusCode);
                Assert.Equal("etcdserver: member not found", e.Status.Detail);
                return true;
            }
        }, "removing the removed member again to be refused as not found");
    }

    /// <summary>
    /// A stopped member is unhealthy for etcdctl; removing a running voter while one is down is refused
    /// by the strict reconfiguration check ("unhealthy cluster"); removing the stopped one is allowed.
    /// </summary>
    public static async Task QuorumRulesAsync(EtcdCluster etcd)
    {
        var list = await etcd.MemberListAsync();
        var down = list.Members.Single(m => m.Name == "cp-2");
        var running = list.Members.Single(m => m.Name == "cp-1");
        await etcd.StopMemberAsync("cp-2");
        var endpoints = etcd.Processes.Where(p => p.Name is "cp-0" or "cp-1" or "cp-2").Select(p => p.ClientUrl).ToList();
        using var etcdctl = Etcdctl.WithMintedCertificate(etcd.Ca);
        var health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
        Assert.NotEqual(0, health.ExitCode);
        Assert.Contains(down.ClientURLs[0] + " is unhealthy", health.Output);
        Assert.Equal(2, CountOccurrences(health.Output, "is healthy"));

        var survivors = etcd.Processes.Where(p => p.IsRunning).Select(p => p.ClientUrl).ToArray();
        await Eventually.TrueAsync(async () =>
        {
            using var client = etcd.Connect(survivors);
            try
            {
                await client.MemberRemoveAsync(new MemberRemoveRequest { ID = running.ID }, deadline: Soon());
                throw new Xunit.Sdk.XunitException("removing a running voter while another voter is down must be refused");
            }
            catch (RpcException e) when (e.Status.Detail == "etcdserver: unhealthy cluster") { return true; }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { return false; }
        }, "the strict reconfiguration check to refuse the removal");

        await Eventually.TrueAsync(async () =>
        {
            using var client = etcd.Connect(survivors);
            try { await client.MemberRemoveAsync(new MemberRemoveRequest { ID = down.ID }, deadline: Soon()); return true; }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded) { return false; }
        }, "removal of the stopped member");
        var after = await etcd.MemberListAsync();
        Assert.DoesNotContain(after.Members, m => m.ID == down.ID);
    }

    /// <summary>Every call to etcd here has a deadline: a member that accepts a call and never answers must fail the step, not hang the run.</summary>
    private static DateTime Soon() => DateTime.UtcNow.AddSeconds(10);

    public static async Task<string> LeaderUrlAsync(EtcdCluster etcd)
    {
        string? url = null;
        await Eventually.TrueAsync(async () =>
        {
            foreach (var p in etcd.Processes.Where(p => p.IsRunning))
            {
                using var client = etcd.Connect(p.ClientUrl);
                var status = await client.StatusAsync(new StatusRequest(), deadline: Soon());
                if (status.Leader == status.Header.MemberId) { url = p.ClientUrl; return true; }
            }
            return false;
        }, "a leader");
        return url!;
    }

    private static async Task<(int ExitCode, string Output)> RetryEtcdctlAsync(Etcdctl etcdctl, IEnumerable<string> endpoints, params string[] args)
    {
        (int ExitCode, string Output) result = (-1, "");
        await Eventually.TrueAsync(async () =>
        {
            result = await etcdctl.RunAsync(endpoints, args);
            return result.ExitCode == 0 || !result.Output.Contains("unhealthy cluster");
        }, "etcdctl " + string.Join(' ', args));
        return result;
    }

    private static int CountOccurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
