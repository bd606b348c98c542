using System.Text.Json.Nodes;

namespace CapiUpgrade.Core.Patches;

/// <summary>One RFC 6902 operation: op (add, remove, replace, move, copy, test), path, and value or from.</summary>
public sealed record JsonPatchOperation(string Op, JsonPointer Path, JsonNode? Value = null, JsonPointer? From = null)
{
    public static readonly IReadOnlySet<string> KnownOps = new HashSet<string> { "add", "remove", "replace", "move", "copy", "test" };

    public override string ToString() => From is null ? $"{Op} {Path}" : $"{Op} {From} -> {Path}";
}
