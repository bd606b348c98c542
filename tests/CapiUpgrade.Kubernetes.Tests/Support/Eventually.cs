namespace CapiUpgrade.Kubernetes.Tests.Support;

/// <summary>Await a condition with a deadline (never sleep as synchronisation).</summary>
internal static class Eventually
{
    public static async Task AwaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
