using System.Diagnostics;
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

    [Fact]
    public async Task The_etcd_of_a_killed_simulator_is_stopped_and_its_data_removed_by_the_next_one()
    {
        var root = Path.Combine(Path.GetTempPath(), "capi-sim-etcd-sweep-" + Guid.NewGuid().ToString("N")[..8]);
        var ca = CertificateAuthority.Create("etcd-ca");
        try
        {
            await using var orphaned = new RealEtcdCluster("default/orphaned", ca, root);
            await orphaned.BootstrapAsync(["m-0"]).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(orphaned.Processes.Single().IsRunning);
            // Its simulator "was killed": the owner file names a process that has exited.
            using (var gone = Process.Start("true")!)
            {
                await gone.WaitForExitAsync();
                await File.WriteAllTextAsync(Path.Combine(orphaned.Directory_, RealEtcdCluster.OwnerFile), $"{gone.Id} 0");
            }
            await using var living = new RealEtcdCluster("default/living", ca, root);
            var recentWithoutOwner = Directory.CreateDirectory(Path.Combine(root, "default-recent-0000")).FullName;
            var oldWithoutOwner = Directory.CreateDirectory(Path.Combine(root, "default-old-0000")).FullName;
            Directory.SetLastWriteTimeUtc(oldWithoutOwner, DateTime.UtcNow.AddHours(-1));

            await using var next = new RealEtcdCluster("default/next", ca, root);

            Assert.False(Directory.Exists(orphaned.Directory_), "the killed simulator's etcd data is deleted");
            Assert.False(Directory.Exists(oldWithoutOwner), "an old directory nobody owns or uses is deleted");
            Assert.True(Directory.Exists(living.Directory_), "a living simulator's directory is left alone");
            Assert.True(Directory.Exists(recentWithoutOwner), "a directory being created (no owner file yet) is left alone");
            Assert.True(Directory.Exists(next.Directory_));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (orphaned.Processes.Single().IsRunning && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.False(orphaned.Processes.Single().IsRunning, "the killed simulator's etcd process is stopped");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
