using System.Net;
using System.Net.Http.Json;
using ModelContextProtocol;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Kill switches take effect at once: new calls refused, calls under way cut, a member's sessions closed; undo restores.</summary>
public sealed class KillSwitchTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync() => _gateway = await TestGateway.StartAsync($"""
        servers:
          - id: fixture
            preapproved: true
            command: dotnet
            args: ["{Repo.ConformanceFixtureDll}"]
        {Yaml.TicketsStdio()}
        """, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private async Task EngageAsync(string target, string id, string? reason = null)
    {
        using var response = await _gateway.Http.PostAsJsonAsync("/admin/api/kill", new { target, id, reason }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Killing_a_tool_cuts_the_call_under_way_and_refuses_new_ones_until_undone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);
        var tag = Guid.NewGuid().ToString("N");
        var call = client.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = tag }, cancellationToken: ct).AsTask();
        await _gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} started", ct);

        await EngageAsync("tool", "fixture__slow_operation", "runaway costs");

        var cut = await Assert.ThrowsAsync<McpProtocolException>(() => call.WaitAsync(TimeSpan.FromSeconds(15), ct));
        Assert.Contains("The call was cut while under way: Tool 'fixture__slow_operation' has been switched off by an administrator (tester", cut.Message);
        Assert.Contains("runaway costs", cut.Message);
        await _gateway.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} cancelled", ct);

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = "again" }, cancellationToken: ct).AsTask());
        Assert.Contains("switched off", refused.Message);
        Assert.DoesNotContain(await client.ListToolsAsync(cancellationToken: ct), t => t.Name == "fixture__slow_operation");
        Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError);

        using (var undo = await _gateway.Http.DeleteAsync("/admin/api/kill/tool/fixture__slow_operation", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, undo.StatusCode);
        }

        Assert.Contains(await client.ListToolsAsync(cancellationToken: ct), t => t.Name == "fixture__slow_operation");
    }

    [Fact]
    public async Task Killing_a_server_refuses_its_calls_and_leaves_the_others()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        await EngageAsync("server", "tickets");

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        Assert.Contains("Server 'tickets' has been switched off", refused.Message);
        Assert.NotEqual(true, (await client.CallToolAsync("fixture__test_simple_text", cancellationToken: ct)).IsError);
        using var undo = await _gateway.Http.DeleteAsync("/admin/api/kill/server/tickets", ct);
        Assert.NotEqual(true, (await client.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);
    }

    [Fact]
    public async Task Killing_a_member_closes_their_sessions_and_refuses_them_until_undone()
    {
        var ct = TestContext.Current.CancellationToken;
        var (mallory, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "mallory" }, ct);
        await using var client = await _gateway.ConnectAsync(token: mallory, cancellationToken: ct);
        var sessions = _gateway.Services.GetService(typeof(Portcullis.McpHttp.McpHttpSessions)) as Portcullis.McpHttp.McpHttpSessions;
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        sessions!.Closed += id => closed.TrySetResult(id);

        await EngageAsync("member", "mallory");

        Assert.Equal(client.SessionId, await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct));
        await Assert.ThrowsAnyAsync<Exception>(() => _gateway.ConnectAsync(token: mallory, cancellationToken: ct));
        await using (var others = await _gateway.ConnectAsync(cancellationToken: ct))
        {
            Assert.NotEqual(true, (await others.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);
        }

        using var undo = await _gateway.Http.DeleteAsync("/admin/api/kill/member/mallory", ct);
        await using var back = await _gateway.ConnectAsync(token: mallory, cancellationToken: ct);
        Assert.NotEqual(true, (await back.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);
    }
}
