using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Naming;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Core.Yaml;
using YamlDotNet.Core;

namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// Reads a campaign from YAML (or JSON). Every problem is collected, and all are thrown together as a
/// <see cref="ValidationException"/> whose findings name the field (<c>waves[1].maxConcurrent</c>) and the fix.
/// </summary>
public static class CampaignSpecParser
{
    private static readonly string[] TopLevelFields =
    [
        "apiVersion", "kind", "name", "targetVersion", "availableVersions", "selector", "waves", "failureBudget",
        "maintenanceWindow", "maintenanceWindowLabel", "allowSingleNodeControlPlane", "clusterTimeout",
    ];

    private static readonly string[] SelectorFields = ["managementClusters", "namespaces", "labelSelector", "names"];
    private static readonly string[] WaveFields = ["name", "selector", "count", "percentage", "maxConcurrent", "soak", "approval"];
    private static readonly string[] WindowFields = ["days", "startHour", "endHour"];

    public static CampaignSpec Parse(string yaml, string source = "campaign")
    {
        JsonNode? root;
        try
        {
            root = YamlJson.Parse(yaml);
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            throw new ValidationException(Finding.Error("InvalidYaml", source, null,
                $"is not valid YAML ({YamlJson.DescribeError(e)})", "fix the YAML syntax"));
        }
        if (root is not JsonObject o)
        {
            throw new ValidationException(Finding.Error("InvalidCampaign", source, null,
                "is not a YAML mapping", "start from the example in src/CapiUpgrade.Core/Campaigns/README.md"));
        }
        var reader = new Reader(source);
        var spec = reader.ReadCampaign(o);
        if (reader.Findings.Count > 0) throw new ValidationException(reader.Findings);
        return spec!;
    }

    private sealed class Reader(string source)
    {
        public List<Finding> Findings { get; } = [];
        private string? _named;
        private string _object => _named ?? source;

        private void Error(string code, string field, string problem, string fix) =>
            Findings.Add(Finding.Error(code, _object, field, problem, fix));

        public CampaignSpec? ReadCampaign(JsonObject o)
        {
            var name = String(o, "name", "name");
            if (name is not null) _named = $"Campaign {name} ({source})";
            CheckUnknown(o, TopLevelFields, "");
            if (name is null)
                Error("MissingField", "name", "is missing", "add 'name: <campaign-name>' (lowercase letters, digits and '-')");
            else if (!Dns1123.IsLabel(name))
                Error("InvalidName", "name", $"'{name}' is not a valid campaign name", "use lowercase letters, digits and '-', at most 63 characters, e.g. june-1-30");

            KubernetesVersion target = default;
            var targetText = String(o, "targetVersion", "targetVersion");
            if (targetText is null)
                Error("MissingField", "targetVersion", "is missing", "add 'targetVersion: v1.30.2'");
            else if (!KubernetesVersion.TryParse(targetText, out target, out var versionError))
                Error("InvalidVersion", "targetVersion", versionError, "set a released version such as v1.30.2");

            var available = new List<KubernetesVersion>();
            if (o["availableVersions"] is { } av)
            {
                if (av is not JsonArray list)
                    Error("InvalidType", "availableVersions", "is not a list", "write a list, e.g. [v1.29.10, v1.30.6]");
                else
                    for (var i = 0; i < list.Count; i++)
                    {
                        var text = Text(list[i]);
                        if (KubernetesVersion.TryParse(text, out var v, out var err)) available.Add(v);
                        else Error("InvalidVersion", $"availableVersions[{i}]", err, "list released versions such as v1.29.10");
                    }
            }

            var selector = o["selector"] is { } sel ? ReadSelector(sel, "selector") : ClusterSelector.Everything;

            var waves = new List<WaveSpec>();
            if (o["waves"] is { } wavesNode)
            {
                if (wavesNode is not JsonArray list || list.Count == 0)
                    Error("InvalidType", "waves", "is not a non-empty list", "write at least one wave, e.g. waves: [{maxConcurrent: 2}]");
                else
                    for (var i = 0; i < list.Count; i++)
                        if (ReadWave(list[i], i) is { } w) waves.Add(w);
            }
            else
            {
                waves.Add(new WaveSpec("all", null, null, Quantity.Count(1), TimeSpan.Zero, false));
            }
            var duplicate = waves.GroupBy(w => w.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                Error("DuplicateWave", "waves[].name", $"two waves are named '{duplicate.Key}'", "give every wave its own name");

            var budget = Quantity.Count(0);
            if (o["failureBudget"] is { } fb)
            {
                var q = QuantityOf(fb);
                if (q is null || q.Value < 0 || (q.IsPercentage && q.Value > 100))
                    Error("InvalidFailureBudget", "failureBudget", $"'{Text(fb)}' is not a count or a percentage", "write a count like 2 or a percentage like 10%");
                else budget = q;
            }

            MaintenanceWindow? window = null;
            if (o["maintenanceWindow"] is { } mw) window = ReadWindow(mw, "maintenanceWindow");

            var label = CampaignSpec.DefaultMaintenanceWindowLabel;
            if (o["maintenanceWindowLabel"] is { } lbl)
            {
                var text = Text(lbl);
                if (string.IsNullOrWhiteSpace(text))
                    Error("InvalidType", "maintenanceWindowLabel", "is empty", $"give a label key, e.g. {CampaignSpec.DefaultMaintenanceWindowLabel}");
                else label = text;
            }

            var allowSingle = Bool(o, "allowSingleNodeControlPlane") ?? false;

            TimeSpan? timeout = null;
            if (o["clusterTimeout"] is { } ct)
            {
                if (GoDuration.TryParse(Text(ct), out var d) && d > TimeSpan.Zero) timeout = d;
                else Error("InvalidDuration", "clusterTimeout", $"'{Text(ct)}' is not a positive duration", "write e.g. 90m or 2h");
            }

            return new CampaignSpec(name ?? "", target, selector, waves, budget, window, label, allowSingle, timeout, available);
        }

        private WaveSpec? ReadWave(JsonNode? node, int index)
        {
            var at = $"waves[{index}]";
            if (node is not JsonObject w)
            {
                Error("InvalidType", at, "is not a mapping", "write each wave as a mapping, e.g. {name: canary, count: 1, maxConcurrent: 1}");
                return null;
            }
            CheckUnknown(w, WaveFields, at + ".");
            var name = String(w, "name", $"{at}.name") ?? $"wave-{index + 1}";
            var selector = w["selector"] is { } s ? ReadSelector(s, $"{at}.selector") : null;

            Quantity? size = null;
            if (w["count"] is { } c && w["percentage"] is not null)
                Error("ConflictingFields", $"{at}.count", "count and percentage are both set", "keep one of them");
            if (w["count"] is { } count)
            {
                var q = QuantityOf(count);
                if (q is null || q.IsPercentage || q.Value < 1)
                    Error("InvalidCount", $"{at}.count", $"'{Text(count)}' is not a whole number of at least 1", "write e.g. count: 5 (or use percentage: 10%)");
                else size = q;
            }
            else if (w["percentage"] is { } pct)
            {
                var q = QuantityOf(pct);
                if (q is null || q.Value is < 1 or > 100)
                    Error("InvalidPercentage", $"{at}.percentage", $"'{Text(pct)}' is not a percentage from 1 to 100", "write e.g. percentage: 10%");
                else size = Quantity.Percent(q.Value);
            }

            var maxConcurrent = Quantity.Count(1);
            if (w["maxConcurrent"] is { } mc)
            {
                var q = QuantityOf(mc);
                if (q is null || q.Value < 1 || (q.IsPercentage && q.Value > 100))
                    Error("InvalidMaxConcurrent", $"{at}.maxConcurrent", $"'{Text(mc)}' is not a number of at least 1 or a percentage from 1 to 100", "write e.g. maxConcurrent: 2 or maxConcurrent: 25%");
                else maxConcurrent = q;
            }

            var soak = TimeSpan.Zero;
            if (w["soak"] is { } sk)
            {
                if (GoDuration.TryParse(Text(sk), out var d)) soak = d;
                else Error("InvalidDuration", $"{at}.soak", $"'{Text(sk)}' is not a duration", "write e.g. soak: 30m, 1h or 0s");
            }

            var approval = Bool(w, "approval", $"{at}.approval") ?? false;
            return new WaveSpec(name, selector, size, maxConcurrent, soak, approval);
        }

        private ClusterSelector ReadSelector(JsonNode node, string at)
        {
            if (node is not JsonObject s)
            {
                Error("InvalidType", at, "is not a mapping", "write e.g. {namespaces: [prod], labelSelector: 'env=prod'}");
                return ClusterSelector.Everything;
            }
            CheckUnknown(s, SelectorFields, at + ".");
            var labels = LabelSelector.Everything;
            if (s["labelSelector"] is { } ls)
            {
                if (ls is JsonObject structured) labels = ReadStructuredSelector(structured, $"{at}.labelSelector");
                else
                {
                    try
                    {
                        labels = LabelSelector.Parse(Text(ls) ?? "");
                    }
                    catch (FormatException e)
                    {
                        Error("InvalidLabelSelector", $"{at}.labelSelector", e.Message, "write e.g. 'env=prod,tier in (a,b),!legacy'");
                    }
                }
            }
            var names = StringList(s, "names", $"{at}.names");
            for (var i = 0; i < names.Count; i++)
            {
                if (names[i].Split('/') is { Length: > 3 } || names[i].Split('/').Any(p => p.Length == 0))
                    Error("InvalidName", $"{at}.names[{i}]", $"'{names[i]}' is not name, namespace/name or management/namespace/name", "fix the entry");
            }
            return new ClusterSelector(StringList(s, "managementClusters", $"{at}.managementClusters"),
                StringList(s, "namespaces", $"{at}.namespaces"), labels, names);
        }

        private LabelSelector ReadStructuredSelector(JsonObject o, string at)
        {
            CheckUnknown(o, ["matchLabels", "matchExpressions"], at + ".");
            var requirements = new List<LabelRequirement>();
            if (o["matchLabels"] is JsonObject ml)
                foreach (var (k, v) in ml) requirements.Add(new LabelRequirement(k, LabelOperator.In, [Text(v) ?? ""]));
            if (o["matchExpressions"] is JsonArray exprs)
            {
                for (var i = 0; i < exprs.Count; i++)
                {
                    var e = exprs[i] as JsonObject;
                    var key = e is null ? null : Text(e["key"]);
                    var op = e is null ? null : Text(e["operator"]);
                    var values = (e?["values"] as JsonArray)?.Select(x => Text(x) ?? "").ToList() ?? [];
                    LabelOperator? parsed = op switch
                    {
                        "In" => LabelOperator.In,
                        "NotIn" => LabelOperator.NotIn,
                        "Exists" => LabelOperator.Exists,
                        "DoesNotExist" => LabelOperator.DoesNotExist,
                        _ => null,
                    };
                    if (key is null || parsed is null)
                        Error("InvalidLabelSelector", $"{at}.matchExpressions[{i}]", "needs a key and an operator In, NotIn, Exists or DoesNotExist", "write e.g. {key: tier, operator: In, values: [a, b]}");
                    else if (parsed is LabelOperator.In or LabelOperator.NotIn && values.Count == 0)
                        Error("InvalidLabelSelector", $"{at}.matchExpressions[{i}].values", $"operator {op} needs values", "add values: [...]");
                    else requirements.Add(new LabelRequirement(key, parsed.Value, values));
                }
            }
            return new LabelSelector(requirements);
        }

        private MaintenanceWindow? ReadWindow(JsonNode node, string at)
        {
            if (node is JsonObject o)
            {
                CheckUnknown(o, WindowFields, at + ".");
                var days = StringList(o, "days", $"{at}.days");
                var start = Int(o, "startHour", $"{at}.startHour") ?? 0;
                var end = Int(o, "endHour", $"{at}.endHour") ?? 24;
                if (MaintenanceWindow.TryCreate(days, start, end, out var w, out var error)) return w;
                Error("InvalidMaintenanceWindow", at, error!, "write e.g. {days: [mon-fri], startHour: 22, endHour: 6} (UTC)");
                return null;
            }
            if (MaintenanceWindow.TryParse(Text(node), out var window, out var err)) return window;
            Error("InvalidMaintenanceWindow", at, err!, "write e.g. mon-fri.22-06 (UTC) or {days: [mon-fri], startHour: 22, endHour: 6}");
            return null;
        }

        private void CheckUnknown(JsonObject o, string[] known, string prefix)
        {
            foreach (var (key, _) in o)
            {
                if (!known.Contains(key))
                    Error("UnknownField", prefix + key, "is not a campaign field", $"remove it or correct the spelling; known here: {string.Join(", ", known)}");
            }
        }

        private string? String(JsonObject o, string key, string field)
        {
            if (o[key] is not { } n) return null;
            var text = Text(n);
            if (text is null) Error("InvalidType", field, "is not a text value", $"write {key}: <text>");
            return text;
        }

        private bool? Bool(JsonObject o, string key, string? field = null)
        {
            if (o[key] is not { } n) return null;
            if (n is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
            Error("InvalidType", field ?? key, $"'{Text(n)}' is not true or false", $"write {key}: true or {key}: false");
            return null;
        }

        private int? Int(JsonObject o, string key, string field)
        {
            if (o[key] is not { } n) return null;
            if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue)
                return (int)l;
            Error("InvalidType", field, $"'{Text(n)}' is not a whole number", $"write {key}: <number>");
            return null;
        }

        private List<string> StringList(JsonObject o, string key, string field)
        {
            if (o[key] is not { } n) return [];
            if (n is JsonArray a) return a.Select(x => Text(x) ?? "").ToList();
            if (Text(n) is { } single) return [single];
            Error("InvalidType", field, "is not a list", $"write {key}: [a, b]");
            return [];
        }

        private static Quantity? QuantityOf(JsonNode n) => Quantity.TryParse(Text(n));

        private static string? Text(JsonNode? n) => n switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
            _ => null,
        };
    }
}
