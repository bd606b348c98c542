using YamlDotNet.RepresentationModel;

namespace CapiUpgrade.Core.Kubeadm;

/// <summary>
/// kubeadm's <c>ClusterStatus</c> document (kube-system/kubeadm-config before Kubernetes 1.22): its
/// <c>apiEndpoints</c> map Node name → {advertiseAddress, bindPort}. The seed drops entries whose Node no
/// longer exists (before and after replacing Machines). Like <see cref="ClusterConfigurationYaml"/>, entries are
/// cut out of the original text so everything else stays byte for byte.
/// </summary>
public static class ClusterStatusYaml
{
    public const string ApiEndpointsKey = "apiEndpoints";

    /// <summary>The Node names that have an API endpoint entry.</summary>
    public static IReadOnlyList<string> ApiEndpointNodeNames(string yaml, string objectName = "ConfigMap kube-system/kubeadm-config")
    {
        var root = ClusterConfigurationYaml.LoadRootMapping(yaml, objectName, "ClusterStatus");
        return Endpoints(root) is { } endpoints
            ? endpoints.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToList()
            : [];
    }

    /// <summary>Removes the entries whose Node is not in <paramref name="existingNodes"/>; returns the new YAML and the removed names.</summary>
    public static (string Yaml, IReadOnlyList<string> Removed) RemoveEndpointsWithoutNode(
        string yaml, IReadOnlySet<string> existingNodes, string objectName = "ConfigMap kube-system/kubeadm-config")
    {
        var root = ClusterConfigurationYaml.LoadRootMapping(yaml, objectName, "ClusterStatus");
        if (Endpoints(root) is not { } endpoints) return (yaml, []);

        var stale = endpoints.Children
            .Where(kv => kv.Key is YamlScalarNode k && !existingNodes.Contains(k.Value ?? ""))
            .ToList();
        if (stale.Count == 0) return (yaml, []);
        var removed = stale.Select(kv => ((YamlScalarNode)kv.Key).Value ?? "").ToList();

        if (endpoints.Style == YamlDotNet.Core.Events.MappingStyle.Flow || stale.Count == endpoints.Children.Count)
        {
            foreach (var kv in stale) endpoints.Children.Remove(kv.Key);
            if (endpoints.Children.Count == 0) endpoints.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
            return (ClusterConfigurationYaml.Save(root), removed);
        }

        // Block style: cut each stale entry's lines, from the end of the text backwards so offsets stay valid.
        var ranges = new List<(int Start, int End)>();
        foreach (var (key, value) in stale)
        {
            var start = LineStart(yaml, (int)key.Start.Index);
            var end = LineEndInclusive(yaml, LastIndex(value));
            ranges.Add((start, end));
        }
        var text = yaml;
        foreach (var (start, end) in ranges.OrderByDescending(r => r.Start))
            text = text[..start] + text[end..];
        return (text, removed);
    }

    private static YamlMappingNode? Endpoints(YamlMappingNode root) =>
        root.Children.FirstOrDefault(kv => kv.Key is YamlScalarNode k && k.Value == ApiEndpointsKey).Value as YamlMappingNode;

    /// <summary>The character index just after the last scalar inside the node.</summary>
    private static int LastIndex(YamlNode node) => node switch
    {
        YamlScalarNode s => (int)s.End.Index,
        YamlMappingNode m when m.Children.Count > 0 && m.Style != YamlDotNet.Core.Events.MappingStyle.Flow => LastIndex(m.Children.Last().Value),
        YamlSequenceNode q when q.Children.Count > 0 && q.Style != YamlDotNet.Core.Events.SequenceStyle.Flow => LastIndex(q.Children.Last()),
        _ => (int)node.End.Index,
    };

    private static int LineStart(string text, int index)
    {
        var i = Math.Min(index, text.Length);
        while (i > 0 && text[i - 1] != '\n') i--;
        return i;
    }

    private static int LineEndInclusive(string text, int index)
    {
        var i = Math.Max(index, 0);
        if (i > 0 && i <= text.Length && text[i - 1] == '\n') return i;
        while (i < text.Length && text[i] != '\n') i++;
        return i < text.Length ? i + 1 : i;
    }
}
