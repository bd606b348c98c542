using System.Text.Json.Nodes;

namespace CapiUpgrade.Kubernetes.Tests.Support;

/// <summary>Minimal CAPI v1beta1 objects as JSON, shaped like the real ones.</summary>
internal static class CapiObjects
{
    public static JsonObject Cluster(string ns, string name) => new()
    {
        ["apiVersion"] = "cluster.x-k8s.io/v1beta1",
        ["kind"] = "Cluster",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject(),
    };

    public static JsonObject Machine(string ns, string cluster, string name, bool controlPlane = true, string version = "v1.29.4")
    {
        var labels = new JsonObject { ["cluster.x-k8s.io/cluster-name"] = cluster };
        if (controlPlane)
            labels["cluster.x-k8s.io/control-plane"] = "";
        return new JsonObject
        {
            ["apiVersion"] = "cluster.x-k8s.io/v1beta1",
            ["kind"] = "Machine",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
            ["spec"] = new JsonObject
            {
                ["clusterName"] = cluster,
                ["version"] = version,
                ["bootstrap"] = new JsonObject { ["configRef"] = new JsonObject { ["apiVersion"] = "bootstrap.cluster.x-k8s.io/v1beta1", ["kind"] = "KubeadmConfig", ["name"] = name } },
                ["infrastructureRef"] = new JsonObject { ["apiVersion"] = "infrastructure.cluster.x-k8s.io/v1beta1", ["kind"] = "DockerMachine", ["name"] = name },
            },
        };
    }

    public static JsonObject KubeadmConfig(string ns, string cluster, string name) => new()
    {
        ["apiVersion"] = "bootstrap.cluster.x-k8s.io/v1beta1",
        ["kind"] = "KubeadmConfig",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["cluster.x-k8s.io/cluster-name"] = cluster } },
        ["spec"] = new JsonObject { ["initConfiguration"] = new JsonObject(), ["clusterConfiguration"] = new JsonObject() },
    };

    public static JsonObject Secret(string ns, string name, IReadOnlyDictionary<string, string> data, JsonObject? owner = null)
    {
        var encoded = new JsonObject();
        foreach (var (key, value) in data)
            encoded[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (owner is not null)
            metadata["ownerReferences"] = new JsonArray(owner);
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = metadata, ["type"] = "Opaque", ["data"] = encoded };
    }

    public static string Name(JsonObject obj) => obj["metadata"]!["name"]!.GetValue<string>();
    public static string Uid(JsonObject obj) => obj["metadata"]!["uid"]!.GetValue<string>();
}
