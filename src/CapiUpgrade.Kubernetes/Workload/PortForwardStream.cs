using System.Net.WebSockets;
using System.Text;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>
/// One forwarded port of a `pods/portforward` WebSocket as a byte stream. The API server frames every message with a
/// channel byte (the port's data on channel 0, its errors on channel 1) and opens each channel with the port number
/// (two bytes), which this stream drops; a message on the error channel ends the stream with an
/// <see cref="IOException"/> carrying the server's text (e.g. nothing listens on that port in the pod).
/// </summary>
internal sealed class PortForwardStream(WebSocket socket, string target) : Stream
{
    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;
    private const int PortPrefix = 2;

    private readonly byte[] _receive = new byte[64 * 1024];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private ReadOnlyMemory<byte> _pending = ReadOnlyMemory<byte>.Empty;
    private int _dataPrefixLeft = PortPrefix;
    private int _errorPrefixLeft = PortPrefix;
    private bool _ended;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_pending.IsEmpty)
        {
            if (_ended) return 0;
            await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        }
        var count = Math.Min(buffer.Length, _pending.Length);
        _pending[..count].CopyTo(buffer);
        _pending = _pending[count..];
        return count;
    }

    /// <summary>Reads one whole message; keeps its data, if it is on the data channel, for the reads that follow.</summary>
    private async Task ReceiveAsync(CancellationToken ct)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == _receive.Length) throw new IOException($"port-forward to {target}: a message longer than {_receive.Length} bytes");
            try
            {
                result = await socket.ReceiveAsync(_receive.AsMemory(length), ct).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw Broken(e);
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _ended = true;
                return;
            }
            length += result.Count;
        }
        while (!result.EndOfMessage);
        if (length == 0) return;
        var payload = _receive.AsMemory(1, length - 1);
        switch (_receive[0])
        {
            case DataChannel:
                var skip = Math.Min(_dataPrefixLeft, payload.Length);
                _dataPrefixLeft -= skip;
                _pending = payload[skip..].ToArray();
                break;
            case ErrorChannel:
                var skipError = Math.Min(_errorPrefixLeft, payload.Length);
                _errorPrefixLeft -= skipError;
                if (payload.Length > skipError)
                    throw new IOException($"port-forward to {target}: {Encoding.UTF8.GetString(payload.Span[skipError..])}");
                break;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var message = new byte[buffer.Length + 1];
        message[0] = DataChannel;
        buffer.CopyTo(message.AsMemory(1));
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw Broken(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>A broken forward as the I/O error a connection's reader and writer (HTTP/2 under gRPC) expect.</summary>
    private IOException Broken(WebSocketException e) => new($"port-forward to {target} broke: {e.Message}", e);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Abort();
            socket.Dispose();
            _sendLock.Dispose();
        }
        base.Dispose(disposing);
    }
}
