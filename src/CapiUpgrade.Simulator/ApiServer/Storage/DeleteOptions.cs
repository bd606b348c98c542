namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>What a delete request asks for (the body's DeleteOptions and the query parameters).</summary>
/// <param name="PropagationPolicy">Background (default), Foreground or Orphan.</param>
/// <param name="PreconditionUid">Delete only if the object still has this uid (409 Conflict otherwise).</param>
/// <param name="PreconditionResourceVersion">Delete only if the object still has this resourceVersion.</param>
public sealed record DeleteOptions(string? PropagationPolicy = null, string? PreconditionUid = null, string? PreconditionResourceVersion = null)
{
    public static readonly DeleteOptions Default = new();
}
