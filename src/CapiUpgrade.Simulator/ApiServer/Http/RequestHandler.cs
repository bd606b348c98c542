using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Patching;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Selectors;
using CapiUpgrade.Simulator.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>Answers one HTTP request of the Kubernetes REST API for one <see cref="KubeApiServer"/>.</summary>
internal static class RequestHandler
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    /// <summary>A parsed resource URL: /api/v1/namespaces/ns/pods/name/status and the like.</summary>
    private sealed record ResourcePath(ResourceType Type, string? Namespace, string? Name, string? Subresource);

    public static async Task HandleAsync(KubeApiServer server, HttpContext context)
    {
        var request = context.Request;
        var agent = RequestCounter.AgentOf(request.Headers.UserAgent.ToString());
        try
        {
            if (!server.IsAuthenticated(request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, context.Connection.ClientCertificate))
            {
                server.Requests.Add("unauthorized", "", agent);
                throw ApiException.Unauthorized();
            }
            var path = request.Path.Value ?? "/";
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length == 0 || (segments[0] != "api" && segments[0] != "apis"))
            {
                server.Requests.Add("get", path, agent);
                await NonResourceAsync(server, context, path).ConfigureAwait(false);
                return;
            }
            var resourcePath = ParsePath(server, segments, out var discovery);
            if (resourcePath is null)
            {
                server.Requests.Add("get", path, agent);
                if (request.Method != "GET") throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource: {request.Method} {path}");
                await WriteJsonAsync(context, 200, discovery ?? throw NotFound(path)).ConfigureAwait(false);
                return;
            }
            await ResourceAsync(server, context, resourcePath, agent).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            if (!context.Response.HasStarted) await WriteErrorAsync(context, e).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            if (!context.Response.HasStarted)
                await WriteErrorAsync(context, ApiException.BadRequest($"the request body is not valid JSON: {e.Message}")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || server.IsStopped)
        {
            // client went away or the server stopped
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or NullReferenceException or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException)
        {
            // A bug of the simulator, or a body of an unexpected shape: answer like the real server's InternalError.
            if (!context.Response.HasStarted)
                await WriteErrorAsync(context, new ApiException(500, "InternalError", $"Internal error occurred: {e.GetType().Name}: {e.Message} (at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()})")).ConfigureAwait(false);
        }
    }

    private static ApiException NotFound(string path) => new(404, "NotFound", "the server could not find the requested resource", detailsKind: null) { };

    private static async Task NonResourceAsync(KubeApiServer server, HttpContext context, string path)
    {
        switch (path.TrimEnd('/'))
        {
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok").ConfigureAwait(false);
                return;
            case "/version":
                await WriteJsonAsync(context, 200, Discovery.Version()).ConfigureAwait(false);
                return;
        }
        if (await Discovery.TryHandleNonResourceAsync(server, context, path).ConfigureAwait(false)) return;
        throw NotFound(path);
    }

    private static ResourcePath? ParsePath(KubeApiServer server, string[] s, out JsonObject? discovery)
    {
        discovery = null;
        string group, version;
        int rest;
        if (s[0] == "api")
        {
            if (s.Length == 1) { discovery = Discovery.CoreVersions(); return null; }
            group = "";
            version = s[1];
            rest = 2;
        }
        else
        {
            if (s.Length == 1) { discovery = Discovery.Groups(server.Registry); return null; }
            if (s.Length == 2) { discovery = Discovery.Group(server.Registry, s[1]); return null; }
            group = s[1];
            version = s[2];
            rest = 3;
        }
        if (!server.Registry.HasGroupVersion(group, version)) throw NotFound("/" + string.Join('/', s));
        if (s.Length == rest) { discovery = Discovery.ResourceList(server.Registry, group, version); return null; }
        var r = s[rest..];
        if (r[0] == "namespaces" && r.Length >= 3 && server.Registry.Find(group, version, r[2]) is { Namespaced: true } namespacedType)
        {
            if (r.Length > 5) throw NotFound("/" + string.Join('/', s));
            return new ResourcePath(namespacedType, r[1], r.Length > 3 ? r[3] : null, r.Length > 4 ? r[4] : null);
        }
        var type = server.Registry.Find(group, version, r[0]) ?? throw NotFound("/" + string.Join('/', s));
        if (r.Length > 3) throw NotFound("/" + string.Join('/', s));
        return new ResourcePath(type, null, r.Length > 1 ? r[1] : null, r.Length > 2 ? r[2] : null);
    }

    private static async Task ResourceAsync(KubeApiServer server, HttpContext context, ResourcePath p, string agent)
    {
        var request = context.Request;
        var query = request.Query;
        var type = p.Type;
        var store = server.Store;
        var statusOnly = false;
        if (p.Subresource == "portforward" && type.Group.Length == 0 && type.Plural == "pods" && p.Namespace is not null && p.Name is not null)
        {
            if (request.Method is not ("GET" or "POST")) throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource: {request.Method} pods/portforward");
            server.Requests.Add("create", "pods/portforward", agent);
            await server.Faults.BeforeRequestAsync("create", "pods/portforward", context.RequestAborted).ConfigureAwait(false);
            await PortForward.HandleAsync(server, context, type, p.Namespace, p.Name).ConfigureAwait(false);
            return;
        }
        if (p.Subresource is not null)
        {
            if (p.Subresource != "status" || !type.HasStatus)
                throw NotFound(request.Path.Value ?? "");
            statusOnly = true;
        }
        if (query["dryRun"].ToString() is { Length: > 0 } dryRun)
            throw ApiException.BadRequest($"dryRun={dryRun} is not supported by the simulated API server; send the request without dryRun (kubectl: drop --dry-run=server, or use --dry-run=client)");
        var fieldValidation = query["fieldValidation"].ToString();
        var strict = fieldValidation.Length == 0
            ? server.Options.StrictFieldValidationByDefault
            : string.Equals(fieldValidation, "Strict", StringComparison.OrdinalIgnoreCase);
        var verb = Verb(request.Method, p.Name is not null, query["watch"].ToString());
        server.Requests.Add(verb, type.QualifiedName, agent);
        await Faults.BeforeAsync(server, context, verb, type).ConfigureAwait(false);

        switch (verb)
        {
            case "get":
                await WriteBytesAsync(context, 200, store.GetJson(type, p.Namespace, p.Name!)).ConfigureAwait(false);
                return;
            case "list":
            {
                var labels = LabelSelector.Parse(query["labelSelector"].ToString());
                var fields = FieldSelector.Parse(query["fieldSelector"].ToString(), type);
                var limit = ParseInt(query["limit"].ToString(), "limit");
                var result = store.List(type, p.Namespace, labels, fields, limit, query["continue"].ToString());
                await WriteListAsync(context, type, result).ConfigureAwait(false);
                return;
            }
            case "watch":
            {
                var labels = LabelSelector.Parse(query["labelSelector"].ToString());
                var fields = FieldSelector.Parse(query["fieldSelector"].ToString(), type);
                var bookmarks = query["allowWatchBookmarks"].ToString() is "true" or "1";
                var timeout = ParseInt(query["timeoutSeconds"].ToString(), "timeoutSeconds");
                using var subscription = store.Watch(type, p.Namespace, labels, fields, query["resourceVersion"].ToString());
                await WatchStream.RunAsync(server, context, subscription, bookmarks, timeout).ConfigureAwait(false);
                return;
            }
            case "create":
            {
                if (type.Namespaced && p.Namespace is null)
                    throw MethodNotAllowedCreate(type);
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                var created = store.Create(type, p.Namespace, body, keepStatus: false, strictFields: strict);
                await WriteJsonAsync(context, 201, created).ConfigureAwait(false);
                return;
            }
            case "update":
            {
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                var updated = store.Update(type, p.Namespace, p.Name!, body, statusOnly, strict);
                await WriteJsonAsync(context, 200, updated).ConfigureAwait(false);
                return;
            }
            case "patch":
            {
                var contentType = (request.ContentType ?? "").Split(';')[0].Trim();
                if (contentType == "application/strategic-merge-patch+json" && type.IsCustom)
                    throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (strategic merge patch is not supported for custom resources such as {type.QualifiedName})");
                var patch = await ReadNodeAsync(context).ConfigureAwait(false);
                Func<JsonObject, JsonObject> apply = contentType switch
                {
                    "application/merge-patch+json" => current => AsObject(JsonMergePatch.Apply(current, patch)),
                    "application/json-patch+json" => current => AsObject(JsonPatch.Apply(current, patch)),
                    "application/strategic-merge-patch+json" => current => AsObject(StrategicMergePatch.Apply(current, patch, type)),
                    _ => throw ApiException.UnsupportedMediaType(contentType),
                };
                // Each of the three builds its result from a copy of the object it is given.
                var patched = store.Patch(type, p.Namespace, p.Name!, apply, statusOnly, strict, patchCopiesInput: true);
                await WriteJsonAsync(context, 200, patched).ConfigureAwait(false);
                return;
            }
            case "delete":
            {
                var options = await ReadDeleteOptionsAsync(context).ConfigureAwait(false);
                var (obj, removed) = store.Delete(type, p.Namespace, p.Name!, options);
                if (removed && !(type.Group.Length == 0 && type.Plural == "pods"))
                    await WriteJsonAsync(context, 200, SuccessStatus(type, obj)).ConfigureAwait(false);
                else
                    await WriteJsonAsync(context, 200, obj).ConfigureAwait(false);
                return;
            }
            case "deletecollection":
            {
                var options = await ReadDeleteOptionsAsync(context).ConfigureAwait(false);
                var labels = LabelSelector.Parse(query["labelSelector"].ToString());
                var fields = FieldSelector.Parse(query["fieldSelector"].ToString(), type);
                var deleted = store.DeleteCollection(type, p.Namespace, labels, fields, options);
                var list = new JsonObject
                {
                    ["kind"] = type.Kind + "List",
                    ["apiVersion"] = type.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = store.ResourceVersion.ToString(CultureInfo.InvariantCulture) },
                    ["items"] = new JsonArray(deleted.Select(d => (JsonNode)d).ToArray()),
                };
                await WriteJsonAsync(context, 200, list).ConfigureAwait(false);
                return;
            }
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource: {request.Method}");
        }
    }

    private static ApiException MethodNotAllowedCreate(ResourceType type) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource: POST to {type.QualifiedName} needs a namespace in the URL (/…/namespaces/NS/{type.Plural})");

    private static string Verb(string method, bool hasName, string watch) => method switch
    {
        "GET" when hasName => "get",
        "GET" when watch is "true" or "1" => "watch",
        "GET" => "list",
        "POST" when !hasName => "create",
        "PUT" when hasName => "update",
        "PATCH" when hasName => "patch",
        "DELETE" when hasName => "delete",
        "DELETE" => "deletecollection",
        _ => "unsupported",
    };

    private static int ParseInt(string text, string name)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw ApiException.BadRequest($"invalid {name} \"{text}\": must be a non-negative integer");
    }

    private static JsonObject AsObject(JsonNode? node) =>
        node as JsonObject ?? throw ApiException.BadRequest("the patched object is not a JSON object");

    private static async Task<JsonNode?> ReadNodeAsync(HttpContext context)
    {
        var contentType = context.Request.ContentType ?? "";
        var protobuf = contentType.StartsWith("application/vnd.kubernetes.protobuf", StringComparison.OrdinalIgnoreCase);
        if (!protobuf && (contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase) || contentType.Contains("cbor", StringComparison.OrdinalIgnoreCase) || contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase)))
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json; got \"{contentType}\"");
        // The body's bytes as they came, decoded once (JSON: not parsed, copied out as a string and parsed again).
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        return protobuf ? ProtobufBody.Decode(body.ToArray()) : JsonNode.Parse(body.GetBuffer().AsSpan(0, (int)body.Length), NodeOptions);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        var node = await ReadNodeAsync(context).ConfigureAwait(false);
        return node as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? policy = query["propagationPolicy"].ToString() is { Length: > 0 } q ? q : null;
        string? uid = null, rv = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(context.Request.Body);
            var text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(text) && JsonNode.Parse(text) is JsonObject body)
            {
                policy = body["propagationPolicy"]?.GetValue<string>() ?? policy;
                if (policy is null && body["orphanDependents"]?.GetValue<bool>() is { } orphan) policy = orphan ? "Orphan" : "Background";
                uid = body["preconditions"]?["uid"]?.GetValue<string>();
                rv = body["preconditions"]?["resourceVersion"]?.GetValue<string>();
            }
        }
        return new DeleteOptions(policy, uid, rv);
    }

    private static JsonObject SuccessStatus(ResourceType type, JsonObject obj)
    {
        var details = new JsonObject { ["name"] = obj["metadata"]?["name"]?.GetValue<string>() };
        if (type.Group.Length > 0) details["group"] = type.Group;
        details["kind"] = type.Plural;
        details["uid"] = obj["metadata"]?["uid"]?.GetValue<string>();
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    internal static async Task WriteJsonAsync(HttpContext context, int code, JsonNode node)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(node), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteBytesAsync(HttpContext context, int code, byte[] json)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = json.Length;
        await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WriteErrorAsync(HttpContext context, ApiException e)
    {
        if (e.RetryAfterSeconds is { } retry) context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        await WriteJsonAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
    }

    private static async Task WriteListAsync(HttpContext context, ResourceType type, ListResult result)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var pipe = context.Response.BodyWriter;
        using (var w = new Utf8JsonWriter(pipe, new JsonWriterOptions { SkipValidation = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", type.Kind + "List");
            w.WriteString("apiVersion", type.ApiVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", result.ResourceVersion.ToString(CultureInfo.InvariantCulture));
            if (result.Continue is not null) w.WriteString("continue", result.Continue);
            if (result.RemainingItemCount is { } remaining) w.WriteNumber("remainingItemCount", remaining);
            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var item in result.Items)
            {
                w.WriteRawValue(item, skipInputValidation: true);
                if (w.BytesPending > 32 * 1024) w.Flush();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        await pipe.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
