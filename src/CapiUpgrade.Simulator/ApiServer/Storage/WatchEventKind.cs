namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>The watch event types of the real API.</summary>
public static class WatchEventKind
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";
}
