using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>How to run one simulated API server.</summary>
public sealed record KubeApiServerOptions
{
    /// <summary>Cluster name (kubeconfig cluster entry, logs).</summary>
    public string Name { get; init; } = "management";

    /// <summary>TCP port on 127.0.0.1; 0 = any free port (read the real one from <see cref="KubeApiServer.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>Serve HTTPS with this certificate (with private key). Null = plain HTTP.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>PEM of the CA that signed <see cref="ServerCertificate"/>, written into kubeconfigs as certificate-authority-data.</summary>
    public string? ServerCaPem { get; init; }

    /// <summary>When set, requests presenting a client certificate issued by this CA are authenticated.</summary>
    public X509Certificate2? ClientCertificateAuthority { get; init; }

    /// <summary>Client certificate (with key) written into <see cref="KubeApiServer.Kubeconfig"/>; minted from <see cref="ClientCertificateAuthority"/> when null and that CA has its key.</summary>
    public X509Certificate2? AdminClientCertificate { get; init; }

    /// <summary>When set, requests with <c>Authorization: Bearer &lt;token&gt;</c> are authenticated.</summary>
    public string? BearerToken { get; init; }

    /// <summary>Kinds served; null = <see cref="ResourceRegistry.BuiltIn"/>.</summary>
    public ResourceRegistry? Registry { get; init; }

    /// <summary>Optional schema validation (e.g. <c>CrdSchemaValidator</c> from CRD files).</summary>
    public IObjectValidator? Validator { get; init; }

    /// <summary>Events kept for watches resuming from an older resourceVersion (older: 410 Gone).</summary>
    public int WatchHistorySize { get; init; } = 1000;

    /// <summary>How often an idle watch that allows bookmarks gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Create default, kube-system, kube-public and kube-node-lease at start, like a real cluster.</summary>
    public bool CreateDefaultNamespaces { get; init; } = true;

    /// <summary>
    /// Treat a write that names no <c>fieldValidation</c> as <c>Strict</c>: unknown fields are rejected (400) instead
    /// of pruned. The real server defaults to Warn; tests turn this on so a field the real server would silently
    /// drop fails loudly.
    /// </summary>
    public bool StrictFieldValidationByDefault { get; init; }

    /// <summary>
    /// Serve requests without a valid credential too (the real server's <c>--anonymous-auth</c>, with every permission
    /// here): a plain-HTTP `sim serve` writes a bearer token into its kubeconfig, which KubernetesClient needs and sends,
    /// while kubectl sends no token over plain HTTP.
    /// </summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>True when any credential is configured and anonymous requests are not allowed: requests without a valid one get 401.</summary>
    public bool RequiresAuthentication => !AllowAnonymous && (ClientCertificateAuthority is not null || BearerToken is not null);
}
