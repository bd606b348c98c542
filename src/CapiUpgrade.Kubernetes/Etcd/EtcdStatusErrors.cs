using System.Globalization;
using System.Text.RegularExpressions;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>
/// A member's Maintenance/Status `errors`: etcd lists there every active alarm of the cluster, each as its
/// AlarmMember in protobuf text (<c>memberID:10276657743932975437 alarm:NOSPACE</c>, the member id in decimal), and
/// its own trouble (e.g. <c>etcdserver: no leader</c>).
/// </summary>
public static partial class EtcdStatusErrors
{
    [GeneratedRegex(@"^\s*memberID:(?<id>\d+)\s+alarm:(?<alarm>[A-Z_]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex AlarmPattern();

    /// <summary>The alarms among <paramref name="errors"/>, and the rest: what the member itself reports wrong.</summary>
    public static (IReadOnlyList<EtcdAlarm> Alarms, IReadOnlyList<string> Errors) Split(IEnumerable<string> errors)
    {
        List<EtcdAlarm>? alarms = null;
        List<string>? others = null;
        foreach (var error in errors)
        {
            if (AlarmPattern().Match(error) is { Success: true } m
                && ulong.TryParse(m.Groups["id"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var member))
                (alarms ??= []).Add(new EtcdAlarm(member, m.Groups["alarm"].Value));
            else
                (others ??= []).Add(error);
        }
        return (alarms ?? [], others ?? []);
    }
}
