namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>One page of a list: the items' JSON, the list's resourceVersion, and the continue token if more remain.</summary>
public sealed record ListResult(IReadOnlyList<byte[]> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);
