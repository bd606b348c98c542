using CapiUpgrade.Service.Campaigns;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Fleet;
using CapiUpgrade.Service.ReadModel;
using CapiUpgrade.Service.Upgrades;
using Microsoft.Extensions.DependencyInjection;

namespace CapiUpgrade.Service.Hosting;

public static class ServicePalettes
{
    public static IServiceCollection AddServicePalettes(this IServiceCollection services)
    {
        services.AddSingleton<ReadModelProjection>();
        services.AddSingleton<IJournalProjector, UpgradeProjector>();
        services.AddSingleton<UpgradeHistory>();
        services.AddSingleton<IUpgradeSteering, ShardedUpgradeSteering>();
        services.AddSingleton<IPaletteHandler, UpgradePalette>();
        services.AddSingleton<IJournalProjector, CampaignProjector>();
        services.AddSingleton<ManagementClients>();
        services.AddSingleton<FleetFacts>();
        services.AddSingleton<EtcdProbe>();
        services.AddSingleton<IPaletteHandler, CampaignPalette>();
        services.AddSingleton<IPaletteHandler, FleetPalette>();
        services.AddSingleton<IPaletteHandler, Etcd.EtcdPalette>();
        return services;
    }
}
