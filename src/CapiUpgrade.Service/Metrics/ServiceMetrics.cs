using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CapiUpgrade.Service.Metrics;

/// <summary>
/// The service's instruments (meter <c>CapiUpgrade.Service</c>), exported by OpenTelemetry as
/// Prometheus text on the HTTP endpoint's <c>/metrics</c>.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "CapiUpgrade.Service";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _commands;
    private readonly Histogram<double> _commandSeconds;
    private readonly Counter<long> _rejectedTokens;
    private readonly Histogram<double> _stepSeconds;
    private readonly Counter<long> _etcdHealthChecks;
    private readonly Counter<long> _apiErrors;
    private Func<IEnumerable<KeyValuePair<string, long>>> _upgradesByPhase = () => [];
    private Func<IEnumerable<KeyValuePair<string, long>>> _campaignsByPhase = () => [];
    private Func<long> _readModelEvents = () => 0;
    private Func<bool> _readModelCaughtUp = () => false;

    public ServiceMetrics()
    {
        _commands = _meter.CreateCounter<long>("capi_upgrade_commands", description: "operator commands executed, by palette, command and outcome");
        _commandSeconds = _meter.CreateHistogram<double>("capi_upgrade_command_duration", unit: "s", description: "time to answer an operator command",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _rejectedTokens = _meter.CreateCounter<long>("capi_upgrade_rejected_tokens", description: "requests refused for a missing or wrong token");
        _stepSeconds = _meter.CreateHistogram<double>("capi_upgrade_step_duration", unit: "s", description: "duration of upgrade steps, from the journal",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800] });
        _etcdHealthChecks = _meter.CreateCounter<long>("capi_upgrade_etcd_health_checks", description: "etcd health checks seen in the journal, by outcome");
        _apiErrors = _meter.CreateCounter<long>("capi_upgrade_api_errors", description: "Kubernetes or etcd API errors seen in the journal");
        _meter.CreateObservableGauge("capi_upgrade_upgrades", () => _upgradesByPhase().Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))), description: "cluster upgrades by phase");
        _meter.CreateObservableGauge("capi_upgrade_campaigns", () => _campaignsByPhase().Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))), description: "campaigns by phase");
        _meter.CreateObservableCounter("capi_upgrade_read_model_events_read", () => _readModelEvents(), description: "journal events the read model has read since the service started (after its checkpoint, when it had one)");
        _meter.CreateObservableGauge("capi_upgrade_read_model_caught_up", () => _readModelCaughtUp() ? 1 : 0, description: "1 once the read model has caught up with the journal (as /readyz), else 0");
    }

    public void ObserveReadModel(Func<long> eventsRead, Func<bool> caughtUp)
    {
        _readModelEvents = eventsRead;
        _readModelCaughtUp = caughtUp;
    }

    public void ObservePhases(Func<IEnumerable<KeyValuePair<string, long>>> upgrades, Func<IEnumerable<KeyValuePair<string, long>>> campaigns)
    {
        _upgradesByPhase = upgrades;
        _campaignsByPhase = campaigns;
    }

    public void CommandExecuted(string palette, string command, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "palette", palette }, { "command", command }, { "outcome", outcome } };
        _commands.Add(1, tags);
        if (elapsed > TimeSpan.Zero) _commandSeconds.Record(elapsed.TotalSeconds, tags);
    }

    public void TokenRejected(string endpoint) => _rejectedTokens.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void StepFinished(string step, TimeSpan duration) => _stepSeconds.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("step", step));

    public void EtcdHealthChecked(bool healthy) => _etcdHealthChecks.Add(1, new KeyValuePair<string, object?>("outcome", healthy ? "healthy" : "unhealthy"));

    public void ApiError(string source) => _apiErrors.Add(1, new KeyValuePair<string, object?>("source", source));

    public void Dispose() => _meter.Dispose();
}
