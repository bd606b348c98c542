using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.ReadModel;

/// <summary>Folds the events of one journal tag into the <see cref="FleetView"/>.</summary>
public interface IJournalProjector
{
    string Tag { get; }
    /// <param name="live">False while replaying what was stored before the start, true for new events.</param>
    void Project(EventEnvelope envelope, FleetView view, bool live);
}

/// <summary>
/// Feeds the read model from the journal by tag (Akka.Persistence.Sql.Query): first every stored
/// event (so a restarted service answers with the full history), then live events. A broken query
/// restarts from the last offset it folded.
/// </summary>
public sealed class ReadModelProjection
{
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    /// <summary>Completes once every event stored before the start has been folded.</summary>
    public Task CaughtUp => _caughtUp.Task;

    public void Start(ActorSystem system, FleetView view, IReadOnlyList<IJournalProjector> projectors, ILogger logger)
    {
        var materializer = system.Materializer();
        _pending = projectors.Count;
        if (_pending == 0) _caughtUp.TrySetResult();
        // Off the startup path: creating the read journal waits for the database (tables on first use).
        foreach (var projector in projectors)
            _ = Task.Run(() => RunAsync(system, materializer, view, projector, logger, system.WhenTerminated));
    }

    private async Task RunAsync(ActorSystem system, IMaterializer materializer, FleetView view, IJournalProjector projector, ILogger logger, Task terminated)
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
                var source = caughtUp ? journal.EventsByTag(projector.Tag, offset) : journal.CurrentEventsByTag(projector.Tag, offset);
                await source.RunForeach(envelope =>
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
                    offset = envelope.Offset;
                    retry.Folded();
                }, materializer);
                if (!caughtUp)
                {
                    caughtUp = true;
                    if (Interlocked.Decrement(ref _pending) == 0) _caughtUp.TrySetResult();
                    continue;
                }
                // A live query does not end by itself; one that did is run again from its offset shortly.
                wait = ProjectionRetry.FirstBackoff;
            }
            catch (Exception e) when (!terminated.IsCompleted)
            {
                (wait, var warn) = retry.Failed();
                if (warn)
                    logger.LogWarning(e, "read model: the query of tag {Tag} failed {Failures} times in a row; retrying from offset {Offset} in {Delay}", projector.Tag, retry.Failures, offset, wait);
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
