using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Cli.Palettes;

/// <summary>The client side of the command endpoint: one request line out, reply lines back.</summary>
public sealed class CommandClient(string host, int port)
{
    public string Endpoint => $"{host}:{port}";

    /// <summary>Sends the request and yields every reply until the service closes the connection or the token is cancelled.</summary>
    public async IAsyncEnumerable<CommandReply> SendAsync(CommandRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new EndpointUnavailableException($"cannot reach the capi-upgrade service at {Endpoint}: {e.Message}; is `capi-upgrade serve` running (and listening there)?");
        }
        await using var stream = tcp.GetStream();
        var line = CommandJson.Line(request) + "\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (!cancellationToken.IsCancellationRequested)
        {
            string? text;
            try
            {
                text = await reader.ReadLineAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            catch (IOException e)
            {
                throw new EndpointUnavailableException($"the connection to {Endpoint} broke: {e.Message}");
            }
            if (text is null) yield break;
            if (text.Length == 0) continue;
            yield return JsonSerializer.Deserialize<CommandReply>(text, CommandJson.Options)
                         ?? throw new EndpointUnavailableException($"the service at {Endpoint} sent an empty reply");
        }
    }
}

public sealed class EndpointUnavailableException(string message) : Exception(message);
