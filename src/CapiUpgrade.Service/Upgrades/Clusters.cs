using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Commands;

namespace CapiUpgrade.Service.Upgrades;

public static class Clusters
{
    /// <summary>Parses NAMESPACE/NAME or MANAGEMENT/NAMESPACE/NAME, or fails the command with the fix.</summary>
    public static ClusterKey Parse(string text)
    {
        try
        {
            return ClusterKey.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CommandException(e.Message);
        }
    }
}
