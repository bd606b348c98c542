using System.Security.Cryptography.X509Certificates;

namespace CapiUpgrade.Simulator.Pki;

/// <summary>A certificate with its private key, in memory and as PEM (key as PKCS#1 "RSA PRIVATE KEY").</summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, string CertificatePem, string KeyPem)
{
    /// <summary>Writes `name.crt` and `name.key` into <paramref name="directory"/> and returns their paths.</summary>
    public (string CertificateFile, string KeyFile) WriteTo(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var crt = Path.Combine(directory, name + ".crt");
        var key = Path.Combine(directory, name + ".key");
        File.WriteAllText(crt, CertificatePem);
        File.WriteAllText(key, KeyPem);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (crt, key);
    }
}
