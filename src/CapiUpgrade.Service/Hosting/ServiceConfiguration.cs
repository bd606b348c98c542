using System.Reflection;
using Akka.Configuration;

namespace CapiUpgrade.Service.Hosting;

/// <summary>
/// The service's HOCON, layered: env <c>CAPI_UPGRADE_HOCON</c> (HOCON text) over the file named by
/// <c>--config</c> or env <c>CAPI_UPGRADE_CONFIG</c> over the defaults embedded from <c>hocon/*.conf</c>.
/// Command-line flags override all of it (see <see cref="ServiceOptions"/>).
/// </summary>
public static class ServiceConfiguration
{
    public const string HoconEnvironmentVariable = "CAPI_UPGRADE_HOCON";
    public const string ConfigFileEnvironmentVariable = "CAPI_UPGRADE_CONFIG";

    /// <summary>Every embedded hocon/*.conf, service.conf first so the others may override it.</summary>
    public static Config EmbeddedDefaults()
    {
        var assembly = typeof(ServiceConfiguration).Assembly;
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("hocon/", StringComparison.Ordinal) && n.EndsWith(".conf", StringComparison.Ordinal))
            .OrderBy(n => n == "hocon/service.conf" ? 1 : 0)
            .ThenBy(n => n, StringComparer.Ordinal);
        var config = Config.Empty;
        foreach (var name in names)
            config = ParseResource(assembly, name).WithFallback(config);
        return config;
    }

    public static Config Load(string? configFile, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var config = EmbeddedDefaults();
        var file = string.IsNullOrWhiteSpace(configFile) ? environment(ConfigFileEnvironmentVariable) : configFile;
        if (!string.IsNullOrWhiteSpace(file))
        {
            if (!File.Exists(file))
                throw new ServiceStartException($"configuration file '{file}' (from --config or {ConfigFileEnvironmentVariable}) does not exist: create it or drop the option");
            config = ParseText(File.ReadAllText(file), file).WithFallback(config);
        }
        var inline = environment(HoconEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(inline))
            config = ParseText(inline, HoconEnvironmentVariable).WithFallback(config);
        return config;
    }

    private static Config ParseResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return ParseText(reader.ReadToEnd(), name);
    }

    private static Config ParseText(string text, string origin)
    {
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new ServiceStartException($"HOCON in {origin} does not parse: {e.Message}");
        }
    }
}

/// <summary>The service cannot start; the message says what to fix. Exit code 2.</summary>
public sealed class ServiceStartException(string message) : Exception(message);
