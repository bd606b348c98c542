using System.Collections.Concurrent;

namespace CapiUpgrade.Simulator.ApiServer.Resources;

/// <summary>
/// The kinds one API server serves: the core kinds the product touches and the Cluster API kinds,
/// namespaced or cluster-scoped as in the real API. Thread-safe; kinds can be added (e.g. from CRD files).
/// </summary>
public sealed class ResourceRegistry
{
    private readonly ConcurrentDictionary<(string Group, string Version, string Plural), ResourceType> _byPath = new();
    // Indexes for the lookups every request makes (enumerating a ConcurrentDictionary's Keys or Values copies them).
    private readonly ConcurrentDictionary<(string Group, string Version, string Kind), ResourceType> _byKind = new();
    private readonly ConcurrentDictionary<(string Group, string Version), bool> _groupVersions = new();
    private readonly Lock _adding = new();

    public ResourceRegistry(IEnumerable<ResourceType> types)
    {
        foreach (var t in types) Add(t);
    }

    /// <summary>A registry with <see cref="BuiltIn"/> kinds.</summary>
    public static ResourceRegistry CreateDefault() => new(BuiltIn);

    public void Add(ResourceType type)
    {
        lock (_adding)
        {
            if (_byPath.TryGetValue((type.Group, type.Version, type.Plural), out var replaced))
                _byKind.TryRemove((replaced.Group, replaced.Version, replaced.Kind), out _);
            _byPath[(type.Group, type.Version, type.Plural)] = type;
            _byKind[(type.Group, type.Version, type.Kind)] = type;
            _groupVersions[(type.Group, type.Version)] = true;
        }
    }

    public IReadOnlyCollection<ResourceType> All => _byPath.Values.OrderBy(t => t.Group, StringComparer.Ordinal).ThenBy(t => t.Plural, StringComparer.Ordinal).ToList();

    public ResourceType? Find(string group, string version, string plural) =>
        _byPath.TryGetValue((group, version, plural), out var t) ? t : null;

    /// <summary>Finds by apiVersion ("v1", "apps/v1") and kind.</summary>
    public ResourceType? FindByKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return _byKind.TryGetValue((group, version, kind), out var t) ? t : null;
    }

    public bool HasGroupVersion(string group, string version) => _groupVersions.ContainsKey((group, version));

    private static readonly Dictionary<string, string> PodMergeKeys = new()
    {
        ["spec.containers"] = "name",
        ["spec.initContainers"] = "name",
        ["spec.volumes"] = "name",
        ["status.conditions"] = "type",
    };

    private static readonly Dictionary<string, string> PodTemplateMergeKeys = new()
    {
        ["spec.template.spec.containers"] = "name",
        ["spec.template.spec.initContainers"] = "name",
        ["spec.template.spec.volumes"] = "name",
        ["status.conditions"] = "type",
    };

    private static ResourceType Core(string kind, string plural, bool namespaced, bool status = false, string[]? shortNames = null) =>
        new("", "v1", kind, plural, namespaced, status, TracksGeneration: false, IsCustom: false, shortNames ?? []);

    private static ResourceType Capi(string group, string kind, string plural, bool status, params string[] shortNames) =>
        new(group, "v1beta1", kind, plural, Namespaced: true, status, TracksGeneration: true, IsCustom: true, shortNames)
        {
            MergeKeys = new Dictionary<string, string> { ["status.conditions"] = "type" },
        };

    /// <summary>The kinds every simulated API server serves.</summary>
    public static IReadOnlyList<ResourceType> BuiltIn { get; } =
    [
        Core("Namespace", "namespaces", namespaced: false, status: true, ["ns"]) with
        {
            ExtraFieldSelectors = ["status.phase"],
            MergeKeys = new Dictionary<string, string> { ["status.conditions"] = "type" },
        },
        Core("Node", "nodes", namespaced: false, status: true, ["no"]) with
        {
            ExtraFieldSelectors = ["spec.unschedulable"],
            MergeKeys = new Dictionary<string, string>
            {
                ["status.conditions"] = "type",
                ["status.addresses"] = "type",
                ["spec.taints"] = "key",
            },
        },
        Core("Pod", "pods", namespaced: true, status: true, ["po"]) with
        {
            ExtraFieldSelectors = ["spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName"],
            MergeKeys = PodMergeKeys,
        },
        Core("ConfigMap", "configmaps", namespaced: true, shortNames: ["cm"]),
        Core("Secret", "secrets", namespaced: true) with { ExtraFieldSelectors = ["type"] },
        Core("Event", "events", namespaced: true, shortNames: ["ev"]) with
        {
            ExtraFieldSelectors = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        },
        Core("ServiceAccount", "serviceaccounts", namespaced: true, shortNames: ["sa"]),
        new("rbac.authorization.k8s.io", "v1", "Role", "roles", true, false, false, false, []),
        new("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, false, false, false, []),
        new("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, false, false, false, []),
        new("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, false, false, false, []),
        new("apps", "v1", "Deployment", "deployments", true, true, true, false, ["deploy"]) { MergeKeys = PodTemplateMergeKeys },
        new("apps", "v1", "DaemonSet", "daemonsets", true, true, true, false, ["ds"]) { MergeKeys = PodTemplateMergeKeys },
        Capi("cluster.x-k8s.io", "Cluster", "clusters", true, "cl"),
        Capi("cluster.x-k8s.io", "Machine", "machines", true, "ma"),
        Capi("cluster.x-k8s.io", "MachineSet", "machinesets", true, "ms"),
        Capi("cluster.x-k8s.io", "MachineDeployment", "machinedeployments", true, "md"),
        Capi("cluster.x-k8s.io", "MachineHealthCheck", "machinehealthchecks", true, "mhc", "mhcs"),
        Capi("cluster.x-k8s.io", "ClusterClass", "clusterclasses", true, "cc"),
        Capi("bootstrap.cluster.x-k8s.io", "KubeadmConfig", "kubeadmconfigs", true),
        Capi("bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate", "kubeadmconfigtemplates", false),
        Capi("controlplane.cluster.x-k8s.io", "KubeadmControlPlane", "kubeadmcontrolplanes", true, "kcp"),
        Capi("infrastructure.cluster.x-k8s.io", "DockerCluster", "dockerclusters", true),
        Capi("infrastructure.cluster.x-k8s.io", "DockerMachine", "dockermachines", true),
        Capi("infrastructure.cluster.x-k8s.io", "DockerMachineTemplate", "dockermachinetemplates", false),
    ];
}
