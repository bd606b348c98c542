using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Core.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiUpgrade.Core.Kubeadm;

/// <summary>
/// Edits of kubeadm's <c>ClusterConfiguration</c> YAML (v1beta3 and v1beta4 alike: the key is the same) that
/// change only the field they own. The edit splices the new value into the original text, so every other field,
/// the key order, the quoting and the comments stay as they were.
/// </summary>
public static class ClusterConfigurationYaml
{
    public const string KubernetesVersionKey = "kubernetesVersion";

    /// <summary>The <c>kubernetesVersion</c> value, or null when the key is absent. Throws <see cref="ValidationException"/> when it is not a version.</summary>
    public static KubernetesVersion? ReadKubernetesVersion(string yaml, string objectName = "ConfigMap kube-system/kubeadm-config")
    {
        var root = LoadRootMapping(yaml, objectName);
        if (!TryGetScalar(root, KubernetesVersionKey, out var scalar)) return null;
        if (KubernetesVersion.TryParse(scalar.Value, out var v, out var error)) return v;
        throw new ValidationException(Finding.Error("InvalidKubernetesVersion", objectName,
            $"data.ClusterConfiguration.{KubernetesVersionKey}", error,
            "set kubernetesVersion to a released version such as v1.30.2"));
    }

    /// <summary>Returns the YAML with <c>kubernetesVersion</c> set to <paramref name="version"/> (added at the end of the top level when absent).</summary>
    public static string SetKubernetesVersion(string yaml, KubernetesVersion version, string objectName = "ConfigMap kube-system/kubeadm-config")
    {
        var root = LoadRootMapping(yaml, objectName);
        var text = version.ToString();
        if (TryGetScalar(root, KubernetesVersionKey, out var scalar))
        {
            if (scalar.Value == text) return yaml;
            var start = (int)scalar.Start.Index;
            var end = (int)scalar.End.Index;
            var replacement = scalar.Style switch
            {
                ScalarStyle.DoubleQuoted => $"\"{text}\"",
                ScalarStyle.SingleQuoted => $"'{text}'",
                _ => text,
            };
            if (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any or ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted && end > start)
                return yaml[..start] + replacement + yaml[end..];
        }

        if (root.Style != YamlDotNet.Core.Events.MappingStyle.Flow && root.Children.Count > 0 && !HasKey(root, KubernetesVersionKey))
        {
            var indent = new string(' ', (int)root.Start.Column - 1);
            var body = yaml.EndsWith('\n') ? yaml : yaml + "\n";
            // Insert before a trailing document end marker if there is one.
            var trimmed = body.TrimEnd();
            if (trimmed.EndsWith("...", StringComparison.Ordinal))
                return trimmed[..^3] + $"{indent}{KubernetesVersionKey}: {text}\n...\n";
            return body + $"{indent}{KubernetesVersionKey}: {text}\n";
        }

        // Unusual layout (flow style, block scalar): rewrite through the model, which keeps every field and the order.
        root.Children[new YamlScalarNode(KubernetesVersionKey)] = new YamlScalarNode(text);
        return Save(root);
    }

    internal static YamlMappingNode LoadRootMapping(string yaml, string objectName, string key = "ClusterConfiguration")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            throw new ValidationException(Finding.Error("InvalidYaml", objectName, $"data.{key}",
                $"is not valid YAML ({YamlJson.DescribeError(e)})", $"fix the YAML under data.{key}"));
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ValidationException(Finding.Error("InvalidYaml", objectName, $"data.{key}",
                "is not a YAML mapping", $"data.{key} must hold kubeadm's {key} document"));
        }
        return root;
    }

    internal static bool TryGetScalar(YamlMappingNode map, string key, out YamlScalarNode scalar)
    {
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode ks && ks.Value == key && v is YamlScalarNode vs)
            {
                scalar = vs;
                return true;
            }
        }
        scalar = null!;
        return false;
    }

    internal static bool HasKey(YamlMappingNode map, string key) =>
        map.Children.Keys.Any(k => k is YamlScalarNode ks && ks.Value == key);

    internal static string Save(YamlNode root)
    {
        var stream = new YamlStream(new YamlDocument(root));
        using var w = new StringWriter();
        stream.Save(w, assignAnchors: false);
        return YamlJson.StripDocumentEnd(w.ToString());
    }
}
