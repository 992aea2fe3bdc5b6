using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Routing;

namespace Portcullis.Gateway.Identity;

/// <summary>
/// RFC 9728 protected resource metadata: <c>/.well-known/oauth-protected-resource</c> for the canonical resource and
/// the path-suffixed form for each MCP endpoint, naming the trusted authorization servers and scopes.
/// </summary>
internal static class ProtectedResourceMetadata
{
    public static void MapProtectedResourceMetadata(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(EndpointResource.MetadataPath, (GatewayConfigProvider config, HttpContext context) => Document(config.Current, EndpointResource.CanonicalResource(context, config.Current)));
        endpoints.MapGet(EndpointResource.MetadataPath + "/{**endpoint}", (string endpoint, GatewayConfigProvider config, EndpointCatalog catalog, HttpContext context) =>
        {
            var view = endpoint switch
            {
                "mcp" => EndpointView.Aggregate.Instance,
                _ when endpoint.StartsWith("servers/", StringComparison.Ordinal) && endpoint.EndsWith("/mcp", StringComparison.Ordinal) => new EndpointView.Server(endpoint["servers/".Length..^"/mcp".Length]),
                _ when endpoint.StartsWith("v/", StringComparison.Ordinal) && endpoint.EndsWith("/mcp", StringComparison.Ordinal) => (EndpointView)new EndpointView.Virtual(endpoint["v/".Length..^"/mcp".Length]),
                _ => null,
            };
            return view is not null && catalog.Exists(view)
                ? Document(config.Current, new Uri(EndpointResource.BaseUrl(context, config.Current) + view.Path))
                : Results.Json(new { error = $"no MCP endpoint at /{endpoint}" }, statusCode: StatusCodes.Status404NotFound);
        });
    }

    private static IResult Document(GatewayConfig config, Uri resource) => Results.Json(new Dictionary<string, object>
    {
        ["resource"] = resource.ToString(),
        ["authorization_servers"] = config.Auth.Issuers.Select(i => i.Issuer.ToString().TrimEnd('/')).ToArray(),
        ["scopes_supported"] = config.Auth.Scopes.ToArray(),
        ["bearer_methods_supported"] = new[] { "header" },
        ["resource_name"] = "Portcullis MCP gateway",
    });
}
