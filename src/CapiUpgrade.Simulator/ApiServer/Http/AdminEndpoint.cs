using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>
/// The simulator's admin endpoints (not part of the Kubernetes API), same authentication as the API:
/// <c>GET /admin/faults</c> lists rules; <c>POST /admin/faults</c> adds one
/// (<c>{"verb":"update","resource":"machines","latencyMs":200,"errorCode":429,"rate":0.5,"retryAfterSeconds":2}</c>);
/// <c>DELETE /admin/faults</c> clears them; <c>POST /admin/watches/cut</c> ends every open watch;
/// <c>GET /admin/requests</c> returns the request counters.
/// </summary>
internal static class AdminEndpoint
{
    public static async Task<bool> HandleAsync(KubeApiServer server, HttpContext context, string path)
    {
        var method = context.Request.Method;
        switch (path)
        {
            case "/admin/faults" when method == "GET":
                await RequestHandler.WriteJsonAsync(context, 200, Rules(server)).ConfigureAwait(false);
                return true;
            case "/admin/faults" when method == "DELETE":
                server.Faults.Clear();
                await RequestHandler.WriteJsonAsync(context, 200, Rules(server)).ConfigureAwait(false);
                return true;
            case "/admin/faults" when method == "POST":
            {
                using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                var body = doc.RootElement;
                string? Str(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                double? Num(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
                var code = Num("errorCode");
                if (code is not null and not (409 or 429 or 500 or 503))
                    throw ApiException.BadRequest($"errorCode {code} is not supported; use 409, 429, 500 or 503");
                server.Faults.Add(new FaultRule
                {
                    Verb = Str("verb"),
                    Resource = Str("resource"),
                    Latency = TimeSpan.FromMilliseconds(Num("latencyMs") ?? 0),
                    ErrorCode = code is null ? null : (int)code,
                    Rate = Num("rate") ?? 1.0,
                    RetryAfterSeconds = (int)(Num("retryAfterSeconds") ?? 1),
                });
                await RequestHandler.WriteJsonAsync(context, 201, Rules(server)).ConfigureAwait(false);
                return true;
            }
            case "/admin/watches/cut" when method == "POST":
                var cut = server.Faults.CutWatches();
                await RequestHandler.WriteJsonAsync(context, 200, new JsonObject { ["cut"] = cut }).ConfigureAwait(false);
                return true;
            case "/admin/requests" when method == "GET":
            {
                var counts = new JsonObject();
                foreach (var ((verb, resource), n) in server.Requests.Snapshot().OrderBy(p => p.Key.Resource).ThenBy(p => p.Key.Verb))
                    counts[$"{verb} {resource}"] = n;
                var agents = new JsonObject();
                foreach (var (agent, n) in server.Requests.Agents().OrderBy(p => p.Key, StringComparer.Ordinal))
                    agents[agent.Length == 0 ? "(none)" : agent] = n;
                await RequestHandler.WriteJsonAsync(context, 200, new JsonObject { ["total"] = server.Requests.Total, ["requests"] = counts, ["agents"] = agents }).ConfigureAwait(false);
                return true;
            }
            default:
                return false;
        }
    }

    private static JsonObject Rules(KubeApiServer server) => new()
    {
        ["rules"] = new JsonArray(server.Faults.Rules.Select(r => (JsonNode)new JsonObject
        {
            ["verb"] = r.Verb,
            ["resource"] = r.Resource,
            ["latencyMs"] = r.Latency.TotalMilliseconds,
            ["errorCode"] = r.ErrorCode,
            ["rate"] = r.Rate,
            ["retryAfterSeconds"] = r.RetryAfterSeconds,
        }).ToArray()),
    };
}
