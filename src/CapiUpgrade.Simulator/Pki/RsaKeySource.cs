using System.Security.Cryptography;

namespace CapiUpgrade.Simulator.Pki;

/// <summary>
/// Where new RSA keys come from. <see cref="Fresh"/> generates a new 2048-bit key each time (what a
/// real cluster has). <see cref="Pooled"/> hands out keys from a small pre-generated pool: every
/// certificate is still distinct, but a fleet of thousands of simulated clusters does not spend
/// minutes generating keys.
/// </summary>
public abstract class RsaKeySource
{
    public static RsaKeySource Fresh { get; } = new FreshKeys();

    public static RsaKeySource Pooled(int size = 16) => new PooledKeys(size);

    private static readonly Lazy<RsaKeySource> SharedPool = new(() => Pooled(4));

    /// <summary>One pool of 4 keys per process (generated on first use): the default of simulated fleets.</summary>
    public static RsaKeySource Shared => SharedPool.Value;

    /// <summary>A new RSA key owned by the caller (dispose it when done).</summary>
    public abstract RSA Next();

    private sealed class FreshKeys : RsaKeySource
    {
        public override RSA Next() => RSA.Create(2048);
    }

    private sealed class PooledKeys(int size) : RsaKeySource
    {
        private readonly byte[][] _keys = Enumerable.Range(0, size).AsParallel()
            .Select(_ => { using var rsa = RSA.Create(2048); return rsa.ExportRSAPrivateKey(); }).ToArray();
        private int _next = -1;

        public override RSA Next()
        {
            var rsa = RSA.Create();
            rsa.ImportRSAPrivateKey(_keys[(int)((uint)Interlocked.Increment(ref _next) % (uint)_keys.Length)], out _);
            return rsa;
        }
    }
}
