namespace CapiUpgrade.Core.Patches;

/// <summary>RFC 6901 JSON Pointer: <c>/spec/customImage</c>, with <c>~0</c> for '~' and <c>~1</c> for '/'.</summary>
public sealed record JsonPointer(IReadOnlyList<string> Segments)
{
    public static JsonPointer Root { get; } = new(Array.Empty<string>());

    public bool IsRoot => Segments.Count == 0;

    public static JsonPointer Parse(string pointer)
    {
        if (pointer.Length == 0) return Root;
        if (pointer[0] != '/')
            throw new FormatException($"'{pointer}' is not a JSON pointer: it must be empty or start with '/', e.g. /spec/customImage");
        return new JsonPointer(pointer[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray());
    }

    public static JsonPointer FromSegments(params string[] segments) => new(segments);

    public JsonPointer Parent => new(Segments.Take(Segments.Count - 1).ToArray());

    public string Last => Segments[^1];

    public JsonPointer Append(string segment) => new(Segments.Append(segment).ToArray());

    /// <summary>True when this pointer equals <paramref name="other"/> or is one of its ancestors.</summary>
    public bool IsPrefixOf(JsonPointer other) =>
        Segments.Count <= other.Segments.Count && Segments.Zip(other.Segments).All(p => p.First == p.Second);

    /// <summary>Dotted form for messages: <c>spec.template.customImage</c>, array indices as <c>[0]</c>.</summary>
    public string ToDotted() =>
        string.Concat(Segments.Select((s, i) => s.All(char.IsAsciiDigit) && s.Length > 0 ? $"[{s}]" : (i == 0 ? s : "." + s)));

    public override string ToString() =>
        Segments.Count == 0 ? "" : "/" + string.Join('/', Segments.Select(s => s.Replace("~", "~0").Replace("/", "~1")));

    public bool Equals(JsonPointer? other) => other is not null && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => Segments.Aggregate(17, (h, s) => h * 31 + s.GetHashCode());
}
