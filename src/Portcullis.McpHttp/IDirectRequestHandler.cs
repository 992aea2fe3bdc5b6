using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>
/// Answers some requests of a Streamable HTTP session on the request's own thread instead of queueing them to the
/// session's MCP server (which costs two thread hand-offs and the server's filter chain). What the answer needs to
/// send while it runs (progress, log messages, sampling or elicitation requests) goes through an agent bound to the
/// request's own event stream, as with the server.
/// </summary>
public interface IDirectRequestHandler
{
    /// <summary>True for the requests this handler answers; the rest go to the session's MCP server.</summary>
    bool Handles(string sessionId, JsonRpcRequest request);

    /// <summary>
    /// Answers <paramref name="request"/>: a response, or an error. Throws <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> ends the request (the agent cancelled it or went away).
    /// </summary>
    Task<JsonRpcMessage> HandleAsync(HttpContext context, string sessionId, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken);
}
