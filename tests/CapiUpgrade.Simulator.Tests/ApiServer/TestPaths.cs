namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>
/// Where the shared test data lives: <c>../shared</c> next to the repository root (the folder with
/// CapiUpgrade.Actors.sln), as in CI; from a worktree nested deeper, the nearest ancestor's <c>shared</c> folder.
/// </summary>
public static class TestPaths
{
    public static string CapiCrds
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CapiUpgrade.Actors.sln"))) dir = dir.Parent;
            Assert.True(dir is not null, $"no folder with CapiUpgrade.Actors.sln above {AppContext.BaseDirectory}");
            var root = dir!.FullName;
            for (var up = dir.Parent; up is not null; up = up.Parent)
            {
                var candidate = Path.Combine(up.FullName, "shared", "capi-crds", "v1.10.10");
                if (Directory.Exists(candidate)) return candidate;
            }
            Assert.Fail($"the CAPI CRD folder is missing: put the shared folder beside the repository ({Path.GetFullPath(Path.Combine(root, "..", "shared", "capi-crds", "v1.10.10"))})");
            return "";
        }
    }
}
