namespace CapiUpgrade.Kubernetes.Management;

/// <summary>
/// A Kubernetes resource type addressed generically: API group, version, kind and the
/// plural used in REST paths. <see cref="Group"/> is empty for the core group (Secrets, ConfigMaps...).
/// </summary>
public sealed record ResourceKind(string Group, string Version, string Kind, string Plural)
{
    /// <summary><c>group/version</c>, or just <c>version</c> for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>True for the core ("") group, served under <c>/api/v1</c>.</summary>
    public bool IsCore => Group.Length == 0;

    /// <summary>cluster.x-k8s.io/v1beta1 Cluster.</summary>
    public static readonly ResourceKind Cluster = new("cluster.x-k8s.io", "v1beta1", "Cluster", "clusters");
    /// <summary>cluster.x-k8s.io/v1beta1 Machine.</summary>
    public static readonly ResourceKind Machine = new("cluster.x-k8s.io", "v1beta1", "Machine", "machines");
    /// <summary>cluster.x-k8s.io/v1beta1 MachineDeployment.</summary>
    public static readonly ResourceKind MachineDeployment = new("cluster.x-k8s.io", "v1beta1", "MachineDeployment", "machinedeployments");
    /// <summary>bootstrap.cluster.x-k8s.io/v1beta1 KubeadmConfig.</summary>
    public static readonly ResourceKind KubeadmConfig = new("bootstrap.cluster.x-k8s.io", "v1beta1", "KubeadmConfig", "kubeadmconfigs");
    /// <summary>controlplane.cluster.x-k8s.io/v1beta1 KubeadmControlPlane.</summary>
    public static readonly ResourceKind KubeadmControlPlane = new("controlplane.cluster.x-k8s.io", "v1beta1", "KubeadmControlPlane", "kubeadmcontrolplanes");
    /// <summary>infrastructure.cluster.x-k8s.io/v1beta1 DockerMachine.</summary>
    public static readonly ResourceKind DockerMachine = new("infrastructure.cluster.x-k8s.io", "v1beta1", "DockerMachine", "dockermachines");
    /// <summary>infrastructure.cluster.x-k8s.io/v1beta1 DockerCluster.</summary>
    public static readonly ResourceKind DockerCluster = new("infrastructure.cluster.x-k8s.io", "v1beta1", "DockerCluster", "dockerclusters");
    /// <summary>v1 Secret.</summary>
    public static readonly ResourceKind Secret = new("", "v1", "Secret", "secrets");
    /// <summary>v1 ConfigMap.</summary>
    public static readonly ResourceKind ConfigMap = new("", "v1", "ConfigMap", "configmaps");
    /// <summary>v1 Node (cluster-scoped).</summary>
    public static readonly ResourceKind Node = new("", "v1", "Node", "nodes");
    /// <summary>v1 Pod.</summary>
    public static readonly ResourceKind Pod = new("", "v1", "Pod", "pods");
    /// <summary>rbac.authorization.k8s.io/v1 Role.</summary>
    public static readonly ResourceKind Role = new("rbac.authorization.k8s.io", "v1", "Role", "roles");
    /// <summary>rbac.authorization.k8s.io/v1 RoleBinding.</summary>
    public static readonly ResourceKind RoleBinding = new("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings");
    /// <summary>rbac.authorization.k8s.io/v1 ClusterRole (cluster-scoped).</summary>
    public static readonly ResourceKind ClusterRole = new("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles");
    /// <summary>rbac.authorization.k8s.io/v1 ClusterRoleBinding (cluster-scoped).</summary>
    public static readonly ResourceKind ClusterRoleBinding = new("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings");

    /// <summary>
    /// The resource kind named by an object reference (<c>apiVersion</c> + <c>kind</c>, as in
    /// <c>spec.infrastructureRef</c>), with its plural derived by <see cref="Pluralize"/>.
    /// </summary>
    public static ResourceKind FromApiVersionAndKind(string apiVersion, string kind)
    {
        if (string.IsNullOrWhiteSpace(apiVersion))
            throw new ArgumentException($"apiVersion of the {kind} reference is empty; set apiVersion (e.g. 'infrastructure.cluster.x-k8s.io/v1beta1').", nameof(apiVersion));
        if (string.IsNullOrWhiteSpace(kind))
            throw new ArgumentException($"kind of the reference with apiVersion '{apiVersion}' is empty; set kind (e.g. 'DockerMachine').", nameof(kind));
        var slash = apiVersion.LastIndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return new ResourceKind(group, version, kind, Pluralize(kind));
    }

    /// <summary>
    /// The plural resource name Kubernetes derives for a kind: lower-case, then English plural rules as
    /// the API machinery's default RESTMapper applies them ("...s"/"...x"/"...ch"/"...sh"/"...z" → "...es",
    /// consonant+"y" → "...ies", else "...s"), plus known irregular kinds.
    /// </summary>
    public static string Pluralize(string kind)
    {
        var lower = kind.ToLowerInvariant();
        if (Irregular.TryGetValue(lower, out var plural))
            return plural;
        if (lower.EndsWith('s') || lower.EndsWith('x') || lower.EndsWith('z') || lower.EndsWith("ch") || lower.EndsWith("sh"))
            return lower + "es";
        if (lower.Length > 1 && lower.EndsWith('y') && !"aeiou".Contains(lower[^2]))
            return lower[..^1] + "ies";
        return lower + "s";
    }

    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["endpoints"] = "endpoints",
        ["networkpolicy"] = "networkpolicies",
        ["podsecuritypolicy"] = "podsecuritypolicies",
    };

    /// <inheritdoc />
    public override string ToString() => $"{Kind}.{(IsCore ? "core" : Group)}/{Version}";
}
