namespace CapiUpgrade.Simulator.Tests;

/// <summary>Awaits a condition with a deadline (no sleeps as synchronisation).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        Exception? last = null;
        var delay = 20;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                // An attempt that never completes must not outlive the deadline (it would hang the run).
                var left = deadline - DateTime.UtcNow;
                if (await condition().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1))) return;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                last = e;
            }
            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 500);
        }
        throw new TimeoutException($"timed out waiting for {what}" + (last is null ? "" : $"; last error: {last.Message}"));
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout);
}
