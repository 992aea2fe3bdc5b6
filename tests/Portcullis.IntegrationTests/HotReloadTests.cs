using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Upstreams;

namespace Portcullis.IntegrationTests;

/// <summary>Editing the configuration file while agents are connected.</summary>
public sealed class HotReloadTests
{
    [Fact]
    public async Task A_valid_change_takes_effect_without_disturbing_unchanged_servers_or_their_sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = "--test-instance=" + Guid.NewGuid().ToString("N");
        var tickets = Yaml.TicketsStdio(marker: marker);
        await using var gateway = await TestGateway.StartAsync($"servers:\n{tickets}", ct);
        var listChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = await gateway.ConnectAsync(options: new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) => { listChanged.TrySetResult(); return ValueTask.CompletedTask; })],
            },
        }, cancellationToken: ct);
        var created = await client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "survives reload" }, cancellationToken: ct);
        Assert.NotEqual(true, created.IsError);
        var pid = ChildProcesses.FindByArgument(marker);
        var connector = gateway.Upstream("tickets");

        Assert.True(await gateway.RewriteConfigAsync($"servers:\n{tickets}\n{Yaml.MemoryStdio()}", ct));
        await gateway.Upstream("memory").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await listChanged.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();
        Assert.Contains("memory__read_graph", names);
        Assert.Same(connector, gateway.Upstream("tickets"));
        Assert.Equal(pid, ChildProcesses.FindByArgument(marker));
        // Same process, same state: the ticket created before the reload is still there.
        Assert.Contains("survives reload", AggregateEndpointTests.Text(await client.CallToolAsync("tickets__list_tickets", cancellationToken: ct)));
    }

    [Fact]
    public async Task A_changed_server_is_restarted_and_a_removed_one_is_stopped()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = "--test-instance=" + Guid.NewGuid().ToString("N");
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio(marker: marker)}\n{Yaml.MemoryStdio()}", ct);
        var oldPid = ChildProcesses.FindByArgument(marker);
        var memory = gateway.Upstream("memory");

        Assert.True(await gateway.RewriteConfigAsync($"servers:\n{Yaml.TicketsStdio(marker: marker, extra: "    env: { TICKETS_REGION: eu }")}", ct));
        await gateway.Upstream("tickets").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.NotEqual(oldPid, ChildProcesses.FindByArgument(marker));
        Assert.Null(gateway.Pool.Find("memory"));
        Assert.Equal(UpstreamState.Stopped, memory.State);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var refused = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => client.CallToolAsync("memory__read_graph", cancellationToken: ct).AsTask());
        Assert.Contains("memory__read_graph", refused.Message);
    }

    [Fact]
    public async Task An_invalid_change_is_refused_with_its_key_and_line_and_the_old_configuration_stays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        Assert.False(await gateway.RewriteConfigAsync($"servers:\n{Yaml.TicketsStdio()}\n{Yaml.TicketsStdio()}", ct));

        Assert.Contains(gateway.Log.Lines, l => l.Contains("Configuration change refused") && l.Contains("duplicate server id 'tickets'") && l.Contains("line "));
        var result = await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
        Assert.NotEqual(true, result.IsError);
        Assert.Equal(UpstreamState.Ready, gateway.Upstream("tickets").State);
    }
}
