using CapiUpgrade.Core.Errors;

namespace CapiUpgrade.Core.Tests.Errors;

public class FindingTests
{
    [Fact]
    public void Message_names_object_field_problem_and_fix()
    {
        var f = Finding.Error("InfraImagePinned", "DockerMachine default/cp-0", "spec.customImage", "'x@sha256:1' cannot be re-pointed", "pass --infra-patch FILE");
        Assert.Equal("DockerMachine default/cp-0 field spec.customImage: 'x@sha256:1' cannot be re-pointed. Fix: pass --infra-patch FILE", f.Message);
        Assert.Equal("Error InfraImagePinned: " + f.Message, f.ToString());
        Assert.True(f.IsError);
    }

    [Fact]
    public void Validation_exception_carries_the_findings_and_needs_one()
    {
        var f = Finding.Warning("W", "Cluster a/b", null, "p.", "f");
        var e = new ValidationException(f);
        Assert.Same(f, Assert.Single(e.Findings));
        Assert.Contains("Cluster a/b: p. Fix: f", e.Message);
        Assert.Throws<ArgumentException>(() => new ValidationException(Array.Empty<Finding>()));
    }
}
