using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Selectors;

/// <summary>
/// A label selector in the string syntax of the real API: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>,
/// <c>a in (x,y)</c>, <c>a notin (x,y)</c>, <c>a</c> (exists), <c>!a</c> (does not exist), comma = AND.
/// </summary>
public sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>Parses; throws an <see cref="ApiException"/> BadRequest naming the bad part.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var list = new List<Requirement>();
        foreach (var raw in SplitTopLevel(text))
        {
            var part = raw.Trim();
            if (part.Length == 0) throw ApiException.BadRequest($"unable to parse requirement: found empty requirement in label selector \"{text}\"");
            list.Add(ParseRequirement(part, text));
        }
        return new LabelSelector(list);
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part, string whole)
    {
        if (part.StartsWith('!')) return new Requirement(CheckKey(part[1..].Trim(), whole), Op.DoesNotExist, []);
        var inIndex = IndexOfWord(part, "notin");
        if (inIndex > 0) return new Requirement(CheckKey(part[..inIndex].Trim(), whole), Op.NotIn, ParseSet(part[(inIndex + 5)..], whole));
        inIndex = IndexOfWord(part, "in");
        if (inIndex > 0) return new Requirement(CheckKey(part[..inIndex].Trim(), whole), Op.In, ParseSet(part[(inIndex + 2)..], whole));
        var ne = part.IndexOf("!=", StringComparison.Ordinal);
        if (ne > 0) return new Requirement(CheckKey(part[..ne].Trim(), whole), Op.NotEquals, [part[(ne + 2)..].Trim()]);
        var eq2 = part.IndexOf("==", StringComparison.Ordinal);
        if (eq2 > 0) return new Requirement(CheckKey(part[..eq2].Trim(), whole), Op.Equals, [part[(eq2 + 2)..].Trim()]);
        var eq = part.IndexOf('=');
        if (eq > 0) return new Requirement(CheckKey(part[..eq].Trim(), whole), Op.Equals, [part[(eq + 1)..].Trim()]);
        if (part.IndexOfAny(['<', '>', '(', ')', ' ']) >= 0)
            throw ApiException.BadRequest($"unable to parse requirement: \"{part}\" in label selector \"{whole}\" (supported: =, ==, !=, in, notin, exists, !exists)");
        return new Requirement(CheckKey(part, whole), Op.Exists, []);
    }

    private static int IndexOfWord(string part, string word)
    {
        var i = part.IndexOf(" " + word + " ", StringComparison.Ordinal);
        if (i >= 0) return i + 1;
        i = part.IndexOf(" " + word + "(", StringComparison.Ordinal);
        return i >= 0 ? i + 1 : -1;
    }

    private static IReadOnlyList<string> ParseSet(string rest, string whole)
    {
        rest = rest.Trim();
        if (!rest.StartsWith('(') || !rest.EndsWith(')'))
            throw ApiException.BadRequest($"unable to parse requirement: expected a parenthesised set of values in label selector \"{whole}\"");
        return rest[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
    }

    private static string CheckKey(string key, string whole)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
            throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in label selector \"{whole}\"");
        return key;
    }

    /// <summary>True when the object's metadata.labels satisfy every requirement.</summary>
    public bool Matches(JsonObject obj) => _requirements.Count == 0 || Matches(LabelsOf(obj));

    /// <summary>An object's metadata.labels with string values (what a selector compares), or null when it has none.</summary>
    public static IReadOnlyDictionary<string, string>? LabelsOf(JsonObject obj) =>
        obj["metadata"]?["labels"] is JsonObject { Count: > 0 } labels
            ? labels.Where(p => p.Value?.GetValueKind() == JsonValueKind.String).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
            : null;

    /// <summary>True when these labels (null: none) satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_requirements.Count == 0) return true;
        foreach (var r in _requirements)
        {
            string? value = null;
            var has = labels is not null && labels.TryGetValue(r.Key, out value);
            var ok = r.Op switch
            {
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.Equals => has && value == r.Values[0],
                Op.NotEquals => !has || value != r.Values[0],
                Op.In => has && r.Values.Contains(value),
                Op.NotIn => !has || !r.Values.Contains(value),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
