using System.IO.Compression;
using System.Text.Json;
using Akka.Actor;
using Akka.Persistence;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.ReadModel;

/// <summary>
/// How often the read model saves a checkpoint (<c>capi-upgrade.service.read-model.checkpoint-every</c> events,
/// at most once per <c>checkpoint-interval</c>); 0 events: never.
/// </summary>
public sealed record ReadModelCheckpointSettings(int EveryEvents, TimeSpan MinInterval)
{
    public static readonly ReadModelCheckpointSettings Default = new(1000, TimeSpan.FromMinutes(1));

    public bool Enabled => EveryEvents > 0;
}

/// <summary>
/// The read model as it was once every journal event up to <see cref="Ordering"/> (the journal's global order) was
/// folded: the views and each projector's own state by projector type, as System.Text.Json text, gzipped (<see cref="Body"/>:
/// ~1 MB for 500 upgrades with their last 50 events each, 9 MB as text).
/// Used by the build that saved it only (<see cref="Build"/>): another build may fold events differently, so it
/// folds the whole journal again.
/// </summary>
/// <remarks>
/// Text, not objects for the snapshot store's serializer (Json.NET with type names and references): that one names
/// each list's runtime type (a collection expression's is compiler-generated and cannot be created again) and
/// cannot keep references into immutable dictionaries, which the campaign state is made of.
/// </remarks>
public sealed record ReadModelCheckpoint(string Build, long Ordering, DateTimeOffset SavedAt, byte[] Body)
{
    /// <summary>How the views and the projectors' states are written and read.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private sealed record Written(FleetViewState Views, Dictionary<string, object?> Projectors);

    private sealed record Read(FleetViewState Views, Dictionary<string, JsonElement> Projectors);

    /// <summary>The body of a checkpoint: the views and what each projector exported (<see cref="IJournalProjector.ExportState"/>).</summary>
    public static byte[] Write(FleetViewState views, Dictionary<string, object?> projectors)
    {
        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            JsonSerializer.Serialize(zip, new Written(views, projectors), Json);
        return buffer.ToArray();
    }

    /// <summary>The views and each projector's state, as <see cref="Write"/> wrote them.</summary>
    public (FleetViewState Views, IReadOnlyDictionary<string, JsonElement> Projectors) Open()
    {
        using var zip = new GZipStream(new MemoryStream(Body), CompressionMode.Decompress);
        var read = JsonSerializer.Deserialize<Read>(zip, Json) ?? throw new JsonException("the checkpoint is empty");
        return (read.Views, read.Projectors);
    }

    /// <summary>Replaces a projector's folded states by the ones it exported into a checkpoint (<paramref name="state"/>).</summary>
    public static void Restore<TState>(Dictionary<string, TState> states, JsonElement state)
    {
        states.Clear();
        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, TState>>(state, Json) ?? [])
            states[key] = value;
    }

    /// <summary>The snapshot store's key for the checkpoint; it is saved at sequence number 0 and replaces the previous one.</summary>
    public const string PersistenceId = "read-model/checkpoint";

    /// <summary>This build of the code that folds events: the module version ids of the service's and the domain's assemblies.</summary>
    public static string CurrentBuild { get; } = string.Join(",",
        new[] { typeof(ReadModelCheckpoint).Assembly, typeof(Core.Upgrades.ClusterUpgradeState).Assembly, typeof(Actors.Protocol.ClusterUpgradeReplies).Assembly }
            .Select(a => a.ManifestModule.ModuleVersionId.ToString("N")));

    public static string KeyOf(IJournalProjector projector) => projector.GetType().FullName ?? projector.GetType().Name;
}

/// <summary>
/// Loads and saves the <see cref="ReadModelCheckpoint"/> through the service's snapshot store (the journal's
/// database: a SQLite file beside the journal, or PostgreSQL). A save runs in the background; one at a time.
/// </summary>
internal sealed class ReadModelCheckpoints(ActorSystem system, ILogger logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private Task _saving = Task.CompletedTask;

    private IActorRef Store => Persistence.Instance.Apply(system).SnapshotStoreFor(null);

    /// <summary>The saved checkpoint, or null when there is none or it cannot be read (the read model then folds the whole journal).</summary>
    public async Task<ReadModelCheckpoint?> LoadAsync()
    {
        try
        {
            var reply = await Store.Ask<object>(new LoadSnapshot(ReadModelCheckpoint.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), Timeout);
            switch (reply)
            {
                case LoadSnapshotResult { Snapshot.Snapshot: ReadModelCheckpoint checkpoint }:
                    return checkpoint;
                case LoadSnapshotFailed failed:
                    logger.LogWarning(failed.Cause, "read model: its checkpoint cannot be read ({Error}); folding the whole journal", Innermost(failed.Cause).Message);
                    return null;
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            logger.LogWarning(e, "read model: the snapshot store did not answer for its checkpoint within {Timeout}; folding the whole journal", Timeout);
            return null;
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    /// <summary>True while the previous save has not finished.</summary>
    public bool Saving => !_saving.IsCompleted;

    /// <summary>
    /// Saves the read model at <paramref name="ordering"/> in the background (the views are written out there: they
    /// and the projectors' exported states are values later events do not change), replacing the previous checkpoint.
    /// </summary>
    public void Save(long ordering, FleetViewState views, Dictionary<string, object?> projectors)
    {
        _saving = Task.Run(() => SaveAsync(ordering, views, projectors));
    }

    /// <summary>Writes and stores one checkpoint; every failure (writing it out included) is logged, never left in the task.</summary>
    private async Task SaveAsync(long ordering, FleetViewState views, Dictionary<string, object?> projectors)
    {
        try
        {
            var checkpoint = new ReadModelCheckpoint(ReadModelCheckpoint.CurrentBuild, ordering, DateTimeOffset.UtcNow, ReadModelCheckpoint.Write(views, projectors));
            var reply = await Store.Ask<object>(new SaveSnapshot(new SnapshotMetadata(ReadModelCheckpoint.PersistenceId, 0, checkpoint.SavedAt.UtcDateTime), checkpoint), Timeout);
            if (reply is SaveSnapshotFailure failure)
                logger.LogWarning(failure.Cause, "read model: checkpoint at journal offset {Ordering} not saved; the next one is tried after the next events", ordering);
            else
                logger.LogInformation("read model: checkpoint saved at journal offset {Ordering}", ordering);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            logger.LogWarning(e, "read model: checkpoint at journal offset {Ordering} not saved in {Timeout}", ordering, Timeout);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "read model: checkpoint at journal offset {Ordering} not saved ({Error}); the next one is tried after the next events", ordering, e.Message);
        }
    }
}
