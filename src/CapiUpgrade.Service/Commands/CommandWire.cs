using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CapiUpgrade.Service.Commands;

/// <summary>
/// The command endpoint's protocol (port 9110): line-delimited JSON over TCP. The client sends one
/// <see cref="CommandRequest"/> line; the service answers with <see cref="CommandReply"/> lines:
/// one <c>result</c> or <c>error</c>, or for a streaming command (tail) any number of <c>event</c>
/// lines until the client closes the connection. The HTTP API serves the same requests as JSON.
/// </summary>
public sealed record CommandRequest
{
    public required string Palette { get; init; }
    public required string Command { get; init; }
    public Dictionary<string, string> Args { get; init; } = new(StringComparer.Ordinal);
    public string? Token { get; init; }
    /// <summary>Who asks (user@host), recorded with pause/resume/approve/abort.</summary>
    public string? User { get; init; }
}

public static class ReplyKinds
{
    public const string Result = "result";
    public const string Event = "event";
    public const string Error = "error";
}

public sealed record CommandReply
{
    public required string Kind { get; init; }
    public JsonNode? Data { get; init; }
    public CommandView? View { get; init; }
    /// <summary>For <c>event</c>: the line a person reads.</summary>
    public string? Line { get; init; }
    public string? Error { get; init; }
    /// <summary>HTTP-like status of an error: 400 bad request, 401 token, 404 unknown object, 409 conflict, 503 not ready.</summary>
    public int? Status { get; init; }

    public static CommandReply Failure(string message, int status) => new() { Kind = ReplyKinds.Error, Error = message, Status = status };
}

/// <summary>How a result reads as text: a title, name/value fields, tables and a closing message.</summary>
public sealed record CommandView
{
    public string? Title { get; init; }
    public IReadOnlyList<ViewField> Fields { get; init; } = [];
    public IReadOnlyList<ViewTable> Tables { get; init; } = [];
    public string? Message { get; init; }
}

public sealed record ViewField(string Name, string Value);

public sealed record ViewTable(string? Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

public static class CommandJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };

    public static string Line<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Options);
}
