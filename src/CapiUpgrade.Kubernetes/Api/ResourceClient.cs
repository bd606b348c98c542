using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CapiUpgrade.Kubernetes.Api;

/// <summary>
/// Generic JSON access to any resource kind through KubernetesClient's custom-object operations (which
/// also serve the core group: <c>apis//v1</c> becomes <c>api/v1</c>). Transient failures are retried;
/// failures surface as <see cref="KubernetesApiException"/>. <c>namespace</c> null means cluster-scoped
/// (or all namespaces for LIST/WATCH).
/// </summary>
internal sealed class ResourceClient(IKubernetes client, RetryRunner retry, string server)
{
    public IKubernetes Client => client;
    public string Server => server;

    public async Task<JsonObject?> GetAsync(ResourceKind kind, string? ns, string name, CancellationToken ct)
    {
        try
        {
            return await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, kind.Plural, name, cancellationToken: token)
                    : await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: token);
                return response.Body;
            }, ct);
        }
        catch (Exception e) when (IsStatus(e, HttpStatusCode.NotFound))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "GET", Describe(kind, ns, name), server);
        }
    }

    public async Task<(IReadOnlyList<JsonObject> Items, string? ResourceVersion)> ListAsync(ResourceKind kind, string? ns, string? labelSelector, CancellationToken ct)
    {
        try
        {
            var list = await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, kind.Plural, labelSelector: labelSelector, cancellationToken: token)
                    : await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, ns, kind.Plural, labelSelector: labelSelector, cancellationToken: token);
                return response.Body;
            }, ct);
            var items = new List<JsonObject>();
            if (list?["items"] is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is not JsonObject obj)
                        continue;
                    // Lists omit apiVersion/kind on items; restore them so cached objects are self-describing.
                    obj["apiVersion"] ??= kind.ApiVersion;
                    obj["kind"] ??= kind.Kind;
                    items.Add(obj);
                }
                array.Clear();
            }
            return (items, list?["metadata"]?["resourceVersion"]?.GetValue<string>());
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "LIST", Describe(kind, ns, null) + (labelSelector is null ? "" : $" with labels '{labelSelector}'"), server);
        }
    }

    /// <summary>POST. A 409 AlreadyExists surfaces as <see cref="KubernetesApiException"/> with reason AlreadyExists.</summary>
    public async Task<JsonObject> CreateAsync(ResourceKind kind, string? ns, JsonObject body, CancellationToken ct)
    {
        var name = body["metadata"]?["name"]?.GetValue<string>();
        try
        {
            return await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.CreateClusterCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, kind.Plural, cancellationToken: token)
                    : await client.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, ns, kind.Plural, cancellationToken: token);
                return response.Body;
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "CREATE", Describe(kind, ns, name), server);
        }
    }

    /// <summary>PUT, preconditioned by the body's <c>metadata.resourceVersion</c> when present. Conflicts are not retried.</summary>
    public async Task<JsonObject> ReplaceAsync(ResourceKind kind, string? ns, string name, JsonObject body, CancellationToken ct)
    {
        try
        {
            return await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.ReplaceClusterCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: token)
                    : await client.CustomObjects.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: token);
                return response.Body;
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "UPDATE", Describe(kind, ns, name), server);
        }
    }

    /// <summary>PATCH; null when the object does not exist.</summary>
    public async Task<JsonObject?> PatchAsync(ResourceKind kind, string? ns, string name, JsonNode patch, V1Patch.PatchType type, CancellationToken ct)
    {
        var body = new V1Patch(patch.ToJsonString(), type);
        try
        {
            return await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.PatchClusterCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, kind.Plural, name, cancellationToken: token)
                    : await client.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(body, kind.Group, kind.Version, ns, kind.Plural, name, cancellationToken: token);
                return response.Body;
            }, ct);
        }
        catch (Exception e) when (IsStatus(e, HttpStatusCode.NotFound))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "PATCH", Describe(kind, ns, name), server);
        }
    }

    /// <summary>DELETE with background propagation; false when already gone.</summary>
    public async Task<bool> DeleteAsync(ResourceKind kind, string? ns, string name, string? uid, CancellationToken ct)
    {
        var options = new V1DeleteOptions
        {
            PropagationPolicy = "Background",
            Preconditions = uid is null ? null : new V1Preconditions { Uid = uid },
        };
        try
        {
            return await retry.RunAsync(async token =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, kind.Plural, name, body: options, cancellationToken: token)
                    : await client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>(kind.Group, kind.Version, ns, kind.Plural, name, body: options, cancellationToken: token);
                return true;
            }, ct);
        }
        catch (Exception e) when (IsStatus(e, HttpStatusCode.NotFound))
        {
            return false;
        }
        catch (Exception e) when (uid is not null && IsStatus(e, HttpStatusCode.Conflict))
        {
            // The uid precondition failed: the named object is another incarnation; ours is gone.
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, "DELETE", Describe(kind, ns, name), server);
        }
    }

    /// <summary>
    /// One WATCH request from <paramref name="resourceVersion"/> (bookmarks on). ERROR events (e.g. 410 Gone)
    /// go to <paramref name="onError"/> as <see cref="k8s.KubernetesException"/>; transport failures end the
    /// enumeration with an exception. No retries here: the informer decides.
    /// </summary>
    public async IAsyncEnumerable<(WatchEventType Type, JsonObject Object)> WatchAsync(ResourceKind kind, string? ns, string? resourceVersion, int timeoutSeconds, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var events = ns is null
            ? client.CustomObjects.WatchListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CustomObjects.WatchListNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct);
        await foreach (var (type, obj) in events.WithCancellation(ct))
        {
            var json = obj switch
            {
                // Over the element the client already parsed, not a second parse of its text: a watch event is an
                // object's whole JSON, and its copy as a string and reparse were ~6% of what the engine allocated.
                JsonElement element when element.ValueKind == JsonValueKind.Object => JsonObject.Create(element),
                JsonObject o => o,
                _ => null,
            };
            if (json is null)
                continue;
            json["apiVersion"] ??= kind.ApiVersion;
            json["kind"] ??= kind.Kind;
            yield return (type, json);
        }
    }

    public static bool IsStatus(Exception e, HttpStatusCode status) => e switch
    {
        HttpOperationException http => http.Response?.StatusCode == status,
        KubernetesApiException api => api.StatusCode == status,
        _ => false,
    };

    public static string Describe(ResourceKind kind, string? ns, string? name) =>
        name is null
            ? $"{kind.Kind} objects{(ns is null ? "" : $" in namespace {ns}")}"
            : $"{kind.Kind} {(ns is null ? name : $"{ns}/{name}")}";
}
