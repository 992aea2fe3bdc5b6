using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.Upstreams;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// Sends the call to its server with the server's timeout. A client that cancels or disconnects cancels the upstream
/// request (the SDK sends <c>notifications/cancelled</c>). Nothing is retried: a failure is reported, never replayed.
/// </summary>
public sealed class UpstreamStage : IGovernedCallStage
{
    /// <inheritdoc />
    public string Name => "upstream";

    /// <inheritdoc />
    public async ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var upstream = call.Upstream!;
        var timeout = upstream.Config.RequestTimeout;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var session = call.Session;
        try
        {
            var client = await upstream.GetClientAsync(timeoutCts.Token).ConfigureAwait(false);
            using var tracking = upstream.TrackCall(call.Agent);
            call.Result = call.Kind switch
            {
                CallKind.ToolCall => await CallToolAsync(client, call, timeoutCts.Token).ConfigureAwait(false),
                CallKind.ResourceRead => await client.ReadResourceAsync(new ReadResourceRequestParams { Uri = call.UpstreamName!, Meta = ForwardedMeta(call.Params) }, timeoutCts.Token).ConfigureAwait(false),
                _ => await client.GetPromptAsync(new GetPromptRequestParams { Name = call.UpstreamName!, Arguments = ((GetPromptRequestParams)call.Params).Arguments, Meta = ForwardedMeta(call.Params) }, timeoutCts.Token).ConfigureAwait(false),
            };
        }
        catch (UpstreamUnavailableException ex)
        {
            call.Reject(Name, RejectionReason.Unavailable, ex.Message);
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

    private static async Task<CallToolResult> CallToolAsync(ModelContextProtocol.Client.McpClient client, GovernedCall call, CancellationToken cancellationToken)
    {
        var request = (CallToolRequestParams)call.Params;
        if (request.ProgressToken is not { } progressToken)
        {
            return await client.CallToolAsync(new CallToolRequestParams { Name = call.UpstreamName!, Arguments = request.Arguments, Meta = ForwardedMeta(request) }, cancellationToken).ConfigureAwait(false);
        }

        // The upstream sees a token of the gateway's; its progress is relayed to the agent under the agent's token.
        using var route = call.Upstream!.RouteProgress(call.Agent, progressToken);
        var meta = ForwardedMeta(request) ?? [];
        meta["progressToken"] = route.Token;
        return await client.CallToolAsync(new CallToolRequestParams { Name = call.UpstreamName!, Arguments = request.Arguments, Meta = meta }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agent's <c>_meta</c> minus its progress token, which belongs to the agent's session, not the upstream one.</summary>
    private static JsonObject? ForwardedMeta(RequestParams request)
    {
        if (request.Meta is not { Count: > 0 } meta)
        {
            return null;
        }

        var copy = new JsonObject();
        foreach (var (key, value) in meta)
        {
            if (key != "progressToken")
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy.Count == 0 ? null : copy;
    }
}
