using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Log messages a server emits during a call reach that call's agent, and no one else's.</summary>
public sealed class LogRoutingTests
{
    [Fact]
    public async Task Log_messages_reach_the_calling_agent_and_not_a_bystander()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"""
            servers:
              - id: fixture
                preapproved: true
                command: dotnet
                args: ["{Repo.ConformanceFixtureDll}"]
            """, ct);
        var callerLogs = new List<string>();
        var bystanderLogs = new List<string>();
        McpClientOptions Collecting(List<string> into) => new()
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.LoggingMessageNotification, (n, _) =>
                {
                    lock (into)
                    {
                        into.Add(n.Params!["data"]!.ToString());
                    }

                    return ValueTask.CompletedTask;
                })],
            },
        };
        var (other, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "bystander" }, ct);
        await using var bystander = await gateway.ConnectAsync(options: Collecting(bystanderLogs), token: other, cancellationToken: ct);
        await using var caller = await gateway.ConnectAsync(options: Collecting(callerLogs), cancellationToken: ct);

        var result = await caller.CallToolAsync("fixture__test_tool_with_logging", cancellationToken: ct);

        Assert.Contains("executed successfully", AggregateEndpointTests.Text(result));
        lock (callerLogs)
        {
            // The SDK client may dispatch a notification just after the result; the first ones are certainly in.
            Assert.Contains("Tool execution started", callerLogs);
        }

        // A later round trip on the bystander's session flushes anything that might have been sent to it.
        await bystander.PingAsync(cancellationToken: ct);
        lock (bystanderLogs)
        {
            Assert.Empty(bystanderLogs);
        }
    }
}
