using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>An agent that gives up on a call stops the work upstream.</summary>
public sealed class CancellationTests
{
    private static string Fixture => $"""
        servers:
          - id: fixture
            preapproved: true
            command: dotnet
            args: ["{Repo.ConformanceFixtureDll}"]
        """;

    [Fact]
    public async Task Cancelling_a_call_cancels_it_upstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Fixture, ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var tag = Guid.NewGuid().ToString("N");
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Sent by hand, as the TypeScript SDK and the inspector do: the .NET client only abandons its wait.
        var id = new RequestId("agent-call-1");
        var call = client.SendRequestAsync(new JsonRpcRequest
        {
            Id = id,
            Method = RequestMethods.ToolsCall,
            Params = JsonSerializer.SerializeToNode(new CallToolRequestParams { Name = "fixture__slow_operation", Arguments = new Dictionary<string, JsonElement> { ["tag"] = JsonSerializer.SerializeToElement(tag) } }, McpJsonUtilities.DefaultOptions),
        }, abandon.Token);
        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} started", ct);

        await client.SendNotificationAsync(NotificationMethods.CancelledNotification, new CancelledNotificationParams { RequestId = id, Reason = "user pressed stop" }, McpJsonUtilities.DefaultOptions, ct);

        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} cancelled", ct);
        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task A_call_past_the_servers_timeout_is_cancelled_upstream_and_reported()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Fixture + "\n    timeout: 1s", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var tag = Guid.NewGuid().ToString("N");

        var result = await client.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = tag }, cancellationToken: ct);

        Assert.True(result.IsError);
        Assert.Contains("Server 'fixture' did not answer within 1s", AggregateEndpointTests.Text(result));
        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} cancelled", ct);
    }

    [Fact]
    public async Task A_disconnecting_agent_cancels_its_calls_upstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Fixture, ct);
        var client = await gateway.ConnectAsync(cancellationToken: ct);
        var tag = Guid.NewGuid().ToString("N");

        _ = client.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = tag }, cancellationToken: ct).AsTask();
        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} started", ct);
        await client.DisposeAsync();

        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} cancelled", ct);
    }
}
