using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace CapiUpgrade.Simulator.Controllers;

/// <summary>An error answer of a Kubernetes API server (a `Status` object).</summary>
public sealed class KubeApiError(HttpStatusCode code, string reason, string message, string path)
    : Exception($"{(int)code} {reason} on {path}: {message}")
{
    public HttpStatusCode Code { get; } = code;
    public string Reason { get; } = reason;
    public string Path { get; } = path;
}

/// <summary>
/// A minimal Kubernetes REST client over a raw HttpClient and System.Text.Json (no model types shared
/// with anyone): get, list, create, merge patch, delete, watch. Retries 429/5xx with backoff, so
/// injected API faults slow the controllers down rather than break them.
/// </summary>
public sealed class KubeHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public KubeHttpClient(HttpClient http, string server)
    {
        _http = http;
        Server = server.TrimEnd('/');
    }

    public string Server { get; }

    /// <summary>How many times a 429/5xx answer is retried.</summary>
    public int MaxRetries { get; init; } = 20;

    /// <summary>A client from a kubeconfig's current (first) cluster and user: server URL, CA data, client certificate/key data, token.</summary>
    public static KubeHttpClient FromKubeconfig(string kubeconfigYaml)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(kubeconfigYaml));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var cluster = First(root, "clusters", "cluster");
        var user = First(root, "users", "user");
        var server = Scalar(cluster, "server") ?? throw new InvalidOperationException("kubeconfig: clusters[0].cluster.server is missing.");
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 64 };
        // Trust settings and the client identity are built once; SslStream copies them for each connection
        // (one chain per handshake, against the kubeconfig's CA only, as a Go client's RootCAs).
        if (Scalar(cluster, "certificate-authority-data") is { } caData)
        {
            var ca = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(caData)));
            handler.SslOptions.CertificateChainPolicy = ApiServer.Tls.Pki.TrustOnly(ca);
        }
        if (Scalar(user, "client-certificate-data") is { } certData && Scalar(user, "client-key-data") is { } keyData)
        {
            var cert = X509Certificate2.CreateFromPem(
                Encoding.UTF8.GetString(Convert.FromBase64String(certData)),
                Encoding.UTF8.GetString(Convert.FromBase64String(keyData)));
            handler.SslOptions.ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(cert, null, offline: true);
        }
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        // The controllers' requests are told apart from the engine's ("capi-upgrade") and kubectl's by this product name.
        http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgentProduct + "/1.0");
        if (Scalar(user, "token") is { } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new KubeHttpClient(http, server);
    }

    /// <summary>User-Agent product name of the simulated controllers' requests.</summary>
    public const string UserAgentProduct = "capi-simulator";

    public async Task<JsonObject?> GetAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, path, null, null, cancellationToken);
        }
        catch (KubeApiError e) when (e.Code == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<JsonArray> ListAsync(string path, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, path, null, null, cancellationToken))["items"]!.AsArray();

    public async Task<JsonObject> ListWithVersionAsync(string path, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    public Task<JsonObject> CreateAsync(string path, JsonObject body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, path, body, "application/json", cancellationToken);

    /// <summary>Create; an existing object of that name is fetched instead (create-or-get).</summary>
    public async Task<JsonObject> CreateOrGetAsync(string collectionPath, JsonObject body, CancellationToken cancellationToken = default)
    {
        try
        {
            return await CreateAsync(collectionPath, body, cancellationToken);
        }
        catch (KubeApiError e) when (e.Code == HttpStatusCode.Conflict && e.Reason == "AlreadyExists")
        {
            var name = body["metadata"]!["name"]!.GetValue<string>();
            var existing = await GetAsync(collectionPath + "/" + name, cancellationToken);
            if (existing is null) throw;
            return existing;
        }
    }

    public Task<JsonObject> ReplaceAsync(string path, JsonObject body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, path, body, "application/json", cancellationToken);

    /// <summary>JSON merge patch (RFC 7386); null when the object is gone.</summary>
    public async Task<JsonObject?> MergePatchAsync(string path, JsonObject patch, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync(HttpMethod.Patch, path, patch, "application/merge-patch+json", cancellationToken);
        }
        catch (KubeApiError e) when (e.Code == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Delete; "already gone" is success (false).</summary>
    public async Task<bool> DeleteAsync(string path, string? propagationPolicy = null, CancellationToken cancellationToken = default)
    {
        try
        {
            JsonObject? body = propagationPolicy is null ? null : new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = propagationPolicy };
            await SendAsync(HttpMethod.Delete, path, body, body is null ? null : "application/json", cancellationToken);
            return true;
        }
        catch (KubeApiError e) when (e.Code == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Watch events (type, object) of a collection path from <paramref name="resourceVersion"/>, until the
    /// server ends the stream. A 410 Gone surfaces as <see cref="KubeApiError"/> (re-list then).
    /// </summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(string path, string resourceVersion,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var separator = path.Contains('?') ? '&' : '?';
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Server}{path}{separator}watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, path, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0) continue;
            var node = JsonNode.Parse(line)!.AsObject();
            var type = node["type"]!.GetValue<string>();
            var obj = node["object"]!.AsObject();
            if (type == "ERROR")
            {
                var code = (HttpStatusCode)(obj["code"]?.GetValue<int>() ?? 500);
                throw new KubeApiError(code, obj["reason"]?.GetValue<string>() ?? "", obj["message"]?.GetValue<string>() ?? "", path);
            }
            obj.Parent?.AsObject().Remove("object");
            yield return (type, obj);
        }
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, string? contentType, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, Server + path);
            if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType ?? "application/json");
            if (body is not null && contentType is not null) request.Content!.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < MaxRetries)
            {
                await Task.Delay(delay, cancellationToken);
                delay = Next(delay);
                continue;
            }
            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    // The body's UTF-8 bytes as they came, parsed once (as a string it was copied to UTF-16 and back).
                    var utf8 = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                    return utf8.Length == 0 ? new JsonObject() : JsonNode.Parse(utf8)!.AsObject();
                }
                var retryable = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
                    or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.BadGateway;
                if (retryable && attempt < MaxRetries)
                {
                    var wait = response.Headers.RetryAfter?.Delta ?? delay;
                    await Task.Delay(wait < TimeSpan.FromSeconds(2) ? wait : TimeSpan.FromSeconds(2), cancellationToken);
                    delay = Next(delay);
                    continue;
                }
                throw await ErrorAsync(response, path, cancellationToken);
            }
        }
    }

    private static TimeSpan Next(TimeSpan delay) => TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));

    private static async Task<KubeApiError> ErrorAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string reason = response.StatusCode.ToString(), message = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject status)
            {
                reason = status["reason"]?.GetValue<string>() ?? reason;
                message = status["message"]?.GetValue<string>() ?? message;
            }
        }
        catch (JsonException)
        {
        }
        return new KubeApiError(response.StatusCode, reason, message, path);
    }

    private static YamlMappingNode First(YamlMappingNode root, string list, string field)
    {
        if (root.Children.TryGetValue(new YamlScalarNode(list), out var node) && node is YamlSequenceNode { Children.Count: > 0 } seq
            && seq.Children[0] is YamlMappingNode entry && entry.Children.TryGetValue(new YamlScalarNode(field), out var inner) && inner is YamlMappingNode map)
            return map;
        throw new InvalidOperationException($"kubeconfig: {list}[0].{field} is missing.");
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    public void Dispose() => _http.Dispose();
}
