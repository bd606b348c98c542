using CapiUpgrade.Simulator.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace CapiUpgrade.Simulator.ApiServer.Http;

/// <summary>Applies the server's injected faults (latency, error responses) before a resource request.</summary>
internal static class Faults
{
    public static Task BeforeAsync(KubeApiServer server, HttpContext context, string verb, ResourceType type) =>
        server.Faults.BeforeRequestAsync(verb, type.QualifiedName, context.RequestAborted);
}
