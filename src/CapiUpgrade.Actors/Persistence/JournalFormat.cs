using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>
/// How the journal writes what the engine and the service persist: each event and snapshot under a name of its
/// own (the row's manifest, e.g. <c>cluster-upgrade.step-started</c>) as JSON with camel-case fields and enum
/// values by name. The names are the journal's contract: a C# type may be renamed or moved, a name never changes;
/// an event whose shape must change incompatibly gets a new name (<c>….v2</c>) and the old one is still read.
/// </summary>
/// <remarks>
/// Before this format the journal held Akka's default (Json.NET with assembly-qualified type names, reference ids
/// and enum values by number): a rename or an enum reordered in a later build would have made every journal
/// unreadable. Rows written that way carry that serializer's id and are still read by it.
/// </remarks>
public static class JournalFormat
{
    /// <summary>Every type the journal holds in this format, with its name. Names are never reused or changed.</summary>
    private static readonly (Type Type, string Name)[] Entries =
    [
        (typeof(UpgradeStarted), "cluster-upgrade.upgrade-started"),
        (typeof(UpgradePlanned), "cluster-upgrade.upgrade-planned"),
        (typeof(HopPlanned), "cluster-upgrade.hop-planned"),
        (typeof(StepStarted), "cluster-upgrade.step-started"),
        (typeof(StepSucceeded), "cluster-upgrade.step-succeeded"),
        (typeof(StepFailed), "cluster-upgrade.step-failed"),
        (typeof(ReplacementFailed), "cluster-upgrade.replacement-failed"),
        (typeof(UpgradePaused), "cluster-upgrade.upgrade-paused"),
        (typeof(UpgradeResumed), "cluster-upgrade.upgrade-resumed"),
        (typeof(RetryRequested), "cluster-upgrade.retry-requested"),
        (typeof(AbortRequested), "cluster-upgrade.abort-requested"),
        (typeof(UpgradeRefused), "cluster-upgrade.upgrade-refused"),
        (typeof(UpgradeSucceeded), "cluster-upgrade.upgrade-succeeded"),
        (typeof(UpgradeAborted), "cluster-upgrade.upgrade-aborted"),
        (typeof(ClusterUpgradeState), "cluster-upgrade.state"),
        (typeof(CampaignEvents.Started), "campaign.started"),
        (typeof(CampaignEvents.WaveApprovalRequested), "campaign.wave-approval-requested"),
        (typeof(CampaignEvents.WaveApproved), "campaign.wave-approved"),
        (typeof(CampaignEvents.WaveStarted), "campaign.wave-started"),
        (typeof(CampaignEvents.ClusterScheduled), "campaign.cluster-scheduled"),
        (typeof(CampaignEvents.ClusterUpgradeStarted), "campaign.cluster-upgrade-started"),
        (typeof(CampaignEvents.ClusterSucceeded), "campaign.cluster-succeeded"),
        (typeof(CampaignEvents.ClusterFailed), "campaign.cluster-failed"),
        (typeof(CampaignEvents.ClusterTimedOut), "campaign.cluster-timed-out"),
        (typeof(CampaignEvents.ClusterSkipped), "campaign.cluster-skipped"),
        (typeof(CampaignEvents.WaveCompleted), "campaign.wave-completed"),
        (typeof(CampaignEvents.WaveSoakSkipped), "campaign.wave-soak-skipped"),
        (typeof(CampaignEvents.WaveFinished), "campaign.wave-finished"),
        (typeof(CampaignEvents.Paused), "campaign.paused"),
        (typeof(CampaignEvents.Resumed), "campaign.resumed"),
        (typeof(CampaignEvents.Aborted), "campaign.aborted"),
        (typeof(CampaignEvents.Completed), "campaign.completed"),
        (typeof(CampaignState), "campaign.state"),
    ];

    private static readonly FrozenDictionary<Type, string> NameByType = Entries.ToFrozenDictionary(e => e.Type, e => e.Name);
    private static readonly FrozenDictionary<string, Type> TypeByName = Entries.ToFrozenDictionary(e => e.Name, e => e.Type, StringComparer.Ordinal);

    /// <summary>
    /// camelCase fields, enums by name, nulls left out, and only what reads back: a property nothing can set
    /// (<c>ClusterKey.EntityId</c>, <c>ClusterUpgradeState.NextStep</c>) is derived, not journaled.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OnlyWhatReadsBack } },
    };

    /// <summary>The types this format names (events of both journals and the upgrade state's snapshot).</summary>
    public static IReadOnlyCollection<Type> Types => NameByType.Keys;

    /// <summary>The journal's name of <paramref name="type"/>; a type without one cannot be journaled in this format.</summary>
    public static string NameOf(Type type) =>
        NameByType.TryGetValue(type, out var name)
            ? name
            : throw new ArgumentException($"{type.FullName} has no name in the journal's format: add it to {nameof(JournalFormat)}.{nameof(Entries)} with a new, never used name", nameof(type));

    public static byte[] Write(object value) => JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), Options);

    /// <summary>Reads a row written under <paramref name="name"/>.</summary>
    public static object Read(ReadOnlySpan<byte> json, string name)
    {
        if (!TypeByName.TryGetValue(name, out var type))
            throw new JsonException($"the journal holds a '{name}', which this build of capi-upgrade does not know: it was written by a newer version; run that version (or a newer one) on this journal");
        return JsonSerializer.Deserialize(json, type, Options)
               ?? throw new JsonException($"the journal holds a '{name}' that is JSON null: the row is damaged");
    }

    private static void OnlyWhatReadsBack(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i] is { Set: null, AssociatedParameter: null }) info.Properties.RemoveAt(i);
        }
    }
}
