using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>Runs one MCP server as a program: over stdio by default, or with <c>--http [--urls URL]</c> over Streamable HTTP and HTTP+SSE.</summary>
public static class McpServerHost
{
    /// <summary>Runs until stdin closes (stdio) or the process is stopped (HTTP).</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="name">Server name, used for stdio logging.</param>
    /// <param name="createOptions">Creates the options of one session (stdio has one; HTTP one per session).</param>
    public static async Task RunAsync(string[] args, string name, Func<McpServerOptions> createOptions)
    {
        if (!args.Contains("--http"))
        {
            // stdout carries the protocol, so logs go to stderr.
            using var loggerFactory = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
            await using var server = McpServer.Create(new StdioServerTransport(name, loggerFactory), createOptions(), loggerFactory);
            await server.RunAsync();
            return;
        }

        // The content root is the binaries' folder, not the working directory: the default host watches its content root
        // recursively for settings changes, and a working directory holding a busy database (a gateway's, beside it)
        // would cost a file-change event per write.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args.Where(a => a != "--http").ToArray(), ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMcpHttp();
        var app = builder.Build();
        app.MapMcpHttp("", (_, _, transport) => McpServer.Create(transport, createOptions(), app.Services.GetRequiredService<ILoggerFactory>(), app.Services));
        await app.StartAsync();
        // Scripts and tests read the bound address (port 0 picks a free one) from this line.
        Console.WriteLine("Listening on " + app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        await app.WaitForShutdownAsync();
    }
}
