using CapiUpgrade.Kubernetes.Etcd;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

public sealed class EtcdQuorumTests
{
    private static EtcdMemberHealth Member(ulong id, bool healthy = true, bool learner = false) =>
        new(new EtcdMember(id, $"m-{id}", [], [$"https://127.0.0.1:{2000 + id}"], learner), $"https://127.0.0.1:{2000 + id}", healthy, false, 1, 1, 1, healthy ? null : "down");

    [Theory]
    [InlineData(3, 0, true)]   // 3 healthy voters: 2 others remain ≥ quorum(2) = 2
    [InlineData(3, 1, false)]  // one other unhealthy: 1 < 2
    [InlineData(5, 1, true)]   // 5 voters, 1 other down: 3 ≥ quorum(4) = 3
    [InlineData(5, 2, false)]  // 2 others down: 2 < 3
    [InlineData(4, 1, true)]   // 4 voters, 1 other down: 2 ≥ quorum(3) = 2
    [InlineData(2, 0, true)]   // 2 voters: 1 ≥ quorum(1) = 1
    [InlineData(2, 1, false)]
    public void Removing_a_voter_needs_a_healthy_quorum_of_the_remaining_voters(int voters, int unhealthyOthers, bool safe)
    {
        var members = Enumerable.Range(1, voters).Select(i => Member((ulong)i, healthy: !(i > 1 && i <= 1 + unhealthyOthers))).ToList();
        var answer = EtcdQuorum.CanRemoveMember(members, 1);
        Assert.Equal(safe, answer.Safe);
        Assert.Equal(voters, answer.Voters);
        Assert.Equal(voters - 1 - unhealthyOthers, answer.HealthyVotersOtherThanMember);
        Assert.Equal((voters - 1) / 2 + 1, answer.Required);
    }

    [Fact]
    public void Learners_never_count_towards_quorum()
    {
        // 3 voters (one of them X) + 1 healthy learner; one other voter down: the learner cannot make up for it.
        var members = new[] { Member(1), Member(2, healthy: false), Member(3), Member(4, learner: true) };
        var answer = EtcdQuorum.CanRemoveMember(members, 1);
        Assert.False(answer.Safe);
        Assert.Equal(3, answer.Voters);
        Assert.Equal(1, answer.HealthyVotersOtherThanMember);
        Assert.Contains("fewer than the quorum", answer.Reason);
    }

    [Fact]
    public void Removing_the_only_voter_is_never_safe()
    {
        var answer = EtcdQuorum.CanRemoveMember([Member(1), Member(2, learner: true)], 1);
        Assert.False(answer.Safe);
        Assert.Contains("only voter", answer.Reason);
    }

    [Fact]
    public void Removing_a_learner_is_safe_while_the_voters_have_quorum()
    {
        var members = new[] { Member(1), Member(2), Member(3, healthy: false), Member(9, learner: true) };
        var answer = EtcdQuorum.CanRemoveMember(members, 9);
        Assert.True(answer.Safe);
        Assert.True(answer.IsLearner);
        Assert.Equal(2, answer.Required);

        var noQuorum = new[] { Member(1), Member(2, healthy: false), Member(3, healthy: false), Member(9, learner: true) };
        Assert.False(EtcdQuorum.CanRemoveMember(noQuorum, 9).Safe);
    }

    [Fact]
    public void A_member_that_is_not_listed_is_already_removed()
    {
        var answer = EtcdQuorum.CanRemoveMember([Member(1), Member(2), Member(3)], 42);
        Assert.True(answer.Safe);
        Assert.False(answer.IsMember);
        Assert.Contains("nothing to remove", answer.Reason);
    }

    [Fact]
    public void Removing_an_unhealthy_voter_counts_only_the_others()
    {
        // The stale member itself is down: removing it leaves 2 healthy of 2, quorum 2.
        var answer = EtcdQuorum.CanRemoveMember([Member(1, healthy: false), Member(2), Member(3)], 1);
        Assert.True(answer.Safe);
        Assert.Equal(2, answer.HealthyVotersOtherThanMember);
    }
}
