using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CapiUpgrade.Core.Yaml;

/// <summary>
/// YAML ⇄ <see cref="JsonNode"/>, with YAML 1.2 core-schema typing for plain scalars (<c>true</c>, <c>12</c>,
/// <c>1.5</c>, <c>null</c>, <c>~</c>); quoted scalars stay strings. JSON is valid YAML, so JSON text parses too.
/// </summary>
public static partial class YamlJson
{
    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerRegex();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();

    /// <summary>Parses one YAML document (the first, when there are several). Throws <see cref="YamlException"/> with line and column on a syntax error.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var documents = ParseAll(yaml);
        return documents.Count == 0 ? null : documents[0];
    }

    /// <summary>Parses every document of a YAML stream.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => ToJson(d.RootNode)).ToList();
    }

    /// <summary>"line 3, column 5: ..." for a YamlDotNet failure (it throws InvalidOperationException on some malformed input).</summary>
    public static string DescribeError(Exception e) =>
        e is YamlException y ? $"line {y.Start.Line}, column {y.Start.Column}: {y.Message}" : $"malformed YAML: {e.Message}";

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => ToJsonObject(m),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode sc => ScalarToJson(sc),
        _ => null,
    };

    private static JsonObject ToJsonObject(YamlMappingNode m)
    {
        var o = new JsonObject();
        foreach (var (k, v) in m.Children)
        {
            var key = k is YamlScalarNode ks ? ks.Value ?? "" : k.ToString();
            o[key] = ToJson(v);
        }
        return o;
    }

    private static JsonNode? ScalarToJson(YamlScalarNode s)
    {
        var value = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        if (s.Tag.IsEmpty == false && s.Tag.Value == "tag:yaml.org,2002:str") return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (IntegerRegex().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (FloatRegex().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    /// <summary>Writes a JSON node as block-style YAML (strings that would read back as another type are quoted).</summary>
    public static string ToYaml(JsonNode? node)
    {
        var yamlNode = ToYamlNode(node);
        var doc = new YamlDocument(yamlNode);
        var stream = new YamlStream(doc);
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return StripDocumentEnd(writer.ToString());
    }

    internal static string StripDocumentEnd(string text)
    {
        var t = text.TrimEnd();
        if (t.EndsWith("...", StringComparison.Ordinal)) t = t[..^3].TrimEnd();
        return t + "\n";
    }

    public static YamlNode ToYamlNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var m = new YamlMappingNode();
                foreach (var (k, v) in o) m.Add(new YamlScalarNode(k), ToYamlNode(v));
                return m;
            case JsonArray a:
                var s = new YamlSequenceNode();
                foreach (var v in a) s.Add(ToYamlNode(v));
                return s;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        var str = v.GetValue<string>();
                        var plainWouldChangeType = ScalarToJson(new YamlScalarNode(str)) is not JsonValue jv
                                                   || jv.GetValueKind() != JsonValueKind.String
                                                   || str.Length == 0 || str.Trim() != str;
                        return new YamlScalarNode(str)
                        {
                            Style = plainWouldChangeType || str.Contains('\n') ? ScalarStyle.DoubleQuoted : ScalarStyle.Any,
                        };
                    case JsonValueKind.True: return new YamlScalarNode("true");
                    case JsonValueKind.False: return new YamlScalarNode("false");
                    case JsonValueKind.Number: return new YamlScalarNode(v.ToJsonString());
                    default: return new YamlScalarNode("null");
                }
            default:
                return new YamlScalarNode("null");
        }
    }
}
