using System.Text.Json.Nodes;
using CapiUpgrade.Core.Objects;
using CapiUpgrade.Core.Yaml;
using YamlDotNet.Core;

namespace CapiUpgrade.Core.Patches;

/// <summary>
/// A patch the operator supplies for the infrastructure clone (<c>--infra-patch</c>), the bootstrap clone
/// (<c>--bootstrap-patch</c>) or kubeadm-config (<c>--kubeadm-config-patch</c>), as the seed tool had them.
/// A file holding a JSON/YAML array is an RFC 6902 JSON patch; one holding an object is an RFC 7386 merge patch.
/// </summary>
public sealed class OperatorPatch
{
    private OperatorPatch(string source, JsonPatch? jsonPatch, JsonNode? mergePatch)
    {
        Source = source;
        Json = jsonPatch;
        Merge = mergePatch;
    }

    public string Source { get; }
    public JsonPatch? Json { get; }
    public JsonNode? Merge { get; }
    public bool IsMergePatch => Json is null;

    public static OperatorPatch FromJsonPatch(JsonPatch patch) => new(patch.Source, patch, null);

    public static OperatorPatch FromMergePatch(JsonObject patch, string source = "merge patch") => new(source, null, patch.DeepClone());

    /// <summary>Parses JSON or YAML text; <paramref name="source"/> (e.g. the file name) appears in every error.</summary>
    public static OperatorPatch Parse(string text, string source)
    {
        JsonNode? node;
        try
        {
            node = YamlJson.Parse(text);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            throw new PatchException(source, null, "(document)", "", "the patch file",
                $"is neither valid JSON nor YAML ({YamlJson.DescribeError(e)})",
                "fix the syntax of the file");
        }
        return node switch
        {
            JsonArray => new OperatorPatch(source, JsonPatch.FromNode(node, source), null),
            JsonObject o => new OperatorPatch(source, null, o),
            _ => throw new PatchException(source, null, "(document)", "", "the patch file",
                "is empty or not a list of operations or an object",
                "write an RFC 6902 array of operations, or an RFC 7386 merge patch object"),
        };
    }

    /// <summary>Applies to a copy of <paramref name="target"/>; throws <see cref="PatchException"/> naming the failing op, path and object.</summary>
    public JsonObject Apply(JsonObject target, string? targetName = null)
    {
        var name = targetName ?? target.Describe();
        var result = Json is not null ? Json.Apply(target, name) : MergePatch.Apply(target, Merge);
        return result as JsonObject
               ?? throw new PatchException(Source, null, IsMergePatch ? "merge" : "(patch)", "", name,
                   "the patch replaced the whole object with something that is not an object", "patch fields below the root, not the root itself");
    }

    /// <summary>The pointers this patch writes or removes; fields the operator patched are the operator's responsibility.</summary>
    public IReadOnlyList<JsonPointer> TouchedPaths() =>
        Json is not null
            ? Json.Operations.Where(o => o.Op != "test").Select(o => o.Path).ToList()
            : MergePatch.TouchedPaths(Merge).ToList();
}
