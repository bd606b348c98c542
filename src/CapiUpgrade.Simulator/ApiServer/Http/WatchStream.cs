using CapiUpgrade.Simulator.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>Streams a watch as chunked JSON lines, one event per line, flushing after each burst.</summary>
internal static class WatchStream
{
    public static async Task RunAsync(KubeApiServer server, HttpContext context, WatchSubscription subscription, bool bookmarks, int timeoutSeconds)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping);
        if (timeoutSeconds > 0) lifetime.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        var ct = lifetime.Token;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache, private";
        await response.StartAsync(ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
        var reader = subscription.Lines;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var wrote = false;
                while (reader.TryRead(out var line))
                {
                    await response.Body.WriteAsync(line, ct).ConfigureAwait(false);
                    wrote = true;
                }
                if (wrote) await response.Body.FlushAsync(ct).ConfigureAwait(false);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(server.Options.BookmarkInterval);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    if (bookmarks) subscription.RequestBookmark();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds elapsed, the client left, or the server stopped: end the stream.
        }
    }
}
