using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer;
using YamlDotNet.Serialization;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>Writes every object of the fleet's API servers as YAML documents (`sim dump`).</summary>
public static class FleetDump
{
    private static readonly ISerializer Yaml = new SerializerBuilder().WithQuotingNecessaryStrings().DisableAliases().Build();

    public static string ToYaml(SimulatedFleet fleet)
    {
        var sb = new StringBuilder();
        Append(sb, "management", fleet.Management);
        foreach (var cluster in fleet.Clusters) Append(sb, "workload " + cluster.Key, cluster.ApiServer);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, string serverName, KubeApiServer server)
    {
        foreach (var type in server.Registry.All)
        {
            foreach (var obj in server.Store.ListObjects(type))
            {
                sb.Append("---\n# server: ").Append(serverName).Append(" (").Append(server.Url).Append(")\n");
                sb.Append(Yaml.Serialize(ToPlain(obj)));
            }
        }
    }

    /// <summary>JSON node → dictionaries, lists and scalars YamlDotNet can serialize.</summary>
    public static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.ToJsonString().Contains('.') ? v.GetValue<double>() : long.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };
}
