using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>One workload cluster's API (see <see cref="IWorkloadCluster"/>).</summary>
/// <param name="streams">
/// A client for WebSocket streams (port-forward), made when first needed: KubernetesClient opens those with the
/// client certificates and authority of its own handler, which the request client's TLS settings replace
/// (<see cref="KubernetesClients"/>).
/// </param>
internal sealed class WorkloadCluster(ClusterKey cluster, ResourceClient resources, RetryOptions retry, Lazy<k8s.Kubernetes>? streams = null) : IWorkloadCluster, IDisposable
{
    private const string KubeSystem = "kube-system";

    public ClusterKey Cluster => cluster;

    internal ResourceClient Resources => resources;

    public async Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancellationToken) =>
        (await resources.ListAsync(ResourceKind.Node, null, null, cancellationToken)).Items.Select(WorkloadParsing.ToNode).ToList();

    public async Task<NodeInfo?> GetNodeAsync(string name, CancellationToken cancellationToken) =>
        await resources.GetAsync(ResourceKind.Node, null, name, cancellationToken) is { } node ? WorkloadParsing.ToNode(node) : null;

    public async Task<IReadOnlyList<PodInfo>> ListKubeSystemPodsAsync(string? labelSelector, CancellationToken cancellationToken) =>
        (await resources.ListAsync(ResourceKind.Pod, KubeSystem, labelSelector, cancellationToken)).Items.Select(WorkloadParsing.ToPod).ToList();

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetEtcdClientUrlsAsync(CancellationToken cancellationToken)
    {
        var pods = await ListKubeSystemPodsAsync("component=etcd", cancellationToken);
        return pods.Where(p => p.EtcdClientUrls.Count > 0)
            .GroupBy(p => p.NodeName ?? p.Name)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.SelectMany(p => p.EtcdClientUrls).Distinct().ToList());
    }

    public async Task<Stream> PortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        var client = streams?.Value ?? throw new InvalidOperationException($"workload cluster {cluster}: this client was made without a stream client; port-forward is not available");
        var target = $"pod {@namespace}/{pod} port {port} of workload cluster {cluster}";
        try
        {
            var socket = await client.WebSocketNamespacedPodPortForwardAsync(pod, @namespace, [port], "portforward.k8s.io",
                new Dictionary<string, List<string>> { ["User-Agent"] = [KubernetesClients.UserAgent.ToString()] }, cancellationToken);
            return new PortForwardStream(socket, target);
        }
        catch (System.Net.WebSockets.WebSocketException e)
        {
            // The API server answered instead of upgrading to a WebSocket (its status code is in the message): say
            // so, and what port-forward needs.
            throw new IOException($"port-forward to {target} refused by the API server: {e.Message}"
                                  + " (the workload kubeconfig's user needs create on pods/portforward in that namespace)", e);
        }
    }

    public async Task<ConfigMapData?> GetConfigMapAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        await resources.GetAsync(ResourceKind.ConfigMap, @namespace, name, cancellationToken) is { } cm ? ToConfigMap(cm) : null;

    public async Task<ConfigMapData?> UpdateConfigMapAsync(string @namespace, string name, Func<IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>?> mutate, CancellationToken cancellationToken)
    {
        KubernetesApiException? lastConflict = null;
        for (var attempt = 1; attempt <= Math.Max(1, retry.MaxConflictAttempts); attempt++)
        {
            var current = await resources.GetAsync(ResourceKind.ConfigMap, @namespace, name, cancellationToken);
            if (current is null)
                return null;
            var data = ToConfigMap(current);
            var updated = mutate(data.Data);
            if (updated is null)
                return data;
            var copy = current.DeepClone().AsObject();
            copy["data"] = ToJson(updated);
            try
            {
                return ToConfigMap(await resources.ReplaceAsync(ResourceKind.ConfigMap, @namespace, name, copy, cancellationToken));
            }
            catch (KubernetesApiException e) when (e.IsConflict)
            {
                lastConflict = e;
                await Task.Delay(retry.BackoffAfter(attempt) / 4, cancellationToken);
            }
        }
        throw new KubernetesApiException(
            $"UPDATE ConfigMap {@namespace}/{name} in workload cluster {cluster} kept conflicting after {retry.MaxConflictAttempts} attempts; find the concurrent writer or raise the conflict retry budget.",
            lastConflict?.StatusCode, lastConflict?.Reason, lastConflict);
    }

    public async Task<(ConfigMapData ConfigMap, bool Created)> CreateOrGetConfigMapAsync(string @namespace, string name, IReadOnlyDictionary<string, string> data, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["data"] = ToJson(data),
        };
        var (obj, created) = await CreateOrGetAsync(ResourceKind.ConfigMap, @namespace, name, body, cancellationToken);
        return (ToConfigMap(obj), created);
    }

    public async Task<bool> EnsureRoleAsync(string @namespace, string name, IReadOnlyList<RbacRule> rules, CancellationToken cancellationToken) =>
        (await CreateOrGetAsync(ResourceKind.Role, @namespace, name, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "Role",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["rules"] = Rules(rules),
        }, cancellationToken)).Created;

    public async Task<bool> EnsureRoleBindingAsync(string @namespace, string name, string roleName, IReadOnlyList<RbacSubject> subjects, CancellationToken cancellationToken) =>
        (await CreateOrGetAsync(ResourceKind.RoleBinding, @namespace, name, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "RoleBinding",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = @namespace },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = roleName },
            ["subjects"] = Subjects(subjects),
        }, cancellationToken)).Created;

    public async Task<bool> EnsureClusterRoleAsync(string name, IReadOnlyList<RbacRule> rules, CancellationToken cancellationToken) =>
        (await CreateOrGetAsync(ResourceKind.ClusterRole, null, name, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["rules"] = Rules(rules),
        }, cancellationToken)).Created;

    public async Task<bool> EnsureClusterRoleBindingAsync(string name, string clusterRoleName, IReadOnlyList<RbacSubject> subjects, CancellationToken cancellationToken) =>
        (await CreateOrGetAsync(ResourceKind.ClusterRoleBinding, null, name, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = clusterRoleName },
            ["subjects"] = Subjects(subjects),
        }, cancellationToken)).Created;

    private async Task<(JsonObject Object, bool Created)> CreateOrGetAsync(ResourceKind kind, string? ns, string name, JsonObject body, CancellationToken ct)
    {
        try
        {
            return (await resources.CreateAsync(kind, ns, body, ct), true);
        }
        catch (KubernetesApiException e) when (e.Reason == "AlreadyExists" || (e.StatusCode == System.Net.HttpStatusCode.Conflict && !e.IsConflict))
        {
            return (await resources.GetAsync(kind, ns, name, ct) ?? await resources.CreateAsync(kind, ns, body, ct), false);
        }
    }

    private static ConfigMapData ToConfigMap(JsonObject cm)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (cm["data"] is JsonObject values)
        {
            foreach (var (key, value) in values)
                data[key] = value?.GetValue<string>() ?? "";
        }
        var metadata = cm["metadata"];
        return new ConfigMapData(metadata?["namespace"]?.GetValue<string>() ?? "", metadata?["name"]?.GetValue<string>() ?? "", data, metadata?["resourceVersion"]?.GetValue<string>());
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> data)
    {
        var json = new JsonObject();
        foreach (var (key, value) in data.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            json[key] = value;
        return json;
    }

    private static JsonArray Rules(IReadOnlyList<RbacRule> rules)
    {
        var array = new JsonArray();
        foreach (var rule in rules)
        {
            var json = new JsonObject
            {
                ["apiGroups"] = Strings(rule.ApiGroups),
                ["resources"] = Strings(rule.Resources),
                ["verbs"] = Strings(rule.Verbs),
            };
            if (rule.ResourceNames is { Count: > 0 } names)
                json["resourceNames"] = Strings(names);
            array.Add(json);
        }
        return array;
    }

    private static JsonArray Subjects(IReadOnlyList<RbacSubject> subjects)
    {
        var array = new JsonArray();
        foreach (var subject in subjects)
        {
            var json = new JsonObject { ["kind"] = subject.Kind, ["name"] = subject.Name };
            if (subject.Kind is "User" or "Group")
                json["apiGroup"] = "rbac.authorization.k8s.io";
            if (subject.Namespace is not null)
                json["namespace"] = subject.Namespace;
            array.Add(json);
        }
        return array;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    public void Dispose()
    {
        resources.Client.Dispose();
        if (streams is { IsValueCreated: true }) streams.Value.Dispose();
    }
}
