using System.Text.Json;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Service.Commands;
using k8s;
using k8s.Autorest;

namespace CapiUpgrade.Service.Fleet;

/// <summary>
/// What the campaign planner needs to know about every cluster, read from the management clusters
/// with two LIST requests each (Clusters; control-plane Machines of all clusters), so planning a
/// fleet of thousands stays cheap. etcd health is asked separately (<see cref="EtcdProbe"/>), only of
/// the clusters a plan would upgrade; the engine checks it again before every step.
/// </summary>
public sealed class FleetFacts(ManagementClients clients)
{
    private const string Group = "cluster.x-k8s.io";
    private const string Version = "v1beta1";

    public async Task<IReadOnlyList<ClusterFacts>> ReadAsync(CancellationToken cancellationToken)
    {
        if (clients.Names.Count == 0)
            throw new CommandException("the service has no management cluster: start `capi-upgrade serve --kubeconfig FILE`", 409);
        var all = new List<ClusterFacts>();
        foreach (var (name, client) in clients.All)
        {
            JsonElement clusters, machines;
            try
            {
                clusters = ToJson(await client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, "clusters", cancellationToken: cancellationToken));
                machines = ToJson(await client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, "machines",
                    labelSelector: "cluster.x-k8s.io/control-plane", cancellationToken: cancellationToken));
            }
            catch (HttpOperationException e)
            {
                throw new CommandException($"management cluster '{name}': listing Clusters/Machines failed with {(int)e.Response.StatusCode}: {e.Response.Content}", 502);
            }
            catch (HttpRequestException e)
            {
                throw new CommandException($"management cluster '{name}' is not reachable: {e.Message}", 502);
            }
            var versionsByCluster = new Dictionary<string, List<KubernetesVersion>>(StringComparer.Ordinal);
            foreach (var m in Items(machines))
            {
                if (m.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("deletionTimestamp", out var del) && del.ValueKind == JsonValueKind.String)
                    continue;
                var ns = Str(m, "metadata", "namespace");
                var cluster = Str(m, "spec", "clusterName") ?? Label(m, "cluster.x-k8s.io/cluster-name");
                var version = Str(m, "spec", "version");
                if (ns is null || cluster is null || version is null || !KubernetesVersion.TryParse(version, out var v, out _)) continue;
                var key = $"{ns}/{cluster}";
                if (!versionsByCluster.TryGetValue(key, out var list)) versionsByCluster[key] = list = [];
                list.Add(v);
            }
            foreach (var c in Items(clusters))
            {
                var ns = Str(c, "metadata", "namespace")!;
                var n = Str(c, "metadata", "name")!;
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                if (c.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
                    foreach (var p in l.EnumerateObject()) labels[p.Name] = p.Value.GetString() ?? "";
                var paused = c.TryGetProperty("spec", out var spec) && spec.TryGetProperty("paused", out var p2) && p2.ValueKind == JsonValueKind.True;
                var versions = versionsByCluster.GetValueOrDefault($"{ns}/{n}") ?? [];
                all.Add(new ClusterFacts(new ClusterKey(name, ns, n), labels, versions, paused, versions.Count));
            }
        }
        return all;
    }

    private static JsonElement ToJson(object o) => o is JsonElement e ? e : JsonSerializer.SerializeToElement(o);

    private static IEnumerable<JsonElement> Items(JsonElement list) =>
        list.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array ? items.EnumerateArray() : [];

    private static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    private static string? Label(JsonElement e, string label) =>
        e.TryGetProperty("metadata", out var m) && m.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object && l.TryGetProperty(label, out var v)
            ? v.GetString() : null;
}
