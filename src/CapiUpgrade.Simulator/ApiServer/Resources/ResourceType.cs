namespace CapiUpgrade.Simulator.ApiServer.Resources;

/// <summary>One kind of object the API server serves, named as the real API names it.</summary>
/// <param name="Group">API group; empty for the core ("legacy") group served under /api/v1.</param>
/// <param name="Version">API version, e.g. v1 or v1beta1.</param>
/// <param name="Kind">Kind, e.g. Machine.</param>
/// <param name="Plural">Resource name in URLs, e.g. machines.</param>
/// <param name="Namespaced">True when objects live in a namespace.</param>
/// <param name="HasStatus">True when the kind has a status subresource (PUT/PATCH on the main resource ignore status).</param>
/// <param name="TracksGeneration">True when metadata.generation is set and bumped on changes outside metadata and status.</param>
/// <param name="IsCustom">True for kinds defined by a CustomResourceDefinition.</param>
public sealed record ResourceType(
    string Group,
    string Version,
    string Kind,
    string Plural,
    bool Namespaced,
    bool HasStatus,
    bool TracksGeneration,
    bool IsCustom,
    IReadOnlyList<string> ShortNames)
{
    /// <summary>Lower-case singular name, as discovery reports it.</summary>
    public string Singular => Kind.ToLowerInvariant();

    /// <summary>apiVersion as written in objects: "v1" or "group/version".</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>"machines.cluster.x-k8s.io" or "pods": the resource as messages and counters name it.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>The URL prefix of this group/version: "/api/v1" or "/apis/group/version".</summary>
    public string GroupVersionPath => Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;

    /// <summary>Extra field selectors the real server supports for this resource (besides metadata.name/namespace).</summary>
    public IReadOnlyList<string> ExtraFieldSelectors { get; init; } = [];

    /// <summary>Patch merge keys of lists, by JSON path of the list ("spec.containers" → "name"), for strategic merge patch.</summary>
    public IReadOnlyDictionary<string, string> MergeKeys { get; init; } = new Dictionary<string, string>();

    public override string ToString() => QualifiedName;
}
