using Akka.Persistence.Journal;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>Tags upgrade and campaign events on their way into the journal (<see cref="JournalTags"/>).</summary>
public sealed class JournalTagger : IWriteEventAdapter
{
    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => JournalTags.Of(evt) is { Count: > 0 } tags ? new Tagged(evt, tags) : evt;
}
