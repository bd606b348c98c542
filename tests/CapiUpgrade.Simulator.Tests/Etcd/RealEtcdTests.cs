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
        await etcd.BootstrapAsync(MembershipScenarios.InitialMembers);

        await MembershipScenarios.ThreeHealthyVotersAsync(etcd);
        await MembershipScenarios.JoinAsLearnerThenPromoteAsync(etcd);
        await MembershipScenarios.MoveLeaderAsync(etcd);
        await MembershipScenarios.RemoveMemberAsync(etcd);
        await MembershipScenarios.QuorumRulesAsync(etcd);
    }
}
