using System.Text;
using System.Text.Json;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CapiUpgrade.Service.Http;

/// <summary>
/// The HTTP/JSON API (port 9111): the operator commands as JSON for scripts and a web page.
/// <list type="bullet">
/// <item><c>GET|POST /api/{palette}/{command}</c> — arguments from the query string and/or a JSON object body;
/// answers the command's data as JSON (errors: <c>{"error": "..."}</c> with 400/401/404/409).</item>
/// <item>Streaming commands (<c>/api/upgrade/tail</c>, <c>/api/campaign/tail</c>) answer server-sent events.</item>
/// <item><c>GET /api/upgrades</c>, <c>/api/upgrades/{cluster}</c>, <c>/api/campaigns</c>, <c>/api/campaigns/{id}</c> — shortcuts.</item>
/// <item><c>GET /api/palettes</c> — the command catalog; <c>GET /metrics</c> — Prometheus text; <c>GET /healthz</c> — the
/// process answers; <c>GET /readyz</c> — 200 once the read model has caught up with the journal (until then 503, saying
/// how far it got): what a readiness probe should ask, since until then `upgrade list` may miss upgrades.</item>
/// </list>
/// With a token configured every path but <c>/healthz</c> and <c>/readyz</c> needs <c>Authorization: Bearer TOKEN</c>.
/// </summary>
public static class HttpApi
{
    public static void UseTokenAuthentication(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz")) { await next(); return; }
            var guard = context.RequestServices.GetRequiredService<TokenGuard>();
            if (guard.Required)
            {
                var header = context.Request.Headers.Authorization.ToString();
                var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
                if (!guard.Accepts(presented, "http", context.Connection.RemoteIpAddress?.ToString() ?? "unknown"))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await context.Response.WriteAsJsonAsync(new { error = "unauthorized: send Authorization: Bearer TOKEN (the service's --token-file)" });
                    return;
                }
            }
            await next();
        });
    }

    public static void MapCommandApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => Results.Text("ok\n"));
        routes.MapGet("/readyz", (ReadModel.ReadModelProjection projection) => projection.CaughtUp.IsCompletedSuccessfully
            ? Results.Text("ready\n")
            : Results.Text($"catching up: the read model has read {projection.FoldedSinceStart} journal events"
                           + (projection.RestoredFrom is { } from ? $" after its checkpoint at offset {from}" : " (from the start of the journal)") + "\n",
                statusCode: StatusCodes.Status503ServiceUnavailable));
        routes.MapGet("/api/palettes", () => Results.Json(CommandCatalog.Palettes, CommandJson.Options));
        routes.MapGet("/api/upgrades", (HttpContext c) => RunAsync(c, "upgrade", "list", null));
        routes.MapGet("/api/upgrades/{**cluster}", (HttpContext c, string cluster) => RunAsync(c, "upgrade", "show", new() { ["cluster"] = cluster }));
        routes.MapGet("/api/campaigns", (HttpContext c) => RunAsync(c, "campaign", "list", null));
        routes.MapGet("/api/campaigns/{id}", (HttpContext c, string id) => RunAsync(c, "campaign", "show", new() { ["campaign"] = id }));
        routes.MapMethods("/api/{palette}/{command}", ["GET", "POST"], (HttpContext c, string palette, string command) => RunAsync(c, palette, command, null));
    }

    private static async Task RunAsync(HttpContext context, string palette, string command, Dictionary<string, string>? fixedArgs)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query) args[key] = value.ToString();
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.ContentLength is not 0)
        {
            try
            {
                var body = await JsonSerializer.DeserializeAsync<Dictionary<string, JsonElement>>(context.Request.Body, CommandJson.Options, context.RequestAborted);
                foreach (var (key, value) in body ?? [])
                    args[key] = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            }
            catch (JsonException e)
            {
                await WriteError(context, CommandReply.Failure($"the body must be a JSON object of argument names to values: {e.Message}", 400));
                return;
            }
        }
        foreach (var (key, value) in fixedArgs ?? []) args[key] = value;
        var user = context.Request.Headers["X-Capi-Upgrade-User"].ToString();
        var request = new CommandRequest
        {
            Palette = palette,
            Command = command,
            Args = args,
            User = string.IsNullOrEmpty(user) ? $"http:{context.Connection.RemoteIpAddress}" : user,
        };
        var dispatcher = context.RequestServices.GetRequiredService<CommandDispatcher>();
        if (dispatcher.IsStreaming(request))
        {
            await StreamAsync(context, dispatcher, request);
            return;
        }
        var reply = await dispatcher.ExecuteAsync(request, context.RequestAborted);
        if (reply.Kind == ReplyKinds.Error) { await WriteError(context, reply); return; }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(reply.Data, CommandJson.Options), context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, CommandDispatcher dispatcher, CommandRequest request)
    {
        var invalid = dispatcher.Check(request);
        if (invalid is not null) { await WriteError(context, invalid); return; }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await foreach (var reply in dispatcher.StreamAsync(request, context.RequestAborted))
        {
            var json = JsonSerializer.Serialize(new { data = reply.Data, line = reply.Line, error = reply.Error }, CommandJson.Options);
            await context.Response.WriteAsync($"event: {reply.Kind}\ndata: {json}\n\n", Encoding.UTF8, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    private static Task WriteError(HttpContext context, CommandReply reply)
    {
        context.Response.StatusCode = reply.Status ?? 500;
        return context.Response.WriteAsJsonAsync(new { error = reply.Error }, context.RequestAborted);
    }
}
