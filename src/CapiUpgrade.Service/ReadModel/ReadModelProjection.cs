using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.ReadModel;

/// <summary>Folds the journal's events of its kind (it ignores the others) into the <see cref="FleetView"/>.</summary>
public interface IJournalProjector
{
    /// <param name="live">False while replaying what was stored before the start, true for new events.</param>
    void Project(EventEnvelope envelope, FleetView view, bool live);
}

/// <summary>
/// Feeds the read model from the whole journal in its order (Akka.Persistence.Sql.Query's all-events
/// query): first every stored event (so a restarted service answers with the full history), then live
/// events, each to every projector. A broken query restarts from the last offset it folded.
/// </summary>
/// <remarks>
/// Not by tag: with this plugin and linq2db, every read of a tagged journal (a tag query, an actor's
/// recovery) aggregates each row's tags with a subquery that scans the whole tag table, so reading grew
/// with the square of the history — a restarted service took 150 s to fold one 500-cluster campaign's 34,000
/// events. Events are no longer tagged (<see cref="Actors.Persistence.EnginePersistenceExtensions.WithSqlJournal"/>).
/// </remarks>
public sealed class ReadModelProjection
{
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every event stored before the start has been folded.</summary>
    public Task CaughtUp => _caughtUp.Task;

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
        while (!terminated.IsCompleted)
        {
            TimeSpan wait;
            try
            {
                journal ??= PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
                var source = caughtUp ? journal.AllEvents(offset) : journal.CurrentAllEvents(offset);
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
                    retry.Folded();
                }, materializer);
                if (!caughtUp)
                {
                    caughtUp = true;
                    _caughtUp.TrySetResult();
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
