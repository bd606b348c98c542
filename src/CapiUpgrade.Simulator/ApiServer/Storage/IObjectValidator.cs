using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>Schema validation of objects on create and update (e.g. from CRD OpenAPI schemas).</summary>
public interface IObjectValidator
{
    /// <summary>
    /// Returns the object to store (unknown fields pruned), or throws an <see cref="ApiException"/>:
    /// 422 Invalid with field paths, or 400 BadRequest for unknown fields when <paramref name="strict"/>.
    /// </summary>
    JsonObject Validate(ResourceType type, string name, JsonObject obj, bool strict);
}
