using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Duplicate writes execute once; the upstream (the tickets server) is the one counting.</summary>
public sealed class IdempotencyTests
{
    private static int Count(string listing, string title) => JsonDocument.Parse(listing).RootElement.EnumerateArray().Count(t => t.GetProperty("title").GetString() == title);

    [Fact]
    public async Task Concurrent_identical_writes_execute_once_and_all_get_the_same_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var title = "dup-" + Guid.NewGuid().ToString("N")[..8];

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = title }, cancellationToken: ct).AsTask()));

        Assert.Single(results.Select(AggregateEndpointTests.Text).Distinct());
        var listing = AggregateEndpointTests.Text(await client.CallToolAsync("tickets__list_tickets", cancellationToken: ct));
        Assert.Equal(1, Count(listing, title));
    }

    [Fact]
    public async Task An_explicit_idempotency_key_returns_the_first_result_and_a_failure_is_not_remembered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}\nidempotency:\n  deriveKeys: false", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        Task<CallToolResult> Create(string title, string key) => client.CallToolAsync(new CallToolRequestParams
        {
            Name = "tickets__create_ticket",
            Arguments = new Dictionary<string, JsonElement> { ["title"] = JsonSerializer.SerializeToElement(title) },
            Meta = new JsonObject { ["idempotencyKey"] = key },
        }, ct).AsTask();

        var first = await Create("first attempt", "order-42");
        var retry = await Create("first attempt (retried after a timeout)", "order-42");
        Assert.Equal(AggregateEndpointTests.Text(first), AggregateEndpointTests.Text(retry));

        // Without derived keys, identical calls with no key both run.
        await client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "twice" }, cancellationToken: ct);
        await client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "twice" }, cancellationToken: ct);

        // A failed execution (empty title is refused by the server) does not block the corrected retry.
        var failed = await Create("", "order-43");
        Assert.True(failed.IsError);
        var fixedRetry = await Create("second order", "order-43");
        Assert.NotEqual(true, fixedRetry.IsError);

        var listing = AggregateEndpointTests.Text(await client.CallToolAsync("tickets__list_tickets", cancellationToken: ct));
        Assert.Equal(1, Count(listing, "first attempt"));
        Assert.Equal(0, Count(listing, "first attempt (retried after a timeout)"));
        Assert.Equal(2, Count(listing, "twice"));
        Assert.Equal(1, Count(listing, "second order"));
    }
}
