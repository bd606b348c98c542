using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

/// <summary>Real etcd processes: a few tests, one collection, never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealEtcdCollection
{
    public const string Name = "real etcd";
}

[Collection(RealEtcdCollection.Name)]
public sealed class RealEtcdAdapterTests
{
    [Fact]
    public async Task The_adapter_manages_a_real_tls_etcd_cluster()
    {
        Assert.True(RealEtcdCluster.IsAvailable(), "etcd is not on PATH: install Debian etcd-server (apt-get install -y etcd-server etcd-client)");
        await using var etcd = new RealEtcdCluster("default/real", CertificateAuthority.Create("etcd-ca", TestKeys.Pool));
        await etcd.BootstrapAsync(EtcdAdapterScenarios.InitialMembers);
        await using var adapter = EtcdAdapterScenarios.Connect(etcd);

        await EtcdAdapterScenarios.ListsThreeHealthyVotersWithOneLeaderAsync(adapter);
        await EtcdAdapterScenarios.MovesLeadershipAwayFromTheLeaderAsync(adapter);
        await EtcdAdapterScenarios.ReportsAnAlarmFromTheMembersStatusAsync(etcd, adapter, "m-2");
        await EtcdAdapterScenarios.JoinsALearnerThatIsPromotedAsync(etcd, adapter);
        await EtcdAdapterScenarios.RemovesAStoppedMemberOnceAsync(etcd, adapter, "m-0");
        await EtcdAdapterScenarios.AddsAndRemovesAnUnstartedLearnerAsync(adapter, "https://127.0.0.1:1");
    }
}
