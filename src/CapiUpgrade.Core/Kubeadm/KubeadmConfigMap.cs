using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Kubeadm;

/// <summary>The result of an edit: the ConfigMap to write back (a copy, with the original resourceVersion so the update is preconditioned), whether anything changed, and the API endpoints removed.</summary>
public sealed record KubeadmConfigMapEdit(JsonObject ConfigMap, bool Changed, IReadOnlyList<string> RemovedApiEndpoints);

/// <summary>
/// The <c>kube-system/kubeadm-config</c> ConfigMap: <c>data.ClusterConfiguration</c> (always) and
/// <c>data.ClusterStatus</c> (only before Kubernetes 1.22). Edits return a copy and never drop a field.
/// </summary>
public static class KubeadmConfigMap
{
    public const string ClusterConfigurationKey = "ClusterConfiguration";
    public const string ClusterStatusKey = "ClusterStatus";

    /// <summary>The ClusterConfiguration's kubernetesVersion, or null when the key is absent.</summary>
    public static KubernetesVersion? ReadKubernetesVersion(JsonObject configMap) =>
        ClusterConfigurationYaml.ReadKubernetesVersion(ClusterConfiguration(configMap), configMap.Describe());

    /// <summary>Sets <c>ClusterConfiguration.kubernetesVersion</c> (step 7 of the seed).</summary>
    public static KubeadmConfigMapEdit SetKubernetesVersion(JsonObject configMap, KubernetesVersion version)
    {
        var yaml = ClusterConfiguration(configMap);
        var updated = ClusterConfigurationYaml.SetKubernetesVersion(yaml, version, configMap.Describe());
        if (updated == yaml) return new KubeadmConfigMapEdit(configMap.DeepCopy(), false, []);
        var copy = configMap.DeepCopy();
        copy.GetOrAddObject("data")[ClusterConfigurationKey] = updated;
        return new KubeadmConfigMapEdit(copy, true, []);
    }

    /// <summary>
    /// Drops <c>ClusterStatus.apiEndpoints</c> entries whose Node is not in <paramref name="nodeNames"/> (steps 2 and 9
    /// of the seed). A ConfigMap without ClusterStatus (Kubernetes ≥ 1.22) is returned unchanged.
    /// </summary>
    public static KubeadmConfigMapEdit ReconcileApiEndpoints(JsonObject configMap, IEnumerable<string> nodeNames)
    {
        if (configMap.GetString("data", ClusterStatusKey) is not { } status)
            return new KubeadmConfigMapEdit(configMap.DeepCopy(), false, []);
        var (updated, removed) = ClusterStatusYaml.RemoveEndpointsWithoutNode(status, nodeNames.ToHashSet(), configMap.Describe());
        var copy = configMap.DeepCopy();
        if (removed.Count == 0) return new KubeadmConfigMapEdit(copy, false, []);
        copy.GetOrAddObject("data")[ClusterStatusKey] = updated;
        return new KubeadmConfigMapEdit(copy, true, removed);
    }

    /// <summary>
    /// Applies the operator's <c>--kubeadm-config-patch</c> to the ClusterConfiguration document (not to the ConfigMap):
    /// e.g. <c>[{"op":"replace","path":"/imageRepository","value":"mirror.local"}]</c> or <c>{"etcd":{"local":{"extraArgs":{...}}}}</c>.
    /// The document is re-written from the patched model: every field is kept, comments are not.
    /// </summary>
    public static KubeadmConfigMapEdit ApplyClusterConfigurationPatch(JsonObject configMap, Patches.OperatorPatch patch)
    {
        var yaml = ClusterConfiguration(configMap);
        ClusterConfigurationYaml.LoadRootMapping(yaml, configMap.Describe()); // readable error on bad YAML
        var document = Yaml.YamlJson.Parse(yaml) as JsonObject ?? new JsonObject();
        var patched = patch.Apply(document, $"{configMap.Describe()} data.{ClusterConfigurationKey}");
        if (JsonNode.DeepEquals(document, patched)) return new KubeadmConfigMapEdit(configMap.DeepCopy(), false, []);
        var copy = configMap.DeepCopy();
        copy.GetOrAddObject("data")[ClusterConfigurationKey] = Yaml.YamlJson.ToYaml(patched);
        return new KubeadmConfigMapEdit(copy, true, []);
    }

    /// <summary>True when the ConfigMap carries ClusterStatus (a pre-1.22 cluster).</summary>
    public static bool HasClusterStatus(JsonObject configMap) => configMap.GetString("data", ClusterStatusKey) is not null;

    private static string ClusterConfiguration(JsonObject configMap) =>
        configMap.GetString("data", ClusterConfigurationKey)
        ?? throw new ValidationException(Finding.Error("MissingClusterConfiguration", configMap.Describe(),
            $"data.{ClusterConfigurationKey}", "the ConfigMap has no ClusterConfiguration",
            "check that the workload cluster was created by kubeadm (kube-system/kubeadm-config must hold data.ClusterConfiguration)"));
}
