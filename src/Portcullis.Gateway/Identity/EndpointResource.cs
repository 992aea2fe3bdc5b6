using Microsoft.AspNetCore.Http;
using Portcullis.Configuration;

namespace Portcullis.Gateway.Identity;

/// <summary>The resource URI (RFC 8707 / RFC 9728) a request addresses, and where its protected resource metadata lives.</summary>
internal static class EndpointResource
{
    public const string MetadataPath = "/.well-known/oauth-protected-resource";

    /// <summary>The MCP endpoint a request belongs to: <c>/servers/x/sse</c> and <c>/servers/x/message</c> belong to <c>/servers/x/mcp</c>.</summary>
    public static string EndpointPath(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.EndsWith("/mcp", StringComparison.Ordinal) && !path.EndsWith("/sse", StringComparison.Ordinal) && !path.EndsWith("/message", StringComparison.Ordinal))
        {
            return "/mcp";
        }

        return path[..path.LastIndexOf('/')] + "/mcp";
    }

    /// <summary>The configured public URL, or the scheme and Host the request used (the Host was checked by the origin guard).</summary>
    public static string BaseUrl(HttpContext context, GatewayConfig config) =>
        (config.Gateway.PublicUrl?.ToString() ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}").TrimEnd('/');

    /// <summary>The canonical resource URI (RFC 8707) tokens must be issued for.</summary>
    public static Uri CanonicalResource(HttpContext context, GatewayConfig config) => config.Auth.Resource ?? new Uri(BaseUrl(context, config) + "/mcp");

    public static Uri ResourceFor(HttpContext context, GatewayConfig config) => new(BaseUrl(context, config) + EndpointPath(context));

    public static string MetadataUrlFor(HttpContext context, GatewayConfig config) => BaseUrl(context, config) + MetadataPath + EndpointPath(context);
}
