using CapiUpgrade.Kubernetes.Etcd;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

public sealed class EtcdStatusErrorsTests
{
    [Fact]
    public void Alarms_are_read_as_etcd_prints_them_and_the_rest_stays_the_members_own_errors()
    {
        // As etcd 3.4 fills StatusResponse.errors: each AlarmMember in protobuf text (a trailing space included),
        // then anything the member reports wrong with itself.
        var (alarms, errors) = EtcdStatusErrors.Split(
            ["memberID:10276657743932975437 alarm:NOSPACE ", "memberID:42 alarm:CORRUPT", "etcdserver: no leader"]);

        Assert.Equal([new EtcdAlarm(10276657743932975437, "NOSPACE"), new EtcdAlarm(42, "CORRUPT")], alarms);
        Assert.Equal(["etcdserver: no leader"], errors);
    }

    [Fact]
    public void Text_that_only_looks_like_an_alarm_is_an_error_of_the_member()
    {
        // Not silently dropped: whatever cannot be read as an alarm makes the member unhealthy.
        var (alarms, errors) = EtcdStatusErrors.Split(["memberID:x1 alarm:NOSPACE", "alarm:NOSPACE", "memberID:99999999999999999999 alarm:NOSPACE"]);

        Assert.Empty(alarms);
        Assert.Equal(3, errors.Count);
    }
}
