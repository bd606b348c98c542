using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Core.Objects;

namespace CapiUpgrade.Actors.Execution;

/// <summary>Reads what the engine needs from a CAPI Machine's JSON.</summary>
internal static class MachineJson
{
    public static string Name(JsonObject m) => m.GetString("metadata", "name") ?? "";
    public static string Version(JsonObject m) => m.GetString("spec", "version") ?? "";
    public static string? NodeRef(JsonObject m) => m.GetString("status", "nodeRef", "name");
    public static string? ProviderId(JsonObject m) => m.GetString("spec", "providerID");
    public static bool Deleting(JsonObject m) => m.Get("metadata", "deletionTimestamp") is not null;
    public static string? Phase(JsonObject m) => m.GetString("status", "phase");
    public static string? FailureReason(JsonObject m) => m.GetString("status", "failureReason") ?? m.GetString("status", "failureMessage");
    public static string? BootstrapConfigName(JsonObject m) => m.GetString("spec", "bootstrap", "configRef", "name");

    public static string? Annotation(JsonObject m, string key) =>
        m.Get("metadata", "annotations") is JsonObject a && a[key] is JsonValue v ? v.GetValue<string>() : null;

    public static bool HasAnnotation(JsonObject m, string key) =>
        m.Get("metadata", "annotations") is JsonObject a && a.ContainsKey(key);

    public static bool HasUpgradeHook(JsonObject m) => HasAnnotation(m, CapiConventions.UpgradePreTerminateHook);

    public static string? ReplacementFor(JsonObject m) => Annotation(m, CapiConventions.ReplacementForAnnotation);

    /// <summary>Condition <paramref name="type"/> with its status and reason, if present.</summary>
    public static (string Status, string? Reason)? Condition(JsonObject m, string type)
    {
        if (m.Get("status", "conditions") is not JsonArray conditions) return null;
        foreach (var c in conditions)
        {
            if (c is JsonObject o && o.GetString("type") == type)
                return (o.GetString("status") ?? "Unknown", o.GetString("reason"));
        }
        return null;
    }

    /// <summary>Cluster API holds the deleting Machine on a pre-terminate hook (drain done, infra not yet deleted).</summary>
    public static bool HeldByPreTerminateHook(JsonObject m) =>
        Deleting(m) && Condition(m, "PreTerminateDeleteHookSucceeded") is { Status: "False" } c
                    && (c.Reason is null || c.Reason == "WaitingExternalHook");

    /// <summary>The Machine's Node name: status.nodeRef, else the Node with the same providerID.</summary>
    public static string? NodeName(JsonObject m, IEnumerable<Kubernetes.Workload.NodeInfo> nodes)
    {
        if (NodeRef(m) is { Length: > 0 } n) return n;
        return ProviderId(m) is { Length: > 0 } pid ? Kubernetes.Workload.WorkloadParsing.FindByProviderId(nodes, pid)?.Name : null;
    }
}
