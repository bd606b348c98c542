namespace CapiUpgrade.Core.Upgrades;

/// <summary>The inputs of the pure state machine: operator commands and step outcomes.</summary>
public abstract record UpgradeCommand
{
    private UpgradeCommand() { }

    public sealed record Start(string UpgradeId, string TargetVersion, UpgradeOptions Options, string By) : UpgradeCommand;
    public sealed record Pause(string Reason, string By) : UpgradeCommand;
    public sealed record Resume(string By) : UpgradeCommand;
    public sealed record Retry(string By) : UpgradeCommand;
    public sealed record Abort(string By) : UpgradeCommand;

    /// <summary>The actor is idle and asks for the next step's intent.</summary>
    public sealed record BeginNextStep : UpgradeCommand
    {
        public static readonly BeginNextStep Instance = new();
    }

    /// <summary>The in-flight step's side effect finished.</summary>
    public sealed record CompleteStep(UpgradeStep Step, string? Machine, StepOutcome Outcome) : UpgradeCommand;
}

/// <summary>What Decide answers: events to persist, or why the command was rejected (nothing persisted).</summary>
public sealed record Decision(IReadOnlyList<IClusterUpgradeEvent> Events, string? Rejection = null)
{
    public static readonly Decision Nothing = new(Array.Empty<IClusterUpgradeEvent>());
    public static Decision Of(params IClusterUpgradeEvent[] events) => new(events);
    public static Decision Reject(string reason) => new(Array.Empty<IClusterUpgradeEvent>(), reason);
    public bool IsRejected => Rejection is not null;
}
