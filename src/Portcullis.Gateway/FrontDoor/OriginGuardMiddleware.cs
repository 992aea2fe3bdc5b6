using System.Net;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using Portcullis.Configuration;
using Portcullis.McpHttp;

namespace Portcullis.Gateway.FrontDoor;

/// <summary>
/// DNS-rebinding and cross-site protection: a request must name an allowed host, and a browser request must come from
/// an allowed origin. Loopback names are always allowed; everything else only when listed in the configuration.
/// </summary>
internal sealed class OriginGuardMiddleware(RequestDelegate next, GatewayConfigProvider config)
{
    public Task InvokeAsync(HttpContext context)
    {
        var frontDoor = config.Current.Gateway;
        var host = context.Request.Host.Host;
        if (!IsLoopbackName(host) && !frontDoor.AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            return McpHttpEndpoint.WriteErrorAsync(context, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest,
                $"Forbidden: host '{host}' is not allowed. Add it to gateway.allowedHosts if the gateway is meant to be reached under that name.");
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowedOrigin(origin, frontDoor.AllowedOrigins))
        {
            return McpHttpEndpoint.WriteErrorAsync(context, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest,
                $"Forbidden: origin '{origin}' is not allowed. Add it to gateway.allowedOrigins to let that web page call the gateway.");
        }

        return next(context);
    }

    private static bool IsAllowedOrigin(string origin, IReadOnlyList<string> allowed) =>
        allowed.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)
        || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsLoopbackName(uri.Host));

    private static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
