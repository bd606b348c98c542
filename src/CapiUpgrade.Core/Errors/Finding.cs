using System.Text.Json.Serialization;
namespace CapiUpgrade.Core.Errors;

/// <summary>How serious a <see cref="Finding"/> is: an Error refuses the operation, a Warning lets it go on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FindingSeverity>))]
public enum FindingSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// One thing a person must read: what is wrong (<see cref="Problem"/>), on which object (<see cref="Object"/>,
/// e.g. <c>Machine default/cp-0</c>), which field (<see cref="Field"/>, a dotted path, may be null), and what
/// to do about it (<see cref="Fix"/>). <see cref="Code"/> is a stable machine-readable identifier
/// (e.g. <c>VersionDowngrade</c>) for tests, JSON output and filtering.
/// </summary>
public sealed record Finding(
    FindingSeverity Severity,
    string Code,
    string Object,
    string? Field,
    string Problem,
    string Fix)
{
    public bool IsError => Severity == FindingSeverity.Error;

    /// <summary>One line: <c>Error VersionDowngrade: Machine ns/cp-0 field spec.version: ... Fix: ...</c></summary>
    public string Message =>
        $"{Object}{(Field is null ? "" : $" field {Field}")}: {Problem}{(Problem.EndsWith('.') ? "" : ".")} Fix: {Fix}";

    public override string ToString() => $"{Severity} {Code}: {Message}";

    public static Finding Error(string code, string @object, string? field, string problem, string fix) =>
        new(FindingSeverity.Error, code, @object, field, problem, fix);

    public static Finding Warning(string code, string @object, string? field, string problem, string fix) =>
        new(FindingSeverity.Warning, code, @object, field, problem, fix);

    public static Finding Info(string code, string @object, string? field, string problem, string fix = "nothing to do") =>
        new(FindingSeverity.Info, code, @object, field, problem, fix);
}
