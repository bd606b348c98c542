namespace CapiUpgrade.Core.Upgrades;

/// <summary>What came of running one step's side effect.</summary>
public abstract record StepOutcome
{
    private StepOutcome() { }

    /// <summary>Done. Replacement and Node name what the step created or found; Preflight carries its report.</summary>
    public sealed record Succeeded(string? Detail = null, string? Replacement = null, string? Node = null, PreflightReport? Preflight = null) : StepOutcome;

    /// <summary>A transient error (API 5xx/429, conflict, etcd unavailable): run the step again after a backoff.</summary>
    public sealed record Failed(string Error) : StepOutcome;

    /// <summary>Unsafe to go on (DESIGN §4 rule 1, a quorum check): pause with the reason.</summary>
    public sealed record Blocked(string Reason) : StepOutcome;

    /// <summary>A wait step ran out of time.</summary>
    public sealed record TimedOut(string Reason) : StepOutcome;

    /// <summary>Must not be done at all (claim held by another upgrade, ...).</summary>
    public sealed record Refused(string Reason) : StepOutcome;
}
