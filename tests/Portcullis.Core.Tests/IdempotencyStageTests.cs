using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Pipeline;
using Portcullis.Pipeline.Stages;
using Portcullis.Policy;
using Portcullis.Upstreams;

namespace Portcullis.Core.Tests;

/// <summary>
/// The stage on its own, driven call by call, so the moment a claimed execution fails can be placed exactly: every
/// duplicate is then waiting on it.
/// </summary>
public sealed class IdempotencyStageTests
{
    private static readonly UpstreamConnector Tickets = new(new ServerConfig { Id = "tickets" }, null!, null!, NullLoggerFactory.Instance);

    private static GovernedCall Write(string key) => new()
    {
        Kind = CallKind.ToolCall,
        Target = "tickets__create_ticket",
        Params = new CallToolRequestParams { Name = "tickets__create_ticket", Meta = new JsonObject { [IdempotencyStage.MetaKey] = key } },
        Principal = new Principal { Subject = "member-1", Method = AuthenticationMethod.MemberToken, Issuer = "portcullis" },
        Session = null!,
        Agent = null!,
        Upstream = Tickets,
        UpstreamName = "create_ticket",
        Decision = new PolicyDecision(PolicyEffect.Allow, "tickets-write", "v1", RiskClass.Write, "allowed"),
    };

    [Fact]
    public async Task When_the_claimed_execution_fails_exactly_one_waiting_duplicate_executes_and_the_rest_get_its_result()
    {
        var ct = TestContext.Current.CancellationToken;
        var stage = new IdempotencyStage(new GatewayConfigProvider(new GatewayConfig()), TimeProvider.System);
        var first = Write("order-7");
        await stage.InvokeAsync(first, ct);
        Assert.False(first.IsAnswered);

        var duplicates = Enumerable.Range(0, 32).Select(_ => Write("order-7")).ToArray();
        var invocations = duplicates.Select(d => stage.InvokeAsync(d, ct).AsTask()).ToArray();
        Assert.All(invocations, i => Assert.False(i.IsCompleted));

        // The claimed execution fails (the upstream refused it): it is forgotten and the waiters wake together.
        first.Reject("upstream", RejectionReason.Unavailable, "upstream down");
        first.Dispose();

        // A duplicate that comes out of the stage unanswered executes, and succeeds; the rest must get its result.
        var executed = new List<GovernedCall>();
        while (true)
        {
            // Which are still waiting is taken first, so one that comes out during the check is waited on, not missed.
            var waiting = invocations.Where(i => !i.IsCompleted).ToArray();
            foreach (var runner in duplicates.Where((d, i) => !waiting.Contains(invocations[i]) && !d.IsAnswered && !executed.Contains(d)).ToList())
            {
                executed.Add(runner);
                runner.Result = new CallToolResult { Content = [new TextContentBlock { Text = "ticket 1" }] };
                runner.Dispose();
            }

            if (waiting.Length == 0)
            {
                break;
            }

            await Task.WhenAny(waiting).WaitAsync(TimeSpan.FromSeconds(10), ct);
        }

        await Task.WhenAll(invocations);
        var only = Assert.Single(executed);
        Assert.All(duplicates.Where(d => d != only), d => Assert.Same(only.Result, d.Result));
    }
}
