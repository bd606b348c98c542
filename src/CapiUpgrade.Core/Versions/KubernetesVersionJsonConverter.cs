using System.Text.Json;
using System.Text.Json.Serialization;

namespace CapiUpgrade.Core.Versions;

/// <summary>System.Text.Json writes a <see cref="KubernetesVersion"/> as <c>"v1.30.2"</c> and reads <c>"v1.30.2"</c> or <c>"1.30.2"</c>.</summary>
public sealed class KubernetesVersionJsonConverter : JsonConverter<KubernetesVersion>
{
    public override KubernetesVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"a Kubernetes version must be a string such as \"v1.30.2\", found {reader.TokenType}");
        return KubernetesVersion.TryParse(reader.GetString(), out var v, out var error) ? v : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, KubernetesVersion value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
