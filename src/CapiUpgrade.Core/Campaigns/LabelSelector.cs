using System.Text.Json.Serialization;
namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// A Kubernetes label selector: the string form (<c>env=prod,tier!=canary,region in (eu,us),!legacy,team</c>)
/// or matchLabels/matchExpressions. All requirements must hold. The empty selector matches everything.
/// </summary>
public sealed record LabelSelector(IReadOnlyList<LabelRequirement> Requirements)
{
    public static LabelSelector Everything { get; } = new(Array.Empty<LabelRequirement>());

    public bool Matches(IReadOnlyDictionary<string, string> labels) => Requirements.All(r => r.Matches(labels));

    public override string ToString() => string.Join(",", Requirements);

    /// <summary>Parses the string form; throws <see cref="FormatException"/> saying what is wrong where.</summary>
    public static LabelSelector Parse(string text)
    {
        var requirements = new List<LabelRequirement>();
        var s = text.Trim();
        var i = 0;
        while (i < s.Length)
        {
            SkipSpaces(s, ref i);
            if (i >= s.Length) break;
            requirements.Add(ParseRequirement(s, ref i));
            SkipSpaces(s, ref i);
            if (i < s.Length)
            {
                if (s[i] != ',') throw Error(s, i, "expected ',' between requirements");
                i++;
                SkipSpaces(s, ref i);
                if (i >= s.Length) throw Error(s, i, "a requirement is missing after ','");
            }
        }
        return new LabelSelector(requirements);
    }

    private static LabelRequirement ParseRequirement(string s, ref int i)
    {
        if (s[i] == '!')
        {
            i++;
            SkipSpaces(s, ref i);
            return new LabelRequirement(ReadKey(s, ref i), LabelOperator.DoesNotExist, []);
        }
        var key = ReadKey(s, ref i);
        SkipSpaces(s, ref i);
        if (i >= s.Length || s[i] == ',') return new LabelRequirement(key, LabelOperator.Exists, []);
        if (s[i] == '=' || s[i] == '!')
        {
            LabelOperator op;
            if (s[i] == '!')
            {
                if (i + 1 >= s.Length || s[i + 1] != '=') throw Error(s, i, "expected '!='");
                op = LabelOperator.NotIn;
                i += 2;
            }
            else
            {
                op = LabelOperator.In;
                i += i + 1 < s.Length && s[i + 1] == '=' ? 2 : 1;
            }
            SkipSpaces(s, ref i);
            return new LabelRequirement(key, op, [ReadValue(s, ref i)]);
        }
        if (!char.IsAsciiLetter(s[i])) throw Error(s, i, $"expected '=', '!=', 'in' or 'notin' after '{key}', found '{s[i]}'");
        var word = ReadKey(s, ref i);
        var setOp = word switch
        {
            "in" => LabelOperator.In,
            "notin" => LabelOperator.NotIn,
            _ => throw Error(s, i, $"expected '=', '!=', 'in' or 'notin' after '{key}', found '{word}'"),
        };
        SkipSpaces(s, ref i);
        if (i >= s.Length || s[i] != '(') throw Error(s, i, $"expected '(' after '{word}'");
        i++;
        var values = new List<string>();
        while (true)
        {
            SkipSpaces(s, ref i);
            if (i >= s.Length) throw Error(s, i, "missing ')'");
            if (s[i] == ')')
            {
                i++;
                break;
            }
            values.Add(ReadValue(s, ref i));
            SkipSpaces(s, ref i);
            if (i < s.Length && s[i] == ',') i++;
        }
        if (values.Count == 0) throw Error(s, i, $"'{word}' needs at least one value");
        return new LabelRequirement(key, setOp, values);
    }

    private static string ReadKey(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '-' or '_' or '.' or '/')) i++;
        if (i == start) throw Error(s, i, "expected a label key");
        return s[start..i];
    }

    private static string ReadValue(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '-' or '_' or '.')) i++;
        return s[start..i];
    }

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
    }

    private static FormatException Error(string s, int at, string problem) =>
        new($"label selector '{s}' at character {at + 1}: {problem} (e.g. 'env=prod,tier in (a,b),!legacy')");
}

[JsonConverter(typeof(JsonStringEnumConverter<LabelOperator>))]
public enum LabelOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// <summary>One requirement; <c>key=value</c> is In with one value, <c>key!=value</c> NotIn with one value.</summary>
public sealed record LabelRequirement(string Key, LabelOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) => Operator switch
    {
        LabelOperator.In => labels.TryGetValue(Key, out var v) && Values.Contains(v),
        LabelOperator.NotIn => !labels.TryGetValue(Key, out var v) || !Values.Contains(v),
        LabelOperator.Exists => labels.ContainsKey(Key),
        _ => !labels.ContainsKey(Key),
    };

    public override string ToString() => Operator switch
    {
        LabelOperator.In when Values.Count == 1 => $"{Key}={Values[0]}",
        LabelOperator.NotIn when Values.Count == 1 => $"{Key}!={Values[0]}",
        LabelOperator.In => $"{Key} in ({string.Join(",", Values)})",
        LabelOperator.NotIn => $"{Key} notin ({string.Join(",", Values)})",
        LabelOperator.Exists => Key,
        _ => "!" + Key,
    };
}
