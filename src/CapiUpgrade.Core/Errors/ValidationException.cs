namespace CapiUpgrade.Core.Errors;

/// <summary>Thrown when input cannot be used at all; carries the findings (at least one error) that say why.</summary>
public sealed class ValidationException : Exception
{
    public ValidationException(IReadOnlyList<Finding> findings)
        : base(string.Join(Environment.NewLine, findings.Select(f => f.ToString())))
    {
        if (findings.Count == 0)
            throw new ArgumentException("a ValidationException needs at least one finding", nameof(findings));
        Findings = findings;
    }

    public ValidationException(Finding finding) : this([finding]) { }

    public IReadOnlyList<Finding> Findings { get; }
}
