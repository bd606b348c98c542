using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Endpoint;

/// <summary>
/// The command endpoint (pbm's port, 9110): one line-delimited JSON request per connection
/// (<see cref="CommandRequest"/>), answered by <see cref="CommandReply"/> lines. A streaming
/// command (tail) writes event lines until the client closes the connection.
/// </summary>
public sealed class CommandEndpointHandler(CommandDispatcher dispatcher, TokenGuard tokens, ILogger<CommandEndpointHandler> logger) : ConnectionHandler
{
    private const int MaxRequestBytes = 4 * 1024 * 1024;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var peer = connection.RemoteEndPoint?.ToString() ?? "unknown";
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var cancel = closed.Token;
        try
        {
            var line = await ReadLineAsync(connection.Transport.Input, cancel);
            if (line is null) return;
            // A streaming client says "stop" by closing its side: notice it even while no event is written.
            _ = WatchForCloseAsync(connection.Transport.Input, closed);
            CommandRequest? request;
            try
            {
                request = JsonSerializer.Deserialize<CommandRequest>(line, CommandJson.Options);
            }
            catch (JsonException e)
            {
                await WriteAsync(connection.Transport.Output, CommandReply.Failure($"the request is not valid JSON: {e.Message}", 400), cancel);
                return;
            }
            if (request is null || string.IsNullOrEmpty(request.Palette) || string.IsNullOrEmpty(request.Command))
            {
                await WriteAsync(connection.Transport.Output, CommandReply.Failure("the request needs palette and command", 400), cancel);
                return;
            }
            if (!tokens.Accepts(request.Token, "command", peer))
            {
                await WriteAsync(connection.Transport.Output, CommandReply.Failure("unauthorized: this service requires a token; pass --token-file FILE or set CAPI_UPGRADE_TOKEN", 401), cancel);
                return;
            }
            if (dispatcher.IsStreaming(request))
            {
                await foreach (var reply in dispatcher.StreamAsync(request, cancel))
                    await WriteAsync(connection.Transport.Output, reply, cancel);
            }
            else
            {
                var reply = await dispatcher.ExecuteAsync(request, cancel);
                await WriteAsync(connection.Transport.Output, reply, cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away (Ctrl-C on tail)
        }
        catch (ConnectionResetException)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "command connection from {Peer} failed", peer);
        }
        finally
        {
            await connection.Transport.Output.CompleteAsync();
        }
    }

    private static async Task WatchForCloseAsync(PipeReader input, CancellationTokenSource closed)
    {
        try
        {
            while (!closed.IsCancellationRequested)
            {
                var result = await input.ReadAsync(closed.Token);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception)
        {
            // closed or reset: either way the client is gone
        }
        try { closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    private static async Task WriteAsync(PipeWriter output, CommandReply reply, CancellationToken cancel)
    {
        var bytes = Encoding.UTF8.GetBytes(CommandJson.Line(reply) + "\n");
        var result = await output.WriteAsync(bytes, cancel);
        if (result.IsCompleted || result.IsCanceled) throw new OperationCanceledException();
    }

    private static async Task<string?> ReadLineAsync(PipeReader input, CancellationToken cancel)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancel);
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is not null)
            {
                var line = Encoding.UTF8.GetString(buffer.Slice(0, newline.Value).ToArray());
                input.AdvanceTo(buffer.GetPosition(1, newline.Value));
                return line;
            }
            if (buffer.Length > MaxRequestBytes) return null;
            if (result.IsCompleted)
            {
                var rest = buffer.Length > 0 ? Encoding.UTF8.GetString(buffer.ToArray()) : null;
                input.AdvanceTo(buffer.End);
                return rest;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
