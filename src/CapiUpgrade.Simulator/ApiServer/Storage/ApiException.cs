using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Simulator.ApiServer.Storage;

/// <summary>A cause of an Invalid (422) error: the field path and what is wrong with it.</summary>
public sealed record FieldCause(string Reason, string Field, string Message);

/// <summary>
/// An error the API server answers with a <c>Status</c> object (kind Status, status Failure), with the
/// reason and code the real kube-apiserver uses.
/// </summary>
public sealed class ApiException : Exception
{
    public int Code { get; }
    public string Reason { get; }
    public string? Name { get; }
    public string? Group { get; }
    public string? DetailsKind { get; }
    public IReadOnlyList<FieldCause> Causes { get; }
    public int? RetryAfterSeconds { get; init; }

    public ApiException(int code, string reason, string message, string? name = null, string? group = null, string? detailsKind = null, IReadOnlyList<FieldCause>? causes = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Name = name;
        Group = group;
        DetailsKind = detailsKind;
        Causes = causes ?? [];
    }

    /// <summary>The Status object, as the real server writes it.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Name is not null || DetailsKind is not null || Causes.Count > 0 || RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (Name is not null) details["name"] = Name;
            if (!string.IsNullOrEmpty(Group)) details["group"] = Group;
            if (DetailsKind is not null) details["kind"] = DetailsKind;
            if (Causes.Count > 0)
            {
                details["causes"] = new JsonArray(Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                }).ToArray());
            }
            if (RetryAfterSeconds is not null) details["retryAfterSeconds"] = RetryAfterSeconds;
            status["details"] = details;
        }
        status["code"] = Code;
        return status;
    }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedName} \"{name}\" not found", name, type.Group, type.Plural);

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", ns, "", "namespaces");

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedName} \"{name}\" already exists", name, type.Group, type.Plural);

    public static ApiException Conflict(ResourceType type, string name, string? why = null) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {type.QualifiedName} \"{name}\": " +
            (why ?? "the object has been modified; please apply your changes to the latest version and try again"),
            name, type.Group, type.Plural);

    public static ApiException Invalid(ResourceType type, string? name, IReadOnlyList<FieldCause> causes)
    {
        var what = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
        var message = causes.Count == 1
            ? $"{type.Kind}{(type.Group.Length > 0 ? "." + type.Group : "")} \"{name}\" is invalid: {what}"
            : $"{type.Kind}{(type.Group.Length > 0 ? "." + type.Group : "")} \"{name}\" is invalid: [{what}]";
        return new ApiException(422, "Invalid", message, name, type.Group, type.Kind, causes);
    }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; got \"{contentType}\"");
}
