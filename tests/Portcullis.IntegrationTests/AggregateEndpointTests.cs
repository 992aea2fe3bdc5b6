using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>
/// One gateway in front of the tickets sample over stdio and over Streamable HTTP, and the reference memory server over
/// stdio; agents connect with the SDK client.
/// </summary>
public sealed class AggregateEndpointTests : IAsyncLifetime
{
    private UpstreamProcess _ticketsHttp = null!;
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _ticketsHttp = await UpstreamProcess.StartTicketsHttpAsync(ct);
        _gateway = await TestGateway.StartAsync($"""
            servers:
            {Yaml.TicketsStdio()}
            {Yaml.Http("helpdesk", _ticketsHttp.Url)}
            {Yaml.MemoryStdio()}
            virtualServers:
              - id: support
                tools: [tickets__list_*, tickets__get_ticket, memory__read_graph]
            """, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _ticketsHttp.DisposeAsync();
    }

    [Fact]
    public async Task The_aggregate_endpoint_lists_every_servers_tools_namespaced_and_never_merges_equal_names()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();

        Assert.Contains("tickets__list_tickets", names);
        Assert.Contains("helpdesk__list_tickets", names);
        Assert.Contains("memory__create_entities", names);
        Assert.Contains("memory__read_graph", names);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", n));
    }

    [Fact]
    public async Task Calls_reach_the_right_server_over_stdio_and_http()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        var created = await client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "Laptop will not boot", ["priority"] = "high" }, cancellationToken: ct);
        Assert.NotEqual(true, created.IsError);
        var ticket = JsonDocument.Parse(Text(created)).RootElement;
        Assert.Equal("Laptop will not boot", ticket.GetProperty("title").GetString());

        var fetched = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = ticket.GetProperty("id").GetInt32() }, cancellationToken: ct);
        Assert.Contains("Laptop will not boot", Text(fetched));

        // The HTTP instance is a different process: the ticket created over stdio is not there.
        var httpList = await client.CallToolAsync("helpdesk__list_tickets", cancellationToken: ct);
        Assert.DoesNotContain("Laptop will not boot", Text(httpList));
        Assert.Contains("VPN drops every hour", Text(httpList));
    }

    [Fact]
    public async Task The_reference_memory_server_works_through_the_gateway()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);
        var entity = "Portcullis-" + Guid.NewGuid().ToString("N")[..8];

        var created = await client.CallToolAsync("memory__create_entities", new Dictionary<string, object?>
        {
            ["entities"] = new[] { new { name = entity, entityType = "project", observations = new[] { "governs MCP" } } },
        }, cancellationToken: ct);
        Assert.NotEqual(true, created.IsError);

        var graph = await client.CallToolAsync("memory__read_graph", cancellationToken: ct);
        Assert.Contains(entity, Text(graph));
    }

    [Fact]
    public async Task An_unknown_tool_is_a_protocol_error_that_names_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        var unknownServer = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("github__create_issue", cancellationToken: ct).AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, unknownServer.ErrorCode);
        Assert.Contains("github__create_issue", unknownServer.Message);

        var unknownTool = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__drop_database", cancellationToken: ct).AsTask());
        Assert.Contains("tickets__drop_database", unknownTool.Message);
        Assert.Contains("'tickets' has no tool named 'drop_database'", unknownTool.Message);
    }

    [Theory]
    [InlineData("2025-11-25")]
    [InlineData(null)] // the sessionless 2026-07-28
    public async Task A_single_server_endpoint_shows_only_that_server_with_plain_names(string? version)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync("/servers/helpdesk/mcp", new McpClientOptions { ProtocolVersion = version }, cancellationToken: ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order().ToList();
        Assert.Equal(["create_ticket", "delete_ticket", "get_ticket", "list_tickets", "update_ticket"], names);

        var result = await client.CallToolAsync("get_ticket", new Dictionary<string, object?> { ["id"] = 2 }, cancellationToken: ct);
        Assert.Contains("VPN drops every hour", Text(result));
    }

    [Theory]
    [InlineData("2025-11-25")]
    [InlineData(null)] // the sessionless 2026-07-28
    public async Task A_virtual_server_exposes_only_its_curated_tools(string? version)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync("/v/support/mcp", new McpClientOptions { ProtocolVersion = version }, cancellationToken: ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order().ToList();
        Assert.Equal(["memory__read_graph", "tickets__get_ticket", "tickets__list_tickets"], names);

        var listed = await client.CallToolAsync("tickets__list_tickets", cancellationToken: ct);
        Assert.Contains("Printer on floor 3", Text(listed));

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__delete_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct).AsTask());
        Assert.Contains("Unknown tool 'tickets__delete_ticket' on /v/support/mcp", refused.Message);
    }

    [Fact]
    public async Task An_endpoint_for_an_undeclared_server_is_404()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _gateway.Http.PostAsync("/servers/nope/mcp", Json(InitializeBody), ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no such server", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Legacy_sse_clients_of_protocol_2024_11_05_are_served()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync("/sse", mode: HttpTransportMode.Sse, options: new McpClientOptions { ProtocolVersion = "2024-11-05" }, cancellationToken: ct);

        Assert.Equal("2024-11-05", client.NegotiatedProtocolVersion);
        var result = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
        Assert.Contains("Printer on floor 3", Text(result));
    }

    [Theory]
    [InlineData("2025-03-26")]
    [InlineData("2025-06-18")]
    [InlineData("2025-11-25")]
    public async Task Every_session_based_protocol_version_negotiates(string version)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(options: new McpClientOptions { ProtocolVersion = version }, cancellationToken: ct);
        Assert.Equal(version, client.NegotiatedProtocolVersion);
        Assert.Contains((await client.ListToolsAsync(cancellationToken: ct)), t => t.Name == "tickets__list_tickets");
    }

    [Fact]
    public async Task A_client_on_the_sessionless_2026_07_28_revision_is_served()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(options: new McpClientOptions(), cancellationToken: ct);

        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        var result = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 3 }, cancellationToken: ct);
        Assert.Contains("second monitor", Text(result));
    }

    internal const string InitializeBody = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    internal static StringContent Json(string body)
    {
        var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return content;
    }

    internal static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));
}
