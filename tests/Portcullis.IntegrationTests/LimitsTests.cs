using System.Text.Json;
using Microsoft.Data.Sqlite;
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
    public async Task Budget_spending_survives_a_restart_shows_in_the_admin_api_and_a_budget_that_cannot_be_checked_stops_the_call()
    {
        var ct = TestContext.Current.CancellationToken;
        string directory;
        await using (var first = await TestGateway.StartAsync(Body(), ct))
        {
            first.KeepDirectory = true;
            directory = first.Directory;
            await using var client = await first.ConnectAsync(cancellationToken: ct);
            Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError); // 2
            Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError); // 4
        }

        await using var second = await TestGateway.StartAsync(Body(), ct, directory: directory);
        await using var again = await second.ConnectAsync(cancellationToken: ct);
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => again.CallToolAsync("fixture__test_simple_text", cancellationToken: ct).AsTask());
        Assert.Contains("Daily budget of 5 units used up for tester (4 spent; this call costs 2)", refused.Message);

        var budgets = JsonDocument.Parse(await second.Http.GetStringAsync("/admin/api/budgets", ct)).RootElement;
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), budgets.GetProperty("day").GetString());
        Assert.Equal(5, budgets.GetProperty("daily").GetInt32());
        var tester = Assert.Single(budgets.GetProperty("principals").EnumerateArray());
        Assert.Equal(("tester", 4, 1), (tester.GetProperty("subject").GetString(), tester.GetProperty("spent").GetInt64(), tester.GetProperty("remaining").GetInt64()));
        using (var badDay = await second.Http.GetAsync("/admin/api/budgets?day=yesterday", ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, badDay.StatusCode);
        }

        // The budget's table gone from under the gateway: calls are refused, not let through uncounted.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(second.Directory, "gateway.db")};Pooling=false"))
        {
            await db.OpenAsync(ct);
            await using var drop = db.CreateCommand();
            drop.CommandText = "DROP TABLE budget_spent";
            await drop.ExecuteNonQueryAsync(ct);
        }

        // SQLite's charges are written behind (every 100 ms): once a write has failed, calls are refused. They are
        // told as a tool error, like a server that is down, so the model sees it and can retry later.
        ModelContextProtocol.Protocol.CallToolResult unchecked_;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                unchecked_ = await again.CallToolAsync("tickets__get_ticket", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
                if (unchecked_.IsError == true || DateTime.UtcNow > deadline)
                {
                    break;
                }
            }
            catch (McpProtocolException ex) when (ex.Message.Contains("Daily budget of 5 units used up") && DateTime.UtcNow < deadline)
            {
                // Charged in memory before the failed write was noticed: the budget is spent, not yet unavailable.
            }

            await Task.Delay(50, ct);
        }

        Assert.True(unchecked_.IsError);
        Assert.Matches(@"^The budget of tester cannot be checked \(the budget store cannot be written: .*no such table: budget_spent.*\)\. The call was not made; retry shortly\.$", AggregateEndpointTests.Text(unchecked_));
        var record = JsonDocument.Parse(await second.Http.GetStringAsync("/admin/api/audit?kind=tools/call&tail=true&limit=1", ct)).RootElement.GetProperty("records");
        Assert.Equal(("tickets__get_ticket", "unavailable"), (record[0].GetProperty("target").GetString(), record[0].GetProperty("outcome").GetString()));
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
