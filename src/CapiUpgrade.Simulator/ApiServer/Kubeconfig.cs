using System.Text;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>Writes kubeconfig files (YAML) as kubeadm and Cluster API write them.</summary>
public static class Kubeconfig
{
    /// <summary>
    /// A kubeconfig with one cluster, user and context (<c>&lt;user&gt;@&lt;cluster&gt;</c>). PEM arguments are
    /// written base64-encoded as the *-data fields; null ones are left out.
    /// </summary>
    public static string Build(string clusterName, string serverUrl, string? caPem = null, string? clientCertPem = null, string? clientKeyPem = null, string? token = null, string user = "kubernetes-admin")
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        var context = $"{user}@{clusterName}";
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\nclusters:\n");
        sb.Append($"- name: {clusterName}\n  cluster:\n    server: {serverUrl}\n");
        if (caPem is not null) sb.Append($"    certificate-authority-data: {B64(caPem)}\n");
        sb.Append($"contexts:\n- name: {context}\n  context:\n    cluster: {clusterName}\n    user: {user}\n");
        sb.Append($"current-context: {context}\npreferences: {{}}\nusers:\n- name: {user}\n  user:");
        if (clientCertPem is null && clientKeyPem is null && token is null) sb.Append(" {}");
        sb.Append('\n');
        if (clientCertPem is not null) sb.Append($"    client-certificate-data: {B64(clientCertPem)}\n");
        if (clientKeyPem is not null) sb.Append($"    client-key-data: {B64(clientKeyPem)}\n");
        if (token is not null) sb.Append($"    token: {token}\n");
        return sb.ToString();
    }
}
