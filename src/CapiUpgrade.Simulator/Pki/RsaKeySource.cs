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

    /// <summary>
    /// An RSA key. When <see cref="CallerDisposes"/> is false the key belongs to the source (a pooled key
    /// imported once per thread: importing a private key makes OpenSSL check its primes, which is slow).
    /// </summary>
    public abstract RSA Next();

    /// <summary>Whether the caller must dispose the key <see cref="Next"/> returned.</summary>
    public abstract bool CallerDisposes { get; }

    private sealed class FreshKeys : RsaKeySource
    {
        public override RSA Next() => RSA.Create(2048);
        public override bool CallerDisposes => true;
    }

    private sealed class PooledKeys : RsaKeySource
    {
        private readonly byte[][] _keys;
        private readonly ThreadLocal<RSA?[]> _imported;
        private int _next = -1;

        public PooledKeys(int size)
        {
            _keys = Enumerable.Range(0, size).AsParallel()
                .Select(_ => { using var rsa = RSA.Create(2048); return rsa.ExportRSAPrivateKey(); }).ToArray();
            _imported = new ThreadLocal<RSA?[]>(() => new RSA?[_keys.Length]);
        }

        public override bool CallerDisposes => false;

        public override RSA Next()
        {
            var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)_keys.Length);
            var slots = _imported.Value!;
            if (slots[index] is { } rsa) return rsa;
            rsa = RSA.Create();
            rsa.ImportRSAPrivateKey(_keys[index], out _);
            return slots[index] = rsa;
        }
    }
}
