using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.McpHttp;
using Portcullis.Samples.Tickets;

// Usage: Portcullis.Samples.Tickets [--http [--urls http://127.0.0.1:0]]   (stdio by default)
var store = new TicketStore();
var tools = new TicketTools(store);
McpServerOptions CreateOptions() => new()
{
    ServerInfo = new Implementation { Name = "tickets", Version = "1.0.0" },
    ServerInstructions = "A ticket tracker. Read with list_tickets/get_ticket; change with create_ticket/update_ticket/delete_ticket.",
    ToolCollection = [.. typeof(TicketTools).GetMethods()
        .Where(m => m.GetCustomAttribute<McpServerToolAttribute>() is not null)
        .Select(m => McpServerTool.Create(m, tools))],
};

if (!args.Contains("--http"))
{
    using var loggerFactory = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
    await using var server = McpServer.Create(new StdioServerTransport("tickets", loggerFactory), CreateOptions(), loggerFactory);
    await server.RunAsync();
    return;
}

var builder = WebApplication.CreateSlimBuilder(args.Where(a => a != "--http").ToArray());
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddMcpHttp();
var app = builder.Build();
app.MapMcpHttp("", (_, _, transport) => McpServer.Create(transport, CreateOptions(), app.Services.GetRequiredService<ILoggerFactory>(), app.Services));
await app.StartAsync();
// Tests and scripts read the bound address (port 0 picks a free one) from this line.
Console.WriteLine("Listening on " + app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
await app.WaitForShutdownAsync();
