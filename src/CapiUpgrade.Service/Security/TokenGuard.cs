using System.Security.Cryptography;
using System.Text;
using CapiUpgrade.Service.Metrics;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Security;

/// <summary>
/// The token rule of both endpoints: with a token configured every request must carry it (TCP:
/// the request's <c>token</c> field; HTTP: <c>Authorization: Bearer TOKEN</c>); without one,
/// the service only binds loopback (enforced at start, <see cref="Hosting.ServiceOptions"/>).
/// A refusal is logged with the endpoint and the peer, never with the token.
/// </summary>
public sealed class TokenGuard(string? token, ServiceMetrics metrics, ILogger<TokenGuard> logger)
{
    private readonly byte[]? _expected = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Required => _expected is not null;

    public bool Accepts(string? presented, string endpoint, string peer)
    {
        if (_expected is null) return true;
        var ok = presented is not null && CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
        if (!ok)
        {
            metrics.TokenRejected(endpoint);
            logger.LogWarning("refused a request on the {Endpoint} endpoint from {Peer}: {Problem}",
                endpoint, peer, presented is null ? "no token" : "wrong token");
        }
        return ok;
    }
}
