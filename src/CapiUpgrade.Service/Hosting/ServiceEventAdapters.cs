using Akka.Persistence.Hosting;

namespace CapiUpgrade.Service.Hosting;

/// <summary>Write event adapters that tag events for the read model (cluster upgrades, campaigns).</summary>
public static class ServiceEventAdapters
{
    public static void Register(AkkaPersistenceJournalBuilder journal)
    {
    }
}
