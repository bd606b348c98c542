using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CapiUpgrade.Simulator.Controllers;
using CapiUpgrade.Simulator.Faults;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>
/// Client of a running fleet's admin endpoint, found through the management kubeconfig (ConfigMap
/// `kube-system/capi-simulator-admin`): what `capi-upgrade sim fault` and `sim dump` use.
/// </summary>
public sealed class FleetAdminClient : IDisposable
{
    private readonly HttpClient _http;

    private FleetAdminClient(HttpClient http) => _http = http;

    /// <summary>Reads the admin URL and token from the management cluster the kubeconfig points at.</summary>
    public static async Task<FleetAdminClient> FromKubeconfigAsync(string kubeconfigYaml, CancellationToken cancellationToken = default)
    {
        using var management = KubeHttpClient.FromKubeconfig(kubeconfigYaml);
        var configMap = await management.GetAsync($"{ApiPaths.ConfigMaps(SimulatedFleet.AdminConfigMapNamespace)}/{SimulatedFleet.AdminConfigMapName}", cancellationToken)
            ?? throw new InvalidOperationException($"ConfigMap {SimulatedFleet.AdminConfigMapNamespace}/{SimulatedFleet.AdminConfigMapName} not found on {management.Server}: is this the kubeconfig written by `capi-upgrade sim serve --kubeconfig-out`?");
        var url = Json.Str(configMap, "data", "url") ?? throw new InvalidOperationException("admin ConfigMap has no data.url.");
        var token = Json.Str(configMap, "data", "token") ?? "";
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new FleetAdminClient(http);
    }

    public async Task<FaultSpec> InjectAsync(FaultSpec fault, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync("/faults", fault, FleetAdminEndpoint.JsonOptions, cancellationToken);
        await EnsureAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<FaultSpec>(FleetAdminEndpoint.JsonOptions, cancellationToken))!;
    }

    /// <summary>Clears faults matching <paramref name="match"/> (kind + cluster [+ machine/member]); all when null.</summary>
    public async Task<IReadOnlyList<FaultSpec>> ClearAsync(FaultSpec? match = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/faults");
        if (match is not null) request.Content = new StringContent(JsonSerializer.Serialize(match, FleetAdminEndpoint.JsonOptions), Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<List<FaultSpec>>(FleetAdminEndpoint.JsonOptions, cancellationToken))!;
    }

    public async Task<IReadOnlyList<FaultSpec>> ListFaultsAsync(CancellationToken cancellationToken = default) =>
        (await _http.GetFromJsonAsync<List<FaultSpec>>("/faults", FleetAdminEndpoint.JsonOptions, cancellationToken))!;

    public Task<string> DumpAsync(CancellationToken cancellationToken = default) => _http.GetStringAsync("/dump", cancellationToken);

    /// <summary>The observer's violations and latest state per cluster, as JSON text.</summary>
    public Task<string> ObserverAsync(CancellationToken cancellationToken = default) => _http.GetStringAsync("/observer", cancellationToken);

    public Task<string> ClustersAsync(CancellationToken cancellationToken = default) => _http.GetStringAsync("/clusters", cancellationToken);

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new InvalidOperationException($"simulator admin endpoint answered {(int)response.StatusCode}: {text}");
    }

    public void Dispose() => _http.Dispose();
}
