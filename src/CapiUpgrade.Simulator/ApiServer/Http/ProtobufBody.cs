using System.Text;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (<c>k8s\0</c> + runtime.Unknown) for the few bodies kubectl's
/// generators send as protobuf: Namespace, ConfigMap and Secret (ObjectMeta name/generateName/namespace/labels/
/// annotations/finalizers plus data, binaryData, stringData, type, immutable). Everything else is 415.
/// </summary>
internal static class ProtobufBody
{
    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < 4 || body[0] != 'k' || body[1] != '8' || body[2] != 's' || body[3] != 0)
            throw Unsupported("the protobuf body lacks the k8s envelope");
        string? apiVersion = null, kind = null;
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body.AsMemory(4)))
        {
            if (field == 1)
            {
                foreach (var (f, v) in Fields(value))
                {
                    if (f == 1) apiVersion = Str(v);
                    else if (f == 2) kind = Str(v);
                }
            }
            else if (field == 2) raw = value.ToArray();
        }
        if (raw is null || kind is null) throw Unsupported("the protobuf envelope has no object");
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        switch (kind)
        {
            case "Namespace" or "ConfigMap" or "Secret":
                foreach (var (field, value) in Fields(raw))
                {
                    switch (kind, field)
                    {
                        case (_, 1): obj["metadata"] = Metadata(value); break;
                        case ("ConfigMap", 2): Map(obj, "data", value, bytes: false); break;
                        case ("ConfigMap", 3): Map(obj, "binaryData", value, bytes: true); break;
                        case ("Secret", 2): Map(obj, "data", value, bytes: true); break;
                        case ("Secret", 3): obj["type"] = Str(value); break;
                        case ("Secret", 4): Map(obj, "stringData", value, bytes: false); break;
                    }
                }
                return obj;
            default:
                throw Unsupported($"{kind} in protobuf is not supported by the simulator");
        }
    }

    private static ApiException Unsupported(string why) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format: {why}; send JSON (e.g. kubectl apply -f / create -f a YAML file)");

    private static JsonObject Metadata(ReadOnlyMemory<byte> bytes)
    {
        var m = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1: m["name"] = Str(value); break;
                case 2: m["generateName"] = Str(value); break;
                case 3: m["namespace"] = Str(value); break;
                case 11: Map(m, "labels", value, bytes: false); break;
                case 12: Map(m, "annotations", value, bytes: false); break;
                case 14: ((m["finalizers"] ??= new JsonArray()) as JsonArray)!.Add(Str(value)); break;
            }
        }
        return m;
    }

    private static void Map(JsonObject target, string name, ReadOnlyMemory<byte> entry, bool bytes)
    {
        string? key = null;
        JsonNode? value = bytes ? "" : "";
        foreach (var (f, v) in Fields(entry))
        {
            if (f == 1) key = Str(v);
            else if (f == 2) value = bytes ? Convert.ToBase64String(v.Span) : Str(v);
        }
        if (key is null) return;
        var map = (target[name] ??= new JsonObject()).AsObject();
        map[key] = value;
    }

    private static string Str(ReadOnlyMemory<byte> v) => Encoding.UTF8.GetString(v.Span);

    /// <summary>Length-delimited fields (wire type 2) of a message; varint fields are skipped.</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var pos = 0;
        while (pos < message.Length)
        {
            var tag = Varint(message.Span, ref pos);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: Varint(message.Span, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                {
                    var length = (int)Varint(message.Span, ref pos);
                    if (pos + length > message.Length) throw Unsupported("the protobuf body is truncated");
                    yield return (field, message.Slice(pos, length));
                    pos += length;
                    break;
                }
                default: throw Unsupported("the protobuf body has an unknown wire type");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= span.Length) throw Unsupported("the protobuf body is truncated");
            var b = span[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Unsupported("bad varint in the protobuf body");
    }
}
