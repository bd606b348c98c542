using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>
/// `pods/NAME/portforward?ports=N` over a WebSocket, as the real API server serves it through the kubelet
/// (SPDY is not spoken): every message is one channel byte and data; port i has data channel 2i and error channel
/// 2i+1, and the first message on each carries the port as two bytes, little-endian. The simulated kubelet
/// forwards to what a pod listens on: a static etcd pod (host network) listens on the client URLs its
/// <c>kubeadm.kubernetes.io/etcd.advertise-client-urls</c> annotation advertises, all on this machine's loopback
/// here; any other port is refused on its error channel, as a port nothing listens on is by a real kubelet.
/// </summary>
internal static class PortForward
{
    private const string EtcdAdvertiseAnnotation = "kubeadm.kubernetes.io/etcd.advertise-client-urls";

    /// <summary>The subprotocols a client may ask for; each frames channels as described above.</summary>
    private static readonly string[] SubProtocols = ["portforward.k8s.io", "v4.channel.k8s.io"];

    public static async Task HandleAsync(KubeApiServer server, HttpContext context, ResourceType podType, string ns, string name)
    {
        var pod = server.Store.TryGet(podType, ns, name) ?? throw ApiException.NotFound(podType, name);
        var ports = new List<int>();
        foreach (var value in context.Request.Query["ports"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw ApiException.BadRequest($"port-forward to pod {ns}/{name}: ports={value} is not a port number (1-65535)");
            ports.Add(port);
        }
        if (ports.Count == 0) throw ApiException.BadRequest($"port-forward to pod {ns}/{name}: at least one port is required (?ports=N)");
        if (!context.WebSockets.IsWebSocketRequest)
            throw ApiException.BadRequest($"port-forward to pod {ns}/{name} needs a WebSocket upgrade; this simulated API server does not speak SPDY");
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = SubProtocols.FirstOrDefault(p => requested.Contains(p, StringComparer.Ordinal));
        if (requested.Count > 0 && protocol is null)
            throw ApiException.BadRequest($"port-forward: none of the requested subprotocols ({string.Join(", ", requested)}) is served; use one of {string.Join(", ", SubProtocols)} or none");

        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        var served = ServedPorts(pod);
        using var sendLock = new SemaphoreSlim(1, 1);
        var connections = new TcpClient?[ports.Count];
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                byte[] port = [(byte)ports[i], (byte)(ports[i] >> 8)]; // little-endian
                await SendAsync(socket, sendLock, (byte)(2 * i), port, context.RequestAborted).ConfigureAwait(false);
                await SendAsync(socket, sendLock, (byte)(2 * i + 1), port, context.RequestAborted).ConfigureAwait(false);
                if (!served.Contains(ports[i]))
                {
                    await SendAsync(socket, sendLock, (byte)(2 * i + 1),
                        Encoding.UTF8.GetBytes($"error forwarding port {ports[i]} to pod {name}: the simulated kubelet forwards only to the client ports a static etcd pod advertises ({string.Join(", ", served)})"),
                        context.RequestAborted).ConfigureAwait(false);
                    continue;
                }
                var connection = new TcpClient { NoDelay = true };
                try
                {
                    await connection.ConnectAsync("127.0.0.1", ports[i], context.RequestAborted).ConfigureAwait(false);
                    connections[i] = connection;
                }
                catch (SocketException e)
                {
                    connection.Dispose();
                    await SendAsync(socket, sendLock, (byte)(2 * i + 1), Encoding.UTF8.GetBytes($"error forwarding port {ports[i]} to pod {name}: {e.Message}"), context.RequestAborted).ConfigureAwait(false);
                }
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            using var tracked = server.Faults.TrackForward(stop);
            var pumps = connections.Select((c, i) => c is null ? Task.CompletedTask : PumpToSocketAsync(c.GetStream(), socket, sendLock, (byte)(2 * i), stop.Token)).ToList();
            await PumpFromSocketAsync(socket, connections, stop.Token).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pumps.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var c in connections) c?.Dispose();
            // Ended by either side, or cut (FaultInjector.CutPortForwards): the client sees the stream close.
            if (socket.State == WebSocketState.Open)
            {
                try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false); }
                catch (WebSocketException) { }
            }
        }
    }

    /// <summary>The ports of the client URLs a static etcd pod advertises (none for any other pod).</summary>
    private static HashSet<int> ServedPorts(JsonObject pod)
    {
        var urls = pod["metadata"]?["annotations"]?[EtcdAdvertiseAnnotation]?.GetValue<string>() ?? "";
        return urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri.Port : -1).Where(p => p > 0).ToHashSet();
    }

    /// <summary>Client → pod: each message's first byte names the channel; data on port i's data channel goes to its connection.</summary>
    private static async Task PumpFromSocketAsync(WebSocket socket, TcpClient?[] connections, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) return;
                if (result.Count == 0) continue;
                var channel = buffer[0];
                var offset = 1;
                while (true)
                {
                    if (channel % 2 == 0 && channel / 2 < connections.Length && connections[channel / 2] is { } target && result.Count > offset)
                        await target.GetStream().WriteAsync(buffer.AsMemory(offset, result.Count - offset), ct).ConfigureAwait(false);
                    if (result.EndOfMessage) break;
                    result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    offset = 0;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the client or the pod went away
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Pod → client: what the connection reads, on the port's data channel; the socket closes when the pod's side does.</summary>
    private static async Task PumpToSocketAsync(NetworkStream from, WebSocket socket, SemaphoreSlim sendLock, byte channel, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer.AsMemory(1, buffer.Length - 1), ct).ConfigureAwait(false);
                if (read == 0) break;
                buffer[0] = channel;
                await sendLock.WaitAsync(ct).ConfigureAwait(false);
                try { await socket.SendAsync(buffer.AsMemory(0, read + 1), WebSocketMessageType.Binary, true, ct).ConfigureAwait(false); }
                finally { sendLock.Release(); }
            }
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "the pod closed the connection", ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // the client or the pod went away
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim sendLock, byte channel, byte[] data, CancellationToken ct)
    {
        var message = new byte[data.Length + 1];
        message[0] = channel;
        data.CopyTo(message, 1);
        await sendLock.WaitAsync(ct).ConfigureAwait(false);
        try { await socket.SendAsync(message, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false); }
        finally { sendLock.Release(); }
    }
}
