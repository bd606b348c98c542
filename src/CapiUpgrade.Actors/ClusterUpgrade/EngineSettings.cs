using Akka.Configuration;

namespace CapiUpgrade.Actors.ClusterUpgrade;

/// <summary>Tunables of the upgrade engine, from HOCON `capi-upgrade.engine` (hocon/engine.conf).</summary>
public sealed record EngineSettings
{
    public static readonly EngineSettings Default = new();

    /// <summary>Save a snapshot after this many events.</summary>
    public int SnapshotEvery { get; init; } = 50;
    /// <summary>Longest a step that writes may take before it counts as failed (wait steps use the machine timeout).</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Longest a wait for an old Machine to be held by our hook, or to be gone, may take.</summary>
    public TimeSpan DeletionTimeout { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Backoff between attempts of a step after a transient failure.</summary>
    public TimeSpan RetryMinBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Backoff supervisor of the persistent actor (restarts after a crash of the actor itself).</summary>
    public TimeSpan SupervisorMinBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan SupervisorMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    public double SupervisorRandomFactor { get; init; } = 0.2;
    /// <summary>
    /// Under cluster sharding (the service): how long a finished upgrade's actor stays in memory with no message
    /// before it passivates; its state stays in the journal, and the next command or upgrade of that cluster brings
    /// it back. Null (capi-upgrade run, which ends with its upgrade): never.
    /// </summary>
    public TimeSpan? PassivateFinishedAfter { get; init; }

    public TimeSpan RetryBackoff(int attempt)
    {
        var ms = RetryMinBackoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        return TimeSpan.FromMilliseconds(Math.Min(ms, RetryMaxBackoff.TotalMilliseconds));
    }

    /// <summary>Reads `capi-upgrade.engine` from <paramref name="config"/>; missing keys keep their defaults.</summary>
    public static EngineSettings FromConfig(Config config)
    {
        var c = config.GetConfig("capi-upgrade.engine");
        if (c is null || c.IsEmpty) return Default;
        var d = Default;
        return new EngineSettings
        {
            SnapshotEvery = c.GetInt("snapshot-every", d.SnapshotEvery),
            StepTimeout = c.GetTimeSpan("step-timeout", d.StepTimeout),
            DeletionTimeout = c.GetTimeSpan("deletion-timeout", d.DeletionTimeout),
            RetryMinBackoff = c.GetTimeSpan("retry.min-backoff", d.RetryMinBackoff),
            RetryMaxBackoff = c.GetTimeSpan("retry.max-backoff", d.RetryMaxBackoff),
            SupervisorMinBackoff = c.GetTimeSpan("supervisor.min-backoff", d.SupervisorMinBackoff),
            SupervisorMaxBackoff = c.GetTimeSpan("supervisor.max-backoff", d.SupervisorMaxBackoff),
            SupervisorRandomFactor = c.GetDouble("supervisor.random-factor", d.SupervisorRandomFactor),
        };
    }

    /// <summary>Defaults for a new upgrade's options from `capi-upgrade.engine` (machine-timeout, max-step-attempts).</summary>
    public static Core.Upgrades.UpgradeOptions DefaultOptions(Config config)
    {
        var c = config.GetConfig("capi-upgrade.engine");
        var d = Core.Upgrades.UpgradeOptions.Default;
        if (c is null || c.IsEmpty) return d;
        return d with
        {
            MachineTimeout = c.GetTimeSpan("machine-timeout", d.MachineTimeout),
            MaxStepAttempts = c.GetInt("max-step-attempts", d.MaxStepAttempts),
        };
    }
}
