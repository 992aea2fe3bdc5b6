using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>
/// <c>@modelcontextprotocol/server-everything</c> behind the gateway: the proxied capabilities beyond plain tool calls,
/// including requests the server makes back to the agent during a call. Runs once per upstream transport.
/// </summary>
public abstract class EverythingServerTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;

    protected abstract Task<string> DeclareServerAsync(CancellationToken cancellationToken);

    protected virtual ValueTask DisposeUpstreamAsync() => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _gateway = await TestGateway.StartAsync("servers:\n" + await DeclareServerAsync(ct) + "\n" + Yaml.TicketsStdio(), ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await DisposeUpstreamAsync();
    }

    [Fact]
    public async Task Echo_round_trips_arguments_and_content()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);
        var result = await client.CallToolAsync("everything__echo", new Dictionary<string, object?> { ["message"] = "héllo, governed world" }, cancellationToken: ct);
        Assert.Contains("héllo, governed world", AggregateEndpointTests.Text(result));
    }

    [Theory]
    [InlineData("2025-11-25")]
    [InlineData(null)] // negotiated: the sessionless 2026-07-28, whose calls the gateway answers without a server per request
    public async Task Progress_from_the_server_reaches_the_agent_under_the_agents_token(string? version)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(options: new McpClientOptions { ProtocolVersion = version }, cancellationToken: ct);
        Assert.Equal(version ?? "2026-07-28", client.NegotiatedProtocolVersion);
        var updates = new List<ProgressNotificationValue>();
        var progress = new SynchronousProgress(updates);

        var result = await client.CallToolAsync("everything__trigger-long-running-operation", new Dictionary<string, object?> { ["duration"] = 1, ["steps"] = 4 }, progress, cancellationToken: ct);

        Assert.Contains("Long running operation completed", AggregateEndpointTests.Text(result));
        // The gateway relays every update before the result, on the call's own stream. The SDK client drops an update
        // its concurrent dispatcher delivers after the call has returned, so under load the last one or two may be
        // missing here; what arrives must be the server's updates, in order, under this call's token.
        await progress.WaitForAsync(2, ct);
        float[] received;
        lock (updates)
        {
            received = updates.Select(u => u.Progress).ToArray();
        }

        Assert.Equal(new[] { 1f, 2f, 3f, 4f }[..received.Length], received);
        Assert.All(updates, u => Assert.Equal(4f, u.Total));
    }

    [Fact]
    public async Task Sampling_requested_during_a_call_is_answered_by_the_calling_agent()
    {
        var ct = TestContext.Current.CancellationToken;
        var sampled = new TaskCompletionSource<CreateMessageRequestParams>();
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                SamplingHandler = (request, _, _) =>
                {
                    sampled.TrySetResult(request!);
                    return ValueTask.FromResult(new CreateMessageResult { Model = "agent-model-7", Role = Role.Assistant, Content = [new TextContentBlock { Text = "sampled by the agent" }] });
                },
            },
        };
        await using var bystander = await _gateway.ConnectAsync(cancellationToken: ct);
        await using var client = await _gateway.ConnectAsync(options: options, cancellationToken: ct);

        var result = await client.CallToolAsync("everything__trigger-sampling-request", new Dictionary<string, object?> { ["prompt"] = "summarize ticket 7", ["maxTokens"] = 50 }, cancellationToken: ct);

        var request = await sampled.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Contains("summarize ticket 7", JsonSerializer.Serialize(request.Messages, McpJsonUtilities.DefaultOptions));
        Assert.Contains("agent-model-7", AggregateEndpointTests.Text(result));
        Assert.Contains("sampled by the agent", AggregateEndpointTests.Text(result));
    }

    [Fact]
    public async Task Sampling_requested_during_a_sessionless_call_is_refused_with_a_reason_and_the_agent_is_not_asked()
    {
        var ct = TestContext.Current.CancellationToken;
        var asked = false;
        var options = new McpClientOptions
        {
            Handlers = new McpClientHandlers
            {
                SamplingHandler = (_, _, _) =>
                {
                    asked = true;
                    return ValueTask.FromResult(new CreateMessageResult { Model = "m", Role = Role.Assistant, Content = [new TextContentBlock { Text = "x" }] });
                },
            },
        };
        await using var client = await _gateway.ConnectAsync(options: options, cancellationToken: ct);
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);

        var failure = await Record.ExceptionAsync(async () =>
        {
            var result = await client.CallToolAsync("everything__trigger-sampling-request", new Dictionary<string, object?> { ["prompt"] = "summarize ticket 7", ["maxTokens"] = 50 }, cancellationToken: ct);
            throw new InvalidOperationException(AggregateEndpointTests.Text(result));
        });

        Assert.Contains("cannot be sent 'sampling/createMessage'", failure!.Message);
        Assert.False(asked);
    }

    [Fact]
    public async Task Elicitation_requested_during_a_call_is_answered_by_the_calling_agent()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new McpClientOptions
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = (request, _) => ValueTask.FromResult(new ElicitResult { Action = "decline" }),
            },
        };
        await using var client = await _gateway.ConnectAsync(options: options, cancellationToken: ct);

        var result = await client.CallToolAsync("everything__trigger-elicitation-request", cancellationToken: ct);

        Assert.Contains("User declined", AggregateEndpointTests.Text(result));
    }

    [Fact]
    public async Task Resources_are_listed_read_and_read_by_template()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        var resources = await client.ListResourcesAsync(cancellationToken: ct);
        Assert.NotEmpty(resources);
        var first = resources[0];
        var read = await client.ReadResourceAsync(first.Uri, cancellationToken: ct);
        Assert.NotEmpty(read.Contents);
        Assert.Equal(first.Uri, read.Contents[0].Uri);

        var templates = await client.ListResourceTemplatesAsync(cancellationToken: ct);
        Assert.Contains(templates, t => t.UriTemplate == "demo://resource/dynamic/text/{resourceId}");
        var dynamic = await client.ReadResourceAsync("demo://resource/dynamic/text/42", cancellationToken: ct);
        Assert.Contains("42", Assert.IsType<TextResourceContents>(dynamic.Contents[0]).Text);

        var missing = await Assert.ThrowsAsync<McpProtocolException>(() => client.ReadResourceAsync("nowhere://x", cancellationToken: ct).AsTask());
        Assert.Contains("nowhere://x", missing.Message);
    }

    [Fact]
    public async Task Resource_updates_reach_only_the_sessions_that_subscribed()
    {
        var ct = TestContext.Current.CancellationToken;
        var updated = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bystanderUpdates = 0;
        McpClientOptions Listening(Action<string> onUpdate) => new()
        {
            ProtocolVersion = "2025-11-25",
            Handlers = new McpClientHandlers
            {
                NotificationHandlers = [new(NotificationMethods.ResourceUpdatedNotification, (n, _) => { onUpdate(n.Params!["uri"]!.GetValue<string>()); return ValueTask.CompletedTask; })],
            },
        };
        await using var bystander = await _gateway.ConnectAsync(options: Listening(_ => Interlocked.Increment(ref bystanderUpdates)), cancellationToken: ct);
        await using var client = await _gateway.ConnectAsync(options: Listening(uri => updated.TrySetResult(uri)), cancellationToken: ct);
        var uri = (await client.ListResourcesAsync(cancellationToken: ct))[0].Uri;

        await client.SubscribeToResourceAsync(uri, cancellationToken: ct);
        await client.CallToolAsync("everything__toggle-subscriber-updates", cancellationToken: ct);

        Assert.Equal(uri, await updated.Task.WaitAsync(TimeSpan.FromSeconds(15), ct));
        Assert.Equal(0, Volatile.Read(ref bystanderUpdates));
        await client.UnsubscribeFromResourceAsync(uri, cancellationToken: ct);
    }

    [Fact]
    public async Task Prompts_are_namespaced_and_completions_route_to_their_server()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);

        var prompts = await client.ListPromptsAsync(cancellationToken: ct);
        Assert.Contains(prompts, p => p.Name == "everything__args-prompt");

        var prompt = await client.GetPromptAsync("everything__args-prompt", new Dictionary<string, object?> { ["city"] = "Lisbon" }, cancellationToken: ct);
        Assert.Contains("Lisbon", JsonSerializer.Serialize(prompt.Messages, McpJsonUtilities.DefaultOptions));

        var completion = await client.CompleteAsync(new PromptReference { Name = "everything__completable-prompt" }, "department", "Eng", cancellationToken: ct);
        Assert.Equal(["Engineering"], completion.Completion.Values);
    }

    [Fact]
    public async Task Ping_and_log_level_are_answered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await _gateway.ConnectAsync(cancellationToken: ct);
        await client.PingAsync(cancellationToken: ct);
        await client.SetLoggingLevelAsync(LoggingLevel.Debug, cancellationToken: ct);
    }

    private sealed class SynchronousProgress(List<ProgressNotificationValue> updates) : IProgress<ProgressNotificationValue>
    {
        private readonly SemaphoreSlim _reported = new(0);

        public void Report(ProgressNotificationValue value)
        {
            lock (updates)
            {
                updates.Add(value);
            }

            _reported.Release();
        }

        public async Task WaitForAsync(int count, CancellationToken cancellationToken)
        {
            while (true)
            {
                lock (updates)
                {
                    if (updates.Count >= count)
                    {
                        return;
                    }
                }

                Assert.True(await _reported.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken), $"only {updates.Count} of {count} progress updates arrived");
            }
        }
    }
}

public sealed class EverythingOverStdioTests : EverythingServerTests
{
    protected override Task<string> DeclareServerAsync(CancellationToken cancellationToken) =>
        Task.FromResult(Yaml.EverythingStdio(extra: "    env: { DECLARED_SETTING: visible }"));

    [Fact]
    public async Task A_stdio_server_gets_only_the_declared_environment()
    {
        var ct = TestContext.Current.CancellationToken;
        // The gateway process holds a secret the server must never see.
        Environment.SetEnvironmentVariable("PORTCULLIS_TEST_GATEWAY_SECRET", "s3cr3t-value");
        var gateway = await TestGateway.StartAsync("servers:\n" + Yaml.EverythingStdio(extra: "    env: { DECLARED_SETTING: visible }"), ct);
        await using (gateway)
        {
            await using var client = await gateway.ConnectAsync(cancellationToken: ct);
            var result = await client.CallToolAsync("everything__get-env", cancellationToken: ct);
            var env = JsonSerializer.Deserialize<Dictionary<string, string>>(AggregateEndpointTests.Text(result))!;

            Assert.Equal("visible", env["DECLARED_SETTING"]);
            Assert.True(env.ContainsKey("PATH"));
            Assert.False(env.ContainsKey("PORTCULLIS_TEST_GATEWAY_SECRET"));
            Assert.DoesNotContain("s3cr3t-value", AggregateEndpointTests.Text(result));
            var allowed = new HashSet<string>(["DECLARED_SETTING", "PATH", "HOME", "LANG", "TZ"]);
            // Node may add a few of its own at start-up; nothing may come from the gateway beyond the declared names.
            Assert.All(env.Keys.Where(k => Environment.GetEnvironmentVariable(k) is not null && k != "PWD" && k != "SHLVL" && k != "_"), k => Assert.Contains(k, allowed));
        }
    }
}

public sealed class EverythingOverStreamableHttpTests : EverythingServerTests
{
    private UpstreamProcess? _upstream;

    protected override async Task<string> DeclareServerAsync(CancellationToken cancellationToken)
    {
        _upstream = await UpstreamProcess.StartEverythingAsync("streamableHttp", cancellationToken);
        return Yaml.Http("everything", _upstream.Url);
    }

    protected override async ValueTask DisposeUpstreamAsync()
    {
        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }
    }
}
