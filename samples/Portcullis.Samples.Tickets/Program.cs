using System.Reflection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.McpHttp;
using Portcullis.Samples.Tickets;

// Usage: Portcullis.Samples.Tickets [--http [--urls http://127.0.0.1:0]]   (stdio by default)
var tools = new TicketTools(new TicketStore());
// Built once: describing the tools (their JSON schemas) by reflection is the costly part, and a sessionless request
// gets a server of its own.
McpServerTool[] described = [.. typeof(TicketTools).GetMethods()
    .Where(m => m.GetCustomAttribute<McpServerToolAttribute>() is not null)
    .Select(m => McpServerTool.Create(m, tools))];
await McpServerHost.RunAsync(args, "tickets", () => new McpServerOptions
{
    ServerInfo = new Implementation { Name = "tickets", Version = "1.0.0" },
    ServerInstructions = "A ticket tracker. Read with list_tickets/get_ticket; change with create_ticket/update_ticket/delete_ticket.",
    ToolCollection = [.. described],
});
