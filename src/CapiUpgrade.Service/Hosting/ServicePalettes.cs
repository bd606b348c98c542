using CapiUpgrade.Service.Commands;
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
        return services;
    }
}
