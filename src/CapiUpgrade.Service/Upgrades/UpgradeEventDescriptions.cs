using System.Reflection;
using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Upgrades;

/// <summary>
/// Describes the engine's events for the read model. Until the engine's protocol is wired in,
/// every event is described generically (type name, its fields, an <c>UpgradeId</c> property).
/// </summary>
public static class UpgradeEventDescriptions
{
    public const string Tag = "cluster-upgrade";

    public static UpgradeEventDescription Describe(object? evt, DateTimeOffset at)
    {
        if (evt is null) return new UpgradeEventDescription(null, "null", "", u => u);
        return Generic(evt, at);
    }

    private static UpgradeEventDescription Generic(object evt, DateTimeOffset at)
    {
        var type = evt.GetType();
        var upgradeId = type.GetProperty("UpgradeId", BindingFlags.Public | BindingFlags.Instance)?.GetValue(evt)?.ToString();
        var text = evt.ToString() ?? type.Name;
        var brace = text.IndexOf('{');
        if (brace >= 0) text = text[(brace + 1)..].TrimEnd('}', ' ').Trim();
        return new UpgradeEventDescription(upgradeId, type.Name, text, u => u with { StartedAt = u.StartedAt ?? at });
    }
}
