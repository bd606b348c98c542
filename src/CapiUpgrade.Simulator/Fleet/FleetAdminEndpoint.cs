using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using CapiUpgrade.Simulator.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>
/// The fleet's admin endpoint on 127.0.0.1 (bearer token): `GET /clusters`, `GET|POST|DELETE /faults`,
/// `GET /observer`, `GET /dump`. Its URL and token are published in the management cluster's ConfigMap
/// `kube-system/capi-simulator-admin`, so `capi-upgrade sim fault|dump` find it through the management kubeconfig.
/// </summary>
public sealed class FleetAdminEndpoint : IAsyncDisposable
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private readonly WebApplication _app;

    private FleetAdminEndpoint(WebApplication app, string url, string token)
    {
        _app = app;
        Url = url;
        Token = token;
    }

    public string Url { get; }
    public string Token { get; }

    public static async Task<FleetAdminEndpoint> StartAsync(SimulatedFleet fleet, int port, CancellationToken cancellationToken)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] }); // no inotify instance per host
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("missing or wrong bearer token: read it from ConfigMap kube-system/capi-simulator-admin of the management cluster\n");
                return;
            }
            await next(context);
        });
        app.MapGet("/clusters", () => Results.Json(fleet.Clusters.Select(c => new
        {
            cluster = c.Key,
            version = c.Version,
            apiServer = c.ApiServerUrl,
            etcd = c.Etcd.Mode.ToString(),
            members = c.Etcd.Processes.Select(p => new { name = p.Name, clientUrl = p.ClientUrl, running = p.IsRunning }),
        }), JsonOptions));
        app.MapGet("/faults", () => Results.Json(fleet.Faults.Active, JsonOptions));
        app.MapPost("/faults", async (HttpContext context) =>
        {
            var fault = await context.Request.ReadFromJsonAsync<FaultSpec>(JsonOptions, context.RequestAborted);
            if (fault is null) return Results.BadRequest(new { error = "body must be a fault: {\"kind\": \"NodeNeverReady\", \"cluster\": \"ns/name\", ...}" });
            try
            {
                await fleet.Faults.InjectAsync(fault, context.RequestAborted);
                return Results.Json(fault, JsonOptions);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Grpc.Core.RpcException)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        app.MapDelete("/faults", async (HttpContext context) =>
        {
            FaultSpec? match = null;
            if (context.Request.ContentLength > 0)
                match = await context.Request.ReadFromJsonAsync<FaultSpec>(JsonOptions, context.RequestAborted);
            try
            {
                var cleared = match is null ? await fleet.Faults.ClearAsync(cancellationToken: context.RequestAborted) : await fleet.Faults.ClearAsync(match, context.RequestAborted);
                return Results.Json(cleared, JsonOptions);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Grpc.Core.RpcException)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        app.MapGet("/observer", () => Results.Json(new
        {
            violations = fleet.Observer.Violations,
            latest = fleet.Observer.LatestAll.Values.OrderBy(l => l.Cluster, StringComparer.Ordinal),
        }, JsonOptions));
        app.MapGet("/dump", () => Results.Text(fleet.Dump(), "application/yaml"));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FleetAdminEndpoint(app, $"http://127.0.0.1:{new Uri(address).Port}", token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
