using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Simulator.Tests.Etcd;

/// <summary>Real etcd processes: few tests, one collection, never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealEtcdCollection
{
    public const string Name = "real etcd";
}

[Collection(RealEtcdCollection.Name)]
public sealed class RealEtcdTests
{
    [Fact]
    public async Task Membership_scenarios_hold_on_real_tls_etcd()
    {
        await using var etcd = new RealEtcdCluster("default/real", CertificateAuthority.Create("etcd-ca"));
        await Step("bootstrap", () => etcd.BootstrapAsync(MembershipScenarios.InitialMembers));

        await Step("three healthy voters", () => MembershipScenarios.ThreeHealthyVotersAsync(etcd));
        await Step("join as learner then promote", () => MembershipScenarios.JoinAsLearnerThenPromoteAsync(etcd));
        await Step("move leader", () => MembershipScenarios.MoveLeaderAsync(etcd));
        await Step("remove member", () => MembershipScenarios.RemoveMemberAsync(etcd));
        await Step("quorum rules", () => MembershipScenarios.QuorumRulesAsync(etcd));

        async Task Step(string name, Func<Task> step)
        {
            // A step that hangs fails with its name and where the etcd logs are, instead of stalling the whole run.
            var running = step();
            try { await running.WaitAsync(TimeSpan.FromMinutes(3)); }
            catch (TimeoutException) when (!running.IsCompleted)
            {
                throw new Xunit.Sdk.XunitException($"real etcd step '{name}' did not finish within 3 minutes (etcd logs in {etcd.Directory_})");
            }
        }
    }
}
