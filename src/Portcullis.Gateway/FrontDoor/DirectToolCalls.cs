using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Identity;
using Portcullis.McpHttp;
using Portcullis.Routing;
using Portcullis.Sessions;

namespace Portcullis.Gateway.FrontDoor;

/// <summary>
/// Answers <c>tools/call</c> of Streamable HTTP sessions and of sessionless agents on the request's own thread: the
/// governed call is the gateway's hot path, and the SDK server's queue and filter chain only add thread hand-offs to
/// it (and, sessionless, a server built and torn down per request). Everything else (and every request of legacy SSE
/// agents) goes to an SDK server. One instance serves one endpoint, whose view <paramref name="viewOf"/> gives.
/// </summary>
internal sealed class DirectToolCalls(SessionHub hub, DownstreamServerFactory factory, Func<HttpContext, EndpointView> viewOf) : IDirectRequestHandler
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ParamsType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolRequestParams));
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<CallToolResult> ResultType = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<CallToolResult>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolResult));

    /// <inheritdoc />
    public bool Handles(string sessionId, JsonRpcRequest request) =>
        request.Method == RequestMethods.ToolsCall && hub.TryGet(sessionId, out var session) && session.IsAttached;

    /// <inheritdoc />
    public Task<DirectAnswer> HandleAsync(HttpContext context, string sessionId, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken) =>
        hub.TryGet(sessionId, out var session)
            ? CallAsync(context, session, agent, request, cancellationToken)
            : Task.FromResult(Error(request, McpErrorCode.InvalidRequest, "The session has closed."));

    /// <inheritdoc />
    public bool HandlesSessionless(JsonRpcRequest request) => request.Method == RequestMethods.ToolsCall;

    /// <inheritdoc />
    public Task<DirectAnswer> HandleSessionlessAsync(HttpContext context, string requestId, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken) =>
        // Not in the hub: a sessionless request is no session that notifications or list changes could reach later.
        CallAsync(context, new DownstreamSession(requestId, viewOf(context), Principal.From(context.User) ?? Principal.Anonymous), agent, request, cancellationToken);

    private async Task<DirectAnswer> CallAsync(HttpContext context, DownstreamSession session, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken)
    {
        CallToolRequestParams? parameters;
        try
        {
            parameters = request.Params is null ? null : (CallToolRequestParams?)JsonSerializer.Deserialize(request.Params, ParamsType);
        }
        catch (JsonException ex)
        {
            return Error(request, McpErrorCode.InvalidParams, "Invalid tools/call params: " + ex.Message);
        }

        if (parameters?.Name is not { Length: > 0 })
        {
            return Error(request, McpErrorCode.InvalidParams, "tools/call needs params with the name of a tool.");
        }

        try
        {
            var principal = Principal.From(context.User) ?? session.Opener;
            var result = await factory.CallToolAsync(session, parameters, agent, principal, cancellationToken).ConfigureAwait(false);
            return DirectAnswer.Result(request.Id, result, ResultType);
        }
        catch (McpProtocolException ex)
        {
            return Error(request, ex.ErrorCode, ex.Message);
        }
    }

    private static DirectAnswer Error(JsonRpcRequest request, McpErrorCode code, string message) =>
        DirectAnswer.Message(new JsonRpcError { Id = request.Id, Error = new JsonRpcErrorDetail { Code = (int)code, Message = message } });
}
