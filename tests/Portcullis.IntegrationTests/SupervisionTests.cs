using System.Diagnostics;
using ModelContextProtocol.Client;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Upstreams;

namespace Portcullis.IntegrationTests;

/// <summary>Upstream failures: a crashing stdio server is restarted, a dead one is reported by name, the rest keep working.</summary>
public sealed class SupervisionTests
{
    [Fact]
    public async Task A_killed_stdio_server_yields_a_clear_error_then_is_restarted_and_serves_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = "--test-instance=" + Guid.NewGuid().ToString("N");
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio(marker: marker)}\n{Yaml.MemoryStdio()}", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        Assert.Contains("Printer", AggregateEndpointTests.Text(await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct)));
        var tickets = gateway.Upstream("tickets");

        var pid = ChildProcesses.FindByArgument(marker);
        var down = tickets.WaitForStateAsync(UpstreamState.Down, ct);
        Process.GetProcessById(pid).Kill();
        await down.WaitAsync(TimeSpan.FromSeconds(30), ct);

        // The next call fails with an error that names the server; it is not retried behind the agent's back.
        var failed = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
        Assert.True(failed.IsError);
        Assert.Contains("Server 'tickets' is unavailable", AggregateEndpointTests.Text(failed));
        Assert.Contains("exited", AggregateEndpointTests.Text(failed));

        // Another server is unaffected meanwhile.
        Assert.NotEqual(true, (await client.CallToolAsync("memory__read_graph", cancellationToken: ct)).IsError);

        await tickets.WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(1, tickets.Restarts);
        Assert.NotEqual(pid, ChildProcesses.FindByArgument(marker));
        var recovered = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
        Assert.NotEqual(true, recovered.IsError);
        Assert.Contains(gateway.Log.Lines, l => l.Contains("Upstream tickets is down") && l.Contains("exited"));
    }

    [Fact]
    public async Task A_server_that_cannot_start_is_named_in_the_error_and_the_gateway_stays_up()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"""
            servers:
            {Yaml.TicketsStdio()}
              - id: broken
                preapproved: true
                command: /nonexistent/mcp-server
            """, ct, waitForServers: false);
        await gateway.Upstream("tickets").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await gateway.Upstream("broken").WaitForStateAsync(UpstreamState.Down, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();
        Assert.Contains("tickets__list_tickets", names);

        await using var direct = await gateway.ConnectAsync("/servers/broken/mcp", cancellationToken: ct);
        Assert.Empty(await direct.ListToolsAsync(cancellationToken: ct));

        using var ready = await gateway.Http.GetAsync("/readyz", ct);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"broken\":{\"state\":\"down\"", await ready.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task An_unreachable_http_server_yields_an_error_naming_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = UpstreamProcess.FreePort();
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}\n{Yaml.Http("remote", $"http://127.0.0.1:{port}/mcp", extra: "    connectTimeout: 2s")}", ct, waitForServers: false);
        await gateway.Upstream("remote").WaitForStateAsync(UpstreamState.Down, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await gateway.Upstream("tickets").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using var client = await gateway.ConnectAsync("/servers/remote/mcp", cancellationToken: ct);

        var result = await client.CallToolAsync("list_tickets", cancellationToken: ct);
        Assert.True(result.IsError);
        Assert.Contains("Server 'remote' is unavailable", AggregateEndpointTests.Text(result));
        Assert.Contains(gateway.Log.Lines, l => l.Contains("Upstream remote is down"));
    }
}
