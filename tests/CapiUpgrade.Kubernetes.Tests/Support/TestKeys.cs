using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Kubernetes.Tests.Support;

/// <summary>Reused RSA keys for test CAs (distinct certificates; RSA key generation is slow on busy cores).</summary>
internal static class TestKeys
{
    public static readonly RsaKeySource Pool = RsaKeySource.Pooled(8);
}
