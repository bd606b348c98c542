using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;

namespace CapiUpgrade.Core.Cloning;

/// <summary>A clone and what was found while making it. Use the object only when <see cref="IsRefused"/> is false.</summary>
public sealed record CloneResult(JsonObject Object, IReadOnlyList<Finding> Findings)
{
    public bool IsRefused => Findings.Any(f => f.IsError);

    /// <summary>The object, or a <see cref="ValidationException"/> carrying the findings.</summary>
    public JsonObject ObjectOrThrow() =>
        IsRefused ? throw new ValidationException(Findings.Where(f => f.IsError).ToList()) : Object;
}
