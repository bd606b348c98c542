using Akka.Actor;
using Akka.Persistence;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.ReadModel;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// The read model saves checkpoints and a restart begins from the last one, folding only the events after it — with
/// the same views as a restart that folds the whole journal. A checkpoint another build saved, one that cannot be
/// read, or one past the journal's last event is not used: the whole journal is folded.
/// </summary>
public sealed class ReadModelCheckpointTests
{
    private const string EveryEvent = "capi-upgrade.service.read-model { checkpoint-every = 1, checkpoint-interval = 0s }";
    private const string Never = "capi-upgrade.service.read-model.checkpoint-every = 0";
    private static readonly ClusterKey[] Clusters = [new("fleet", "c1"), new("fleet", "c2")];

    private static ReadModelProjection Projection(RunningService service) => service.Host.Services.GetRequiredService<ReadModelProjection>();

    private static long JournalRowsAfter(string db, long ordering)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM journal WHERE ordering > {ordering}";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What a person sees of every upgrade: the list and each upgrade's details, as JSON.</summary>
    private static async Task<string> ViewsAsync(RunningService service, params ClusterKey[] clusters)
    {
        await Projection(service).CaughtUp.WaitAsync(TimeSpan.FromSeconds(60));
        var list = await service.CliAsync("upgrade", "list", "-o", "json");
        Assert.True(list.Code == 0, list.Err);
        var shows = new List<string> { list.Out };
        foreach (var cluster in clusters.Length > 0 ? clusters : Clusters)
        {
            var show = await service.CliAsync("upgrade", "show", cluster.EntityId, "-o", "json");
            Assert.True(show.Code == 0, show.Err);
            shows.Add(show.Out);
        }
        return string.Join("\n", shows);
    }

    [Fact]
    public async Task A_restart_begins_from_the_last_checkpoint_and_shows_what_a_full_fold_shows()
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        var db = Path.Combine(directory, "journal.db");
        string before;
        long saved;
        await using (var service = await RunningService.StartAsync(directory: directory, hocon: EveryEvent))
        {
            Assert.Null(Projection(service).RestoredFrom);
            foreach (var cluster in Clusters)
                await service.StartUpgradeAsync(cluster, "u-" + cluster.Name);
            // Without a kubeconfig the upgrades pause at their first look at the cluster.
            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list", "--phase", "Paused")).Out.Split('\n').Count(l => l.Contains("fleet/c")) == 2,
                TimeSpan.FromSeconds(30), "both upgrades paused in the read model");
            var abort = await service.CliAsync("upgrade", "abort", "fleet/c2");
            Assert.True(abort.Code == 0, abort.Err);
            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "show", "fleet/c2")).Out.Contains("Aborted"), TimeSpan.FromSeconds(30), "c2 aborted in the read model");
            before = await ViewsAsync(service);
            await Eventually.TrueAsync(() => Task.FromResult(Projection(service).LastCheckpoint is not null), TimeSpan.FromSeconds(30), "a checkpoint saved");
            saved = Projection(service).LastCheckpoint!.Value;
        }

        await using (var restarted = await RunningService.StartAsync(directory: directory, hocon: EveryEvent))
        {
            var after = await ViewsAsync(restarted);
            var projection = Projection(restarted);
            // It began from a checkpoint this service saved (the last, or the one before when the last was still
            // being written at the stop) and read only the journal rows after it, not the whole journal.
            Assert.True(projection.RestoredFrom is not null, restarted.Logs.All);
            Assert.InRange(projection.RestoredFrom!.Value, 1, saved);
            Assert.True(projection.FoldedSinceStart <= JournalRowsAfter(db, projection.RestoredFrom.Value),
                $"{projection.FoldedSinceStart} events read after the checkpoint at {projection.RestoredFrom}");
            Assert.True(JournalRowsAfter(db, 0) > projection.FoldedSinceStart);
            Assert.Contains("restored from its checkpoint at journal offset", restarted.Logs.All);
            Assert.Equal(before, after);

            // Live events fold on top of the restored views.
            var abort = await restarted.CliAsync("upgrade", "abort", "fleet/c1");
            Assert.True(abort.Code == 0, abort.Err);
            await Eventually.TrueAsync(async () => (await restarted.CliAsync("upgrade", "show", "fleet/c1")).Out.Contains("Aborted"), TimeSpan.FromSeconds(30), "c1 aborted in the read model");
            before = await ViewsAsync(restarted);
        }

        // The same journal folded whole, without a checkpoint: the same views.
        await using (var folded = await RunningService.StartAsync(directory: directory, hocon: Never))
        {
            var after = await ViewsAsync(folded);
            Assert.Null(Projection(folded).RestoredFrom);
            Assert.Equal(before, after);
        }
    }

    public static TheoryData<string> Unusable => new() { "another build", "unreadable", "past the journal" };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task A_checkpoint_that_cannot_be_used_is_left_and_the_whole_journal_folded(string kind)
    {
        var (checkpoint, logged) = kind switch
        {
            // As an earlier build would have left it: a checkpoint past every event, with nothing in its views.
            "another build" => (new ReadModelCheckpoint("another-build", 1, DateTimeOffset.UtcNow, ReadModelCheckpoint.Write(new FleetViewState([], [], 0), [])),
                "was saved by another build of the service"),
            "unreadable" => (new ReadModelCheckpoint(ReadModelCheckpoint.CurrentBuild, 1, DateTimeOffset.UtcNow, [1, 2, 3]), "cannot be used"),
            // A journal replaced under its checkpoint: the checkpoint's offset is past its last event.
            _ => (new ReadModelCheckpoint(ReadModelCheckpoint.CurrentBuild, 1_000_000, DateTimeOffset.UtcNow, ReadModelCheckpoint.Write(new FleetViewState([], [], 0), [])),
                "past the journal's last event"),
        };
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        string before;
        await using (var service = await RunningService.StartAsync(directory: directory, hocon: Never))
        {
            await service.StartUpgradeAsync(Clusters[0], "u-1");
            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list")).Out.Contains("Paused"), TimeSpan.FromSeconds(30), "the upgrade paused in the read model");
            before = await ViewsAsync(service, Clusters[0]);
            var system = service.Host.Services.GetRequiredService<ActorSystem>();
            var reply = await Persistence.Instance.Apply(system).SnapshotStoreFor(null)
                .Ask<object>(new SaveSnapshot(new SnapshotMetadata(ReadModelCheckpoint.PersistenceId, 0, DateTime.UtcNow), checkpoint), TimeSpan.FromSeconds(30));
            Assert.IsType<SaveSnapshotSuccess>(reply);
        }

        await using (var restarted = await RunningService.StartAsync(directory: directory, hocon: EveryEvent))
        {
            var after = await ViewsAsync(restarted, Clusters[0]);
            Assert.Null(Projection(restarted).RestoredFrom);
            Assert.Contains(logged, restarted.Logs.All);
            Assert.Equal(before, after);
        }
    }
}
