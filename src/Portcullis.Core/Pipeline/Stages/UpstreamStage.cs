using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Portcullis.Upstreams;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Sends the call to its server with the server's timeout. The request carries an id of the gateway's, so when the
/// agent cancels, disconnects or the timeout passes, the gateway itself tells the server
/// (<c>notifications/cancelled</c>): the SDK client only abandons the wait. Nothing is retried: a failure is
/// reported, never replayed.
/// </summary>
public sealed class UpstreamStage(Limits.KillSwitches kills) : IGovernedCallStage
{
    private static long _nextId;

    /// <inheritdoc />
    public string Name => "upstream";

    /// <inheritdoc />
    public async ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var upstream = call.Upstream!;
        var timeout = upstream.Config.RequestTimeout;
        // A kill switch engaged while the call is under way cuts it.
        using var inFlight = kills.Track(upstream.Id, call.QualifiedName, call.Principal, cancellationToken);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(inFlight.Token);
        timeoutCts.CancelAfter(timeout);
        try
        {
            // A server that acts with each member's own credential answers this member on their own connection.
            var connection = await upstream.ForPrincipalAsync(call.Principal, timeoutCts.Token).ConfigureAwait(false);
            var client = await connection.GetClientAsync(timeoutCts.Token).ConfigureAwait(false);
            using var tracking = connection.TrackCall(call.Agent, call.Session);
            call.Result = call.Kind switch
            {
                CallKind.ToolCall => await SendToolCallAsync(connection, client, call, timeoutCts.Token).ConfigureAwait(false),
                CallKind.ResourceRead => await SendAsync<ReadResourceResult>(connection, client, RequestMethods.ResourcesRead, new ReadResourceRequestParams { Uri = call.UpstreamName!, Meta = ForwardedMeta(call) }, timeoutCts.Token).ConfigureAwait(false),
                _ => await SendAsync<GetPromptResult>(connection, client, RequestMethods.PromptsGet, new GetPromptRequestParams { Name = call.UpstreamName!, Arguments = ((GetPromptRequestParams)call.Params).Arguments, Meta = ForwardedMeta(call) }, timeoutCts.Token).ConfigureAwait(false),
            };
        }
        catch (UpstreamUnavailableException ex)
        {
            call.Reject(Name, RejectionReason.Unavailable, ex.Message);
        }
        catch (OperationCanceledException) when (inFlight.CutBy is { } kill)
        {
            call.Reject(Name, RejectionReason.Killed, "The call was cut while under way: " + KillSwitchStage.Describe(kill));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !timeoutCts.IsCancellationRequested)
        {
            // Neither the agent nor the timeout: the connection went away under the request (a crashed process).
            call.Reject(Name, RejectionReason.Unavailable, $"Server '{upstream.Id}' closed the connection during the request (a crashed process, say); it was not retried. The gateway reconnects automatically; retry shortly if the operation is safe to repeat.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            call.Reject(Name, RejectionReason.Timeout, $"Server '{upstream.Id}' did not answer within {timeout.TotalSeconds:0.#}s; the request was cancelled upstream and was not retried.");
        }
        catch (McpProtocolException ex)
        {
            call.Reject(Name, RejectionReason.UpstreamError, ex.Message, (int)ex.ErrorCode);
        }
        catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException or System.Net.Http.HttpRequestException)
        {
            call.Reject(Name, RejectionReason.Unavailable, $"Server '{upstream.Id}' failed during the request ({ex.Message}); it was not retried. The gateway reconnects automatically; retry shortly if the operation is safe to repeat.");
        }
    }

    private static async Task<CallToolResult> SendToolCallAsync(UpstreamConnector connection, McpClient client, GovernedCall call, CancellationToken cancellationToken)
    {
        var request = (CallToolRequestParams)call.Params;
        var meta = ForwardedMeta(call);
        // The upstream sees a token of the gateway's; its progress is relayed to the agent under the agent's token.
        using var route = request.ProgressToken is { } progressToken ? connection.RouteProgress(call.Agent, progressToken) : (ProgressRoutes.Route?)null;
        if (route is { } routed)
        {
            meta["progressToken"] = routed.Token;
        }

        return await SendAsync<CallToolResult>(connection, client, RequestMethods.ToolsCall, ToolCallParams(call.UpstreamName!, request.Arguments, meta), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The upstream's <c>tools/call</c> params as a node tree built from the agent's argument values, which are
    /// referenced, not copied: serializing typed params into a tree would write and parse them again on every call.
    /// </summary>
    internal static JsonObject ToolCallParams(string name, IDictionary<string, JsonElement>? arguments, JsonObject meta)
    {
        var parameters = new JsonObject { ["name"] = name };
        if (arguments is not null)
        {
            var values = new JsonObject();
            foreach (var (key, value) in arguments)
            {
                values[key] = value.ValueKind switch
                {
                    JsonValueKind.Object => JsonObject.Create(value),
                    JsonValueKind.Array => JsonArray.Create(value),
                    _ => JsonValue.Create(value),
                };
            }

            parameters["arguments"] = values;
        }

        parameters["_meta"] = meta;
        return parameters;
    }

    private static Task<TResult> SendAsync<TResult>(UpstreamConnector connection, McpClient client, string method, RequestParams parameters, CancellationToken cancellationToken)
        where TResult : Result =>
        SendAsync<TResult>(connection, client, method, JsonSerializer.SerializeToNode(parameters, McpJsonUtilities.DefaultOptions.GetTypeInfo(parameters.GetType())), cancellationToken);

    private static async Task<TResult> SendAsync<TResult>(UpstreamConnector connection, McpClient client, string method, JsonNode? parameters, CancellationToken cancellationToken)
        where TResult : Result
    {
        var options = McpJsonUtilities.DefaultOptions;
        var request = new JsonRpcRequest
        {
            Id = new RequestId("portcullis-" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture)),
            Method = method,
            Params = parameters,
        };

        try
        {
            return await connection.SendRequestAsync(client, request, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResult>)options.GetTypeInfo(typeof(TResult)), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = NotifyCancelledAsync(client, request.Id);
            throw;
        }
    }

    private static async Task NotifyCancelledAsync(McpClient client, RequestId id)
    {
        try
        {
            await client.SendMessageAsync(new JsonRpcNotification
            {
                Method = NotificationMethods.CancelledNotification,
                Params = JsonSerializer.SerializeToNode(new CancelledNotificationParams { RequestId = id, Reason = "The agent cancelled or disconnected, or the gateway's timeout passed." }, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CancelledNotificationParams))),
            }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is already gone, and with it the request.
        }
    }

    /// <summary>
    /// The agent's <c>_meta</c> minus its progress token (which belongs to the agent's session), plus the call's W3C
    /// <c>traceparent</c>, so the upstream's logs and the audit record share a correlation id.
    /// </summary>
    private static JsonObject ForwardedMeta(GovernedCall call)
    {
        var copy = new JsonObject();
        if (call.Params.Meta is { Count: > 0 } meta)
        {
            foreach (var (key, value) in meta)
            {
                if (key is not ("progressToken" or "traceparent"))
                {
                    copy[key] = value?.DeepClone();
                }
            }
        }

        copy["traceparent"] = $"00-{call.TraceId}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01";
        return copy;
    }
}
