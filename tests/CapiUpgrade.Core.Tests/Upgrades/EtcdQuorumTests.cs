using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Core.Tests.Upgrades;

public class EtcdQuorumTests
{
    private static ObservedEtcdMember Voter(string name, bool healthy = true) => new(Id(name), name, false, healthy);
    private static ObservedEtcdMember Silent(string name) => new(Id(name), name, false, false, TimedOut: true);
    private static ObservedEtcdMember Learner(string name, bool healthy = true) => new(Id(name), name, true, healthy);
    private static ulong Id(string name) => (ulong)name.Length * 1000 + name[0];

    private static MemberRemovalSafety CanRemove(ObservedEtcdMember[] members, string name) => EtcdQuorum.CanRemoveMember(members, Id(name));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(5, 3)]
    public void Quorum_is_a_majority_of_voters(int voters, int quorum) => Assert.Equal(quorum, EtcdQuorum.Quorum(voters));

    [Fact]
    public void Removing_a_voter_of_four_healthy_is_safe() =>
        Assert.True(CanRemove(new[] { Voter("a"), Voter("b"), Voter("c"), Voter("d") }, "a").Safe);

    [Fact]
    public void Learners_do_not_count_toward_quorum()
    {
        // 2 voters + a healthy learner: removing a voter leaves 1 voter, which is quorum of 1 — but
        // with the other voter unhealthy, the learner must not rescue it.
        var members = new[] { Voter("a"), Voter("b", healthy: false), Learner("new") };
        var answer = CanRemove(members, "a");
        Assert.False(answer.Safe);
        Assert.Equal(2, answer.Voters);
        Assert.Equal(0, answer.HealthyVotersOtherThanMember);
        Assert.Contains("fewer than the quorum 1 of the remaining 1", answer.Reason);
    }

    [Fact]
    public void Removing_the_only_voter_is_never_safe() =>
        Assert.False(CanRemove(new[] { Voter("a"), Learner("b") }, "a").Safe);

    [Fact]
    public void Removing_an_unhealthy_voter_of_three_when_the_others_are_healthy_is_safe() =>
        Assert.True(CanRemove(new[] { Voter("a", false), Voter("b"), Voter("c") }, "a").Safe);

    [Fact]
    public void Removing_a_healthy_voter_when_another_is_down_is_refused_with_numbers()
    {
        var answer = CanRemove(new[] { Voter("a"), Voter("b", false), Voter("c") }, "a");
        // 2 voters left, 1 healthy, quorum of 2 is 2.
        Assert.False(answer.Safe);
        Assert.Contains("would leave 1 healthy voters, fewer than the quorum 2 of the remaining 2", answer.Reason);
    }

    [Fact]
    public void A_refusal_because_voters_did_not_answer_in_time_names_them_as_silent_not_unhealthy()
    {
        var members = new[] { Voter("old"), Silent("b"), Silent("c"), Voter("new") };

        var answer = CanRemove(members, "old");

        Assert.False(answer.Safe);
        Assert.Contains("b, c did not answer in time: slow or unreachable, not reported unhealthy", answer.Reason);
        Assert.True(EtcdQuorum.OnlySilentVotersBlockRemoval(members, Id("old")));
    }

    [Fact]
    public void A_voter_that_reported_a_problem_is_not_waited_for_as_a_silent_one()
    {
        // b reported unhealthy; c only answered late: even with c counted healthy, one healthy voter of three is no quorum of 3.
        var members = new[] { Voter("old"), Voter("b", false), Silent("c"), Voter("new", false) };

        Assert.False(CanRemove(members, "old").Safe);
        Assert.False(EtcdQuorum.OnlySilentVotersBlockRemoval(members, Id("old")));
        Assert.False(EtcdQuorum.OnlySilentVotersBlockRemoval([Voter("old"), Voter("b"), Voter("c"), Voter("new")], Id("old")));
    }

    [Fact]
    public void Removing_an_absent_member_is_nothing_to_do()
    {
        var answer = CanRemove(new[] { Voter("a"), Voter("b"), Voter("c") }, "gone");
        Assert.True(answer.Safe);
        Assert.False(answer.IsMember);
        Assert.Contains("nothing to remove", answer.Reason);
    }

    [Fact]
    public void Healthy_quorum_ignores_learners()
    {
        Assert.True(EtcdQuorum.HasHealthyQuorum(new[] { Voter("a"), Voter("b"), Voter("c", false), Learner("d", false) }));
        Assert.False(EtcdQuorum.HasHealthyQuorum(new[] { Voter("a"), Voter("b", false), Voter("c", false), Learner("d") }));
    }
}
