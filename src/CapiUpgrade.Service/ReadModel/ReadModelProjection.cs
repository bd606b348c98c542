using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using CapiUpgrade.Actors.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.ReadModel;

/// <summary>Folds the journal's events of its kind (it ignores the others) into the <see cref="FleetView"/>.</summary>
public interface IJournalProjector
{
    /// <param name="live">False while replaying what was stored before the start, true for new events.</param>
    void Project(EventEnvelope envelope, FleetView view, bool live);

    /// <summary>
    /// What this projector keeps besides the view, for a checkpoint: a copy later events do not change, written with
    /// System.Text.Json in the background (null: nothing).
    /// </summary>
    object? ExportState() => null;

    /// <summary>
    /// Takes back what <see cref="ExportState"/> gave, from a checkpoint whose views <paramref name="view"/> now holds,
    /// before any event is folded (an empty JSON object: nothing, the state of a projector that folded no event).
    /// </summary>
    void ImportState(System.Text.Json.JsonElement state, FleetView view)
    {
    }
}

/// <summary>
/// Feeds the read model from the journal in its order (Akka.Persistence.Sql.Query's events-by-tag query): first
/// every stored event (so a restarted service answers with the full history), then live events, each to every
/// projector. A broken query restarts from the last offset it folded. Every
/// <see cref="ReadModelCheckpointSettings.EveryEvents"/> events (at most once per
/// <see cref="ReadModelCheckpointSettings.MinInterval"/>) the views and the projectors' states are saved as a
/// <see cref="ReadModelCheckpoint"/>; a start begins from it and folds only the events after it.
/// </summary>
/// <remarks>
/// By the <see cref="JournalTags.Fleet"/> tag, every upgrade and campaign event in journal order: the views join
/// upgrades and campaigns, so one ordered stream with one offset is what a checkpoint records. The tags sit in the
/// journal row (<see cref="Actors.Persistence.EnginePersistenceExtensions.WithSqlJournal"/>): a tag query scans the
/// journal from its offset, as reading all events would, without the plugin's tag table.
/// </remarks>
public sealed class ReadModelProjection(ReadModelCheckpointSettings checkpointSettings)
{
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _foldedSinceStart;

    /// <summary>Completes once every event stored before the start has been folded.</summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>The journal offset of the checkpoint this start began from, null when it folded the whole journal.</summary>
    public long? RestoredFrom { get; private set; }

    /// <summary>Journal events read since the start (after the checkpoint, when there was one).</summary>
    public long FoldedSinceStart => Interlocked.Read(ref _foldedSinceStart);

    /// <summary>The journal offset of the last checkpoint this run saved (or began from).</summary>
    public long? LastCheckpoint { get; private set; }

    public void Start(ActorSystem system, FleetView view, IReadOnlyList<IJournalProjector> projectors, ILogger logger)
    {
        var materializer = system.Materializer();
        if (projectors.Count == 0)
        {
            _caughtUp.TrySetResult();
            return;
        }
        // Off the startup path: creating the read journal waits for the database (tables on first use).
        _ = Task.Run(() => RunAsync(system, materializer, view, projectors, logger, system.WhenTerminated));
    }

    private async Task RunAsync(ActorSystem system, IMaterializer materializer, FleetView view, IReadOnlyList<IJournalProjector> projectors, ILogger logger, Task terminated)
    {
        SqlReadJournal? journal = null;
        Offset offset = Offset.NoOffset();
        var caughtUp = false;
        var retry = new ProjectionRetry();
        var checkpoints = new ReadModelCheckpoints(system, logger);
        var checkpointDue = new CheckpointClock(checkpointSettings);
        var restoring = checkpointSettings.Enabled;
        while (!terminated.IsCompleted)
        {
            TimeSpan wait;
            try
            {
                journal ??= PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
                if (restoring)
                {
                    // Once: a checkpoint that cannot be used is not tried again; the whole journal is folded instead.
                    restoring = false;
                    if (await RestoreAsync(checkpoints, journal, materializer, view, projectors, logger) is { } restored)
                        offset = Offset.Sequence(restored);
                }
                var source = caughtUp ? journal.EventsByTag(JournalTags.Fleet, offset) : journal.CurrentEventsByTag(JournalTags.Fleet, offset);
                await source.RunForeach(envelope =>
                {
                    foreach (var projector in projectors)
                    {
                        try
                        {
                            projector.Project(envelope, view, caughtUp);
                        }
                        catch (Exception e)
                        {
                            logger.LogWarning(e, "read model: cannot fold event {Type} of {PersistenceId} #{SequenceNr}; skipped",
                                envelope.Event?.GetType().Name, envelope.PersistenceId, envelope.SequenceNr);
                        }
                    }
                    offset = envelope.Offset;
                    Interlocked.Increment(ref _foldedSinceStart);
                    retry.Folded();
                    if (checkpointDue.Folded())
                        SaveCheckpoint();
                }, materializer);
                if (!caughtUp)
                {
                    // The next start should not fold again what this one just did, however fast it went.
                    if (checkpointDue.Owed)
                        SaveCheckpoint();
                    caughtUp = true;
                    _caughtUp.TrySetResult();
                    logger.LogInformation("read model: caught up with the journal ({Folded} events read{From})", FoldedSinceStart,
                        RestoredFrom is { } from ? $" after the checkpoint at offset {from}" : "");
                    continue;
                }
                // A live query does not end by itself; one that did is run again from its offset shortly.
                wait = ProjectionRetry.FirstBackoff;
            }
            catch (Exception e) when (!terminated.IsCompleted)
            {
                (wait, var warn) = retry.Failed();
                if (warn)
                    logger.LogWarning(e, "read model: the journal query failed {Failures} times in a row; retrying from offset {Offset} in {Delay}", retry.Failures, offset, wait);
            }
            catch (Exception)
            {
                return;
            }
            await Task.WhenAny(Task.Delay(wait), terminated);
        }

        void SaveCheckpoint()
        {
            if (checkpoints.Saving || offset is not Sequence at) return;
            checkpoints.Save(at.Value, view.Export(), projectors.ToDictionary(ReadModelCheckpoint.KeyOf, p => p.ExportState(), StringComparer.Ordinal));
            checkpointDue.Saved();
            LastCheckpoint = at.Value;
        }
    }

    /// <summary>
    /// Takes the saved checkpoint into the view and the projectors when this build wrote it and the journal still
    /// reaches its offset (a journal emptied or replaced under it would not); returns its offset, or null to fold
    /// the whole journal.
    /// </summary>
    private async Task<long?> RestoreAsync(ReadModelCheckpoints checkpoints, SqlReadJournal journal, IMaterializer materializer,
        FleetView view, IReadOnlyList<IJournalProjector> projectors, ILogger logger)
    {
        if (await checkpoints.LoadAsync() is not { } checkpoint) return null;
        if (checkpoint.Build != ReadModelCheckpoint.CurrentBuild)
        {
            logger.LogInformation("read model: its checkpoint (offset {Ordering}, {SavedAt:u}) was saved by another build of the service; folding the whole journal", checkpoint.Ordering, checkpoint.SavedAt);
            return null;
        }
        try
        {
            var reached = await journal.CurrentEventsByTag(JournalTags.Fleet, Offset.Sequence(checkpoint.Ordering - 1)).Take(1)
                .RunWith(Sink.FirstOrDefault<EventEnvelope>(), materializer);
            if (reached?.Offset is not Sequence { } next || next.Value < checkpoint.Ordering)
            {
                logger.LogWarning("read model: its checkpoint is at journal offset {Ordering}, past the journal's last event; folding the whole journal", checkpoint.Ordering);
                return null;
            }
            var (views, states) = checkpoint.Open();
            view.Import(views);
            foreach (var projector in projectors)
            {
                if (states.TryGetValue(ReadModelCheckpoint.KeyOf(projector), out var state) && state.ValueKind != System.Text.Json.JsonValueKind.Null)
                    projector.ImportState(state, view);
            }
            logger.LogInformation("read model: restored from its checkpoint at journal offset {Ordering} ({SavedAt:u}: {Upgrades} upgrades, {Campaigns} campaigns); folding the events after it",
                checkpoint.Ordering, checkpoint.SavedAt, views.Upgrades.Count, views.Campaigns.Count);
        }
        catch (Exception e)
        {
            // Whatever part was taken in is dropped: the whole journal is folded from nothing.
            logger.LogWarning(e, "read model: its checkpoint at journal offset {Ordering} cannot be used ({Error}); folding the whole journal", checkpoint.Ordering, e.Message);
            view.Import(new FleetViewState([], [], 0));
            using var nothing = System.Text.Json.JsonDocument.Parse("{}");
            foreach (var projector in projectors) projector.ImportState(nothing.RootElement, view);
            return null;
        }
        RestoredFrom = LastCheckpoint = checkpoint.Ordering;
        return checkpoint.Ordering;
    }

    /// <summary>When a checkpoint is due: <see cref="ReadModelCheckpointSettings.EveryEvents"/> events folded since the last, and not sooner than its interval.</summary>
    private sealed class CheckpointClock(ReadModelCheckpointSettings settings)
    {
        private long _since;
        private long _lastAt = Environment.TickCount64;

        /// <summary>One more event folded; true when a checkpoint is due.</summary>
        public bool Folded()
        {
            _since++;
            return Owed && Environment.TickCount64 - _lastAt >= settings.MinInterval.TotalMilliseconds;
        }

        /// <summary>At least <see cref="ReadModelCheckpointSettings.EveryEvents"/> events folded since the last checkpoint.</summary>
        public bool Owed => settings.Enabled && _since >= settings.EveryEvents;

        public void Saved() => (_since, _lastAt) = (0, Environment.TickCount64);
    }
}

public static class ReadModelWiring
{
    public static AkkaConfigurationBuilder WithReadModel(this AkkaConfigurationBuilder akka, IServiceProvider services) =>
        akka.AddStartup((system, _) =>
        {
            var projection = services.GetRequiredService<ReadModelProjection>();
            projection.Start(system, services.GetRequiredService<FleetView>(), services.GetServices<IJournalProjector>().ToList(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger<ReadModelProjection>());
        });
}
