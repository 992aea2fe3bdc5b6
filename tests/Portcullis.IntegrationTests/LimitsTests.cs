using ModelContextProtocol;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Rate limits, budgets and concurrency caps through the gateway.</summary>
public sealed class LimitsTests
{
    private static string Body(string extra = "") => $$"""
        servers:
        {{Yaml.TicketsStdio()}}
          - id: fixture
            preapproved: true
            command: dotnet
            args: ["{{Repo.ConformanceFixtureDll}}"]
            maxConcurrency: 1
        policy:
          rules:
            - id: everyone
              roles: ["*"]
              tools: ["*"]
          limits:
            - id: per-member
              per: principal
              tools: [tickets__*]
              rate: 3/1h
          budget:
            daily: 5
            costs:
              - tools: [fixture__test_simple_text]
                cost: 2
        {{extra}}
        """;

    [Fact]
    public async Task A_rate_limited_member_is_told_when_to_retry_others_are_not_limited_and_a_reload_keeps_the_count()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Body(), ct);
        var (alice, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "alice" }, ct);
        var (bob, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "bob" }, ct);
        await using var aliceClient = await gateway.ConnectAsync(token: alice, cancellationToken: ct);
        await using var bobClient = await gateway.ConnectAsync(token: bob, cancellationToken: ct);

        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(true, (await aliceClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);
        }

        var limited = await Assert.ThrowsAsync<McpProtocolException>(() => aliceClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        Assert.Matches(@"Rate limit 'per-member' reached \(3 calls per 3600 s per principal\)\. Retry after \d+ s\.", limited.Message);
        Assert.NotEqual(true, (await bobClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);

        Assert.True(await gateway.RewriteConfigAsync(Body("# an unrelated edit"), ct));
        await Assert.ThrowsAsync<McpProtocolException>(() => aliceClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
    }

    [Fact]
    public async Task A_member_past_the_daily_budget_is_refused_with_when_it_resets()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Body(), ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError); // 2
        Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError); // 4
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct).AsTask());
        Assert.Matches(@"Daily budget of 5 units used up for tester \(4 spent; this call costs 2\)\. It resets at 00:00 UTC, in \d+ min\.", refused.Message);
        Assert.NotEqual(true, (await client.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct)).IsError); // 5: unlisted tools cost 1
    }

    [Fact]
    public async Task A_server_at_its_concurrency_cap_refuses_more_calls_until_one_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync(Body().Replace("daily: 5", "daily: 100"), ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var tag = Guid.NewGuid().ToString("N");
        var slow = client.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = tag }, cancellationToken: abandon.Token).AsTask();
        await gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} started", ct);

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct).AsTask());
        Assert.Contains("Server 'fixture' is at its cap of 1 concurrent calls", refused.Message);

        // End the slow call (the kill switch cuts it), and the slot is free again.
        using (var kill = await gateway.Http.PostAsync("/admin/api/kill", System.Net.Http.Json.JsonContent.Create(new { target = "tool", id = "fixture__slow_operation" }), ct))
        {
            Assert.True(kill.IsSuccessStatusCode);
        }

        await Assert.ThrowsAsync<McpProtocolException>(() => slow);
        Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError);
    }
}
