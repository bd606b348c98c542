using System.Net;

namespace CapiUpgrade.Service.Hosting;

/// <summary>A HOST:PORT to bind; HOST is an IP address, <c>localhost</c>, <c>*</c> or <c>0.0.0.0</c>.</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    public IPEndPoint EndPoint => new(Address, Port);

    public override string ToString() => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    public static ListenAddress Parse(string value, string option)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new ServiceStartException($"{option} {value}: expected HOST:PORT, e.g. 127.0.0.1:9110");
        var host = value[..colon].Trim('[', ']');
        IPAddress address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" => IPAddress.Any,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => throw new ServiceStartException($"{option} {value}: '{host}' is not an IP address; use an address (127.0.0.1, 0.0.0.0) or localhost"),
        };
        return new ListenAddress(address, port);
    }
}
