using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portcullis.McpHttp;

/// <summary>Registration and mapping of MCP HTTP endpoints.</summary>
public static class McpHttpEndpointRouteBuilderExtensions
{
    /// <summary>Adds the session registry and options.</summary>
    public static IServiceCollection AddMcpHttp(this IServiceCollection services, Action<McpHttpOptions>? configure = null)
    {
        services.AddOptions<McpHttpOptions>().Configure(o => configure?.Invoke(o));
        services.TryAddSingleton<McpHttpSessions>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<McpHttpSessions>());
        return services;
    }

    /// <summary>
    /// Maps an MCP endpoint under <paramref name="basePattern"/> (e.g. <c>""</c> or <c>"/servers/{id}"</c>):
    /// Streamable HTTP at <c>{base}/mcp</c>, legacy HTTP+SSE at <c>{base}/sse</c> and <c>{base}/message</c>.
    /// <paramref name="direct"/>, when given, answers some requests without the SDK server.
    /// </summary>
    public static RouteGroupBuilder MapMcpHttp(this IEndpointRouteBuilder endpoints, string basePattern, McpServerFactory factory, IDirectRequestHandler? direct = null)
    {
        var services = endpoints.ServiceProvider;
        var endpoint = new McpHttpEndpoint(
            factory,
            services.GetRequiredService<McpHttpSessions>(),
            services.GetRequiredService<IOptions<McpHttpOptions>>(),
            services.GetRequiredService<ILoggerFactory>(),
            direct);

        var group = endpoints.MapGroup(basePattern);
        group.MapPost("/mcp", endpoint.HandlePostAsync);
        group.MapGet("/mcp", endpoint.HandleGetAsync);
        group.MapDelete("/mcp", endpoint.HandleDeleteAsync);
        group.MapGet("/sse", endpoint.HandleSseAsync);
        group.MapPost("/message", endpoint.HandleSseMessageAsync);
        return group;
    }
}
