using System.Net;
using System.Text;
using CapiUpgrade.Kubernetes.Api;
using k8s;
using k8s.Models;

namespace CapiUpgrade.Kubernetes.Tests.Management;

/// <summary>
/// KubernetesClient deserializes a response body with a synchronous read; the engine's clients read every body
/// but a watch's into memory first, asynchronously, so no thread-pool thread waits for a slow API server.
/// </summary>
public sealed class ResponseBufferingTests
{
    /// <summary>A response body that refuses synchronous reads, as a network stream should never be read on a pool thread.</summary>
    private sealed class AsyncOnlyStream(byte[] body) : Stream
    {
        private readonly MemoryStream _body = new(body);
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous read of a response body");
        public override int Read(Span<byte> buffer) => throw new InvalidOperationException("synchronous read of a response body");
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return _body.Read(buffer.Span);
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class AsyncOnlyServer : HttpMessageHandler
    {
        public List<Stream> Bodies { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = new AsyncOnlyStream(Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"fleet"}}"""));
            Bodies.Add(body);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) });
        }
    }

    [Fact]
    public async Task A_response_is_in_memory_before_it_is_deserialized_and_a_watch_keeps_streaming()
    {
        var server = new AsyncOnlyServer();
        using var client = new HttpMessageInvoker(new KubernetesClients.ResponseBufferingHandler { InnerHandler = server });

        using var get = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://api.test/api/v1/namespaces/fleet"), CancellationToken.None);
        var ns = KubernetesJson.Deserialize<V1Namespace>(await get.Content.ReadAsStreamAsync());
        using var watch = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://api.test/api/v1/namespaces?watch=true&allowWatchBookmarks=true"), CancellationToken.None);

        Assert.Equal("fleet", ns.Metadata.Name);
        // The watch's body is still the network stream (which refuses the synchronous read), not a copy in memory.
        var stream = await watch.Content.ReadAsStreamAsync();
        Assert.Throws<InvalidOperationException>(() => stream.ReadByte());
    }
}
