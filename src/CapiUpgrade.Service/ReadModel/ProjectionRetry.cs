namespace CapiUpgrade.Service.ReadModel;

/// <summary>
/// How long a broken journal query of the read model waits before it runs again. The first few failures are retried
/// at once, quietly (on a fresh database the journal creates its tables on first use); then the wait doubles from
/// 500 ms to at most 10 s, with a warning each time. A query that has folded events since its last failure was
/// working: its next failure starts over, so a service that had a bad minute last week does not keep its read
/// model 10 s behind after every later hiccup.
/// </summary>
internal sealed class ProjectionRetry
{
    public static readonly TimeSpan QuickRetry = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public const int QuietRetries = 5;

    private TimeSpan _backoff = FirstBackoff;
    private bool _foldedSinceFailure;

    /// <summary>Failures since the query last folded an event.</summary>
    public int Failures { get; private set; }

    /// <summary>The query folded an event: it works.</summary>
    public void Folded() => _foldedSinceFailure = true;

    /// <summary>The query failed: how long to wait before running it again, and whether a person should hear of it.</summary>
    public (TimeSpan Wait, bool Warn) Failed()
    {
        if (_foldedSinceFailure)
        {
            (Failures, _backoff, _foldedSinceFailure) = (0, FirstBackoff, false);
        }
        Failures++;
        if (Failures <= QuietRetries) return (QuickRetry, false);
        var wait = _backoff;
        _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
        return (wait, true);
    }
}
