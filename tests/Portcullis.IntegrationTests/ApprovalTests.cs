using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Human approval at the gateway, against the real tickets server: the approver is never the requester.</summary>
public sealed class ApprovalTests
{
    private static string Body(string wait, string extra = "") => $"""
        servers:
        {Yaml.TicketsStdio()}
        policy:
          rules:
            - id: support-tickets
              roles: [support]
              tools: [tickets__list_tickets, tickets__delete_ticket]
          risk:
            - tools: ["*__delete_*"]
              class: destructive
          riskDefaults:
            destructive: approve
        approvals:
          wait: {wait}
        {extra}
        """;

    private sealed record People(TestGateway Gateway, McpClient Alice, HttpClient Bob, HttpClient Carol, HttpClient AliceHttp) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            Bob.Dispose();
            Carol.Dispose();
            AliceHttp.Dispose();
            await Gateway.DisposeAsync();
        }
    }

    private static async Task<People> StartAsync(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var gateway = await TestGateway.StartAsync(body, ct);
        var (alice, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "alice", Roles = ["support", "approver"] }, ct);
        var (bob, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "bob", Roles = ["approver"] }, ct);
        var (carol, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "carol", Roles = ["approver"] }, ct);
        HttpClient Http(string token)
        {
            var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        }

        return new People(gateway, await gateway.ConnectAsync(token: alice, cancellationToken: ct), Http(bob), Http(carol), Http(alice));
    }

    private static async Task<string> PendingIdAsync(HttpClient approver)
    {
        var pending = JsonDocument.Parse(await approver.GetStringAsync("/admin/api/approvals/?status=pending", TestContext.Current.CancellationToken)).RootElement;
        return pending[0].GetProperty("id").GetString()!;
    }

    private static Task<ModelContextProtocol.Protocol.CallToolResult> DeleteAsync(McpClient client, int id) =>
        client.CallToolAsync("tickets__delete_ticket", new Dictionary<string, object?> { ["id"] = id }, cancellationToken: TestContext.Current.CancellationToken).AsTask();

    [Fact]
    public async Task A_held_call_runs_when_another_person_approves_it_and_is_audited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var people = await StartAsync(Body("30s"));
        var held = DeleteAsync(people.Alice, 1);
        await people.Gateway.Log.WaitForAsync("alice asks to call tickets__delete_ticket", ct);
        var id = await PendingIdAsync(people.Bob);

        using (var own = await people.AliceHttp.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { reason = "mine" }, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, own.StatusCode);
            Assert.Contains("the requester can never approve or deny their own call", await own.Content.ReadAsStringAsync(ct));
        }

        using (var approve = await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { reason = "duplicate ticket" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        var result = await held.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.Equal("Deleted ticket 1.", AggregateEndpointTests.Text(result));
        var audit = JsonDocument.Parse(await people.Gateway.Http.GetStringAsync("/admin/api/audit?member=alice&kind=tools/call&outcome=success", ct)).RootElement.GetProperty("records");
        Assert.Contains(audit.EnumerateArray(), r => r.GetProperty("actions").EnumerateArray().Any(a => a.GetString() == $"approved by bob (request {id})"));
        Assert.Contains(JsonDocument.Parse(await people.Gateway.Http.GetStringAsync("/admin/api/audit?kind=admin:*", ct)).RootElement.GetProperty("records").EnumerateArray(), r => r.GetProperty("target").GetString() == $"/admin/api/approvals/{id}/approve" && r.GetProperty("subject").GetString() == "bob");
    }

    [Fact]
    public async Task A_denied_call_tells_the_requester_who_denied_it_and_why()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var people = await StartAsync(Body("30s"));
        var held = DeleteAsync(people.Alice, 2);
        await people.Gateway.Log.WaitForAsync("alice asks to call tickets__delete_ticket", ct);
        var id = await PendingIdAsync(people.Bob);

        using (var deny = await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/deny", new { reason = "ticket 2 is still open" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, deny.StatusCode);
        }

        var result = await held.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.True(result.IsError);
        Assert.Contains($"Request {id} was denied by bob: ticket 2 is still open. The call was not made.", AggregateEndpointTests.Text(result));
        Assert.Contains("VPN drops every hour", AggregateEndpointTests.Text(await people.Alice.CallToolAsync("tickets__list_tickets", cancellationToken: ct)));
    }

    [Fact]
    public async Task Undecided_in_time_the_identical_retry_runs_once_after_approval_and_other_arguments_are_not_covered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var people = await StartAsync(Body("300ms"));

        var pending = await DeleteAsync(people.Alice, 3);
        Assert.True(pending.IsError);
        var id = await PendingIdAsync(people.Bob);
        Assert.Contains($"Approval request {id} is pending", AggregateEndpointTests.Text(pending));
        Assert.Contains("retry this identical call", AggregateEndpointTests.Text(pending));
        (await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { }, ct)).Dispose();

        // Other arguments are another request, held on its own.
        var other = await DeleteAsync(people.Alice, 1);
        Assert.True(other.IsError);
        Assert.DoesNotContain(id, AggregateEndpointTests.Text(other));

        var retried = await DeleteAsync(people.Alice, 3);
        Assert.Equal("Deleted ticket 3.", AggregateEndpointTests.Text(retried));

        // The approval was used: the same call again is a new request, not a second execution.
        var again = await DeleteAsync(people.Alice, 3);
        Assert.True(again.IsError);
        Assert.Contains("is pending", AggregateEndpointTests.Text(again));
        Assert.DoesNotContain(id, AggregateEndpointTests.Text(again));
    }

    [Fact]
    public async Task Webhooks_receive_signed_request_and_decision_events_and_a_failed_delivery_is_retried()
    {
        var ct = TestContext.Current.CancellationToken;
        Environment.SetEnvironmentVariable("PORTCULLIS_TEST_WEBHOOK_SECRET", "whsec-test-1");
        var events = new System.Collections.Concurrent.ConcurrentQueue<(string Event, string Body, bool SignatureValid)>();
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(builder.WebHost, "http://127.0.0.1:0");
        await using var receiver = builder.Build();
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapPost(receiver, "/hook", async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref attempts) == 1)
            {
                return Microsoft.AspNetCore.Http.Results.StatusCode(500); // the first delivery fails and must be retried
            }

            var expected = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("whsec-test-1"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(body)));
            var name = context.Request.Headers["X-Portcullis-Event"].ToString();
            events.Enqueue((name, body, context.Request.Headers["X-Portcullis-Signature"].ToString() == expected));
            if (name == "approval.decided")
            {
                decided.TrySetResult();
            }

            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        await receiver.StartAsync(ct);

        await using var people = await StartAsync(Body("300ms", $"  webhooks:\n    - url: {Portcullis.Gateway.PortcullisGateway.ListeningAddress(receiver)}/hook\n      secretEnv: PORTCULLIS_TEST_WEBHOOK_SECRET"));
        await DeleteAsync(people.Alice, 2);
        var id = await PendingIdAsync(people.Bob);
        (await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/deny", new { reason = "no" }, ct)).Dispose();
        await decided.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.True(attempts >= 3);
        Assert.Equal(["approval.requested", "approval.decided"], events.Select(e => e.Event));
        Assert.All(events, e => Assert.True(e.SignatureValid));
        var requested = JsonDocument.Parse(events.First().Body).RootElement.GetProperty("request");
        Assert.Equal(id, requested.GetProperty("id").GetString());
        Assert.Equal("alice", requested.GetProperty("requester").GetString());
        Assert.Equal("tickets__delete_ticket", requested.GetProperty("tool").GetString());
        Assert.DoesNotContain(people.Gateway.Log.Lines, l => l.Contains("whsec-test-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_held_call_survives_a_restart_as_a_request_and_the_retry_runs_once_approved()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = Body("300ms");
        string directory;
        string aliceToken;
        await using (var first = await TestGateway.StartAsync(body, ct))
        {
            first.KeepDirectory = true;
            directory = first.Directory;
            (aliceToken, _) = await first.IssueTokenAsync(new MemberTokenRequest { Member = "alice", Roles = ["support"] }, ct);
            await using var alice = await first.ConnectAsync(token: aliceToken, cancellationToken: ct);
            Assert.True((await DeleteAsync(alice, 2)).IsError);
        }

        await using var second = await TestGateway.StartAsync(body, ct, directory: directory);
        var pending = JsonDocument.Parse(await second.Http.GetStringAsync("/admin/api/approvals/?status=pending", ct)).RootElement;
        var id = Assert.Single(pending.EnumerateArray()).GetProperty("id").GetString();
        (await second.Http.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { }, ct)).Dispose();
        await using var again = await second.ConnectAsync(token: aliceToken, cancellationToken: ct);
        Assert.Equal("Deleted ticket 2.", AggregateEndpointTests.Text(await DeleteAsync(again, 2)));
    }

    [Fact]
    public async Task A_rule_can_demand_two_approvers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var people = await StartAsync(Body("300ms").Replace("      tools: [tickets__list_tickets, tickets__delete_ticket]", "      tools: [tickets__list_tickets]\n    - id: two-person-delete\n      roles: [support]\n      tools: [tickets__delete_ticket]\n      effect: approve\n      approvers: 2"));
        await DeleteAsync(people.Alice, 1);
        var id = await PendingIdAsync(people.Bob);
        var request = JsonDocument.Parse(await people.Bob.GetStringAsync($"/admin/api/approvals/{id}", ct)).RootElement;
        Assert.Equal(2, request.GetProperty("requiredApprovals").GetInt32());
        Assert.Contains("two-person-delete", request.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_two_person_rule_needs_two_different_approvers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var people = await StartAsync(Body("300ms", "  twoPersonRisk: [destructive]"));
        await DeleteAsync(people.Alice, 1);
        var id = await PendingIdAsync(people.Bob);

        var first = JsonDocument.Parse(await (await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { }, ct)).Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal("Pending", first.GetProperty("status").GetString());
        using (var twice = await people.Bob.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { }, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
            Assert.Contains("must come from someone else", await twice.Content.ReadAsStringAsync(ct));
        }

        Assert.True((await DeleteAsync(people.Alice, 1)).IsError);
        var second = JsonDocument.Parse(await (await people.Carol.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { }, ct)).Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal("Approved", second.GetProperty("status").GetString());
        Assert.Equal("Deleted ticket 1.", AggregateEndpointTests.Text(await DeleteAsync(people.Alice, 1)));
    }
}
