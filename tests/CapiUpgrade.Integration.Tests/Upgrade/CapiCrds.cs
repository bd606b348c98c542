namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>The real CAPI v1.10.10 CRDs in shared/ beside the repository (as CI lays it out); a test fails when they are absent.</summary>
public static class CapiCrds
{
    public static string Folder { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "capi-crds", "v1.10.10"), Path.Combine(dir.FullName, "..", "shared", "capi-crds", "v1.10.10") })
                if (File.Exists(Path.Combine(candidate, "cluster.x-k8s.io_machines.yaml")))
                    return Path.GetFullPath(candidate);
        }
        throw new InvalidOperationException(
            "the CAPI v1.10.10 CRD folder shared/capi-crds/v1.10.10 was not found beside the repository or above it: " +
            "the integration tests validate every write against it; put the shared folder beside the clone");
    }
}
