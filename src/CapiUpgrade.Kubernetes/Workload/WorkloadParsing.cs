using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>Pure conversions of workload objects (JSON) into the records the engine uses, and readiness rules.</summary>
public static class WorkloadParsing
{
    /// <summary>The control-plane static pod components that must be Ready on a control-plane Node.</summary>
    public static readonly IReadOnlyList<string> ControlPlaneComponents = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    /// <summary>A Node's JSON as <see cref="NodeInfo"/>.</summary>
    public static NodeInfo ToNode(JsonObject node)
    {
        var metadata = node["metadata"];
        return new NodeInfo(
            metadata?["name"]?.GetValue<string>() ?? "",
            node["spec"]?["providerID"]?.GetValue<string>(),
            ConditionTrue(node, "Ready"),
            node["status"]?["nodeInfo"]?["kubeletVersion"]?.GetValue<string>(),
            metadata?["labels"] is JsonObject labels && labels.ContainsKey(CapiConventions.NodeControlPlaneRoleLabel),
            metadata?["resourceVersion"]?.GetValue<string>());
    }

    /// <summary>A Pod's JSON as <see cref="PodInfo"/>.</summary>
    public static PodInfo ToPod(JsonObject pod)
    {
        var metadata = pod["metadata"];
        var urls = metadata?["annotations"]?[CapiConventions.EtcdAdvertiseClientUrlsAnnotation]?.GetValue<string>();
        return new PodInfo(
            metadata?["name"]?.GetValue<string>() ?? "",
            pod["spec"]?["nodeName"]?.GetValue<string>(),
            metadata?["labels"]?["component"]?.GetValue<string>(),
            ConditionTrue(pod, "Ready"),
            urls is null ? [] : urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            metadata?["resourceVersion"]?.GetValue<string>());
    }

    /// <summary>
    /// The control-plane components (of <see cref="ControlPlaneComponents"/>) that do not have a Ready pod on
    /// <paramref name="nodeName"/>; empty when all four are Ready.
    /// </summary>
    public static IReadOnlyList<string> MissingReadyStaticPods(IEnumerable<PodInfo> pods, string nodeName)
    {
        var ready = pods.Where(p => p.NodeName == nodeName && p.Ready && p.Component is not null).Select(p => p.Component!).ToHashSet(StringComparer.Ordinal);
        return ControlPlaneComponents.Where(c => !ready.Contains(c)).ToList();
    }

    /// <summary>The Node whose <c>spec.providerID</c> equals <paramref name="providerId"/>, else null.</summary>
    public static NodeInfo? FindByProviderId(IEnumerable<NodeInfo> nodes, string providerId) =>
        nodes.FirstOrDefault(n => string.Equals(n.ProviderId, providerId, StringComparison.Ordinal));

    private static bool ConditionTrue(JsonObject obj, string type)
    {
        if (obj["status"]?["conditions"] is not JsonArray conditions)
            return false;
        foreach (var condition in conditions)
        {
            if (condition?["type"]?.GetValue<string>() == type)
                return condition["status"]?.GetValue<string>() == "True";
        }
        return false;
    }
}
