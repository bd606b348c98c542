using Akka.Persistence.Journal;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>Tags upgrade and campaign events on their way into the journal (<see cref="JournalTags"/>).</summary>
public sealed class JournalTagger : IWriteEventAdapter
{
    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => JournalTags.Of(evt) is { } tag ? new Tagged(evt, [tag]) : evt;
}
