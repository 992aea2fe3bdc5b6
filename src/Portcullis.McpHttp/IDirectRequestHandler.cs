using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>
/// Answers some requests of a Streamable HTTP session on the request's own thread instead of queueing them to the
/// session's MCP server (which costs two thread hand-offs and the server's filter chain), and some sessionless
/// requests without building a server for each. What the answer needs to
/// send while it runs (progress, log messages, sampling or elicitation requests) goes through an agent bound to the
/// request's own event stream, as with the server.
/// </summary>
public interface IDirectRequestHandler
{
    /// <summary>True for the requests this handler answers; the rest go to the session's MCP server.</summary>
    bool Handles(string sessionId, JsonRpcRequest request);

    /// <summary>
    /// Answers <paramref name="request"/>: a result, or an error. Throws <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> ends the request (the agent cancelled it or went away).
    /// </summary>
    Task<DirectAnswer> HandleAsync(HttpContext context, string sessionId, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken);

    /// <summary>True for the requests on the sessionless revision this handler answers; the rest get a server of their own.</summary>
    bool HandlesSessionless(JsonRpcRequest request);

    /// <summary>
    /// Answers a request on the sessionless revision; <paramref name="requestId"/> names it where a session id would
    /// (in the audit trail, say). Throws <see cref="OperationCanceledException"/> when the agent goes away.
    /// </summary>
    Task<DirectAnswer> HandleSessionlessAsync(HttpContext context, string requestId, McpServer agent, JsonRpcRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The answer to a directly answered request: a result, serialized as the response is written (no JSON node tree
/// in between), or a whole message such as an error.
/// </summary>
public readonly struct DirectAnswer
{
    private static readonly JsonTypeInfo MessageType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));
    private static readonly JsonTypeInfo IdType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(RequestId));
    private readonly JsonRpcMessage? _message;
    private readonly RequestId _id;
    private readonly object? _result;
    private readonly JsonTypeInfo? _resultType;

    private DirectAnswer(JsonRpcMessage? message, RequestId id, object? result, JsonTypeInfo? resultType) =>
        (_message, _id, _result, _resultType) = (message, id, result, resultType);

    /// <summary>A response carrying <paramref name="result"/>.</summary>
    public static DirectAnswer Result<TResult>(RequestId id, TResult result, JsonTypeInfo<TResult> resultType) where TResult : class => new(null, id, result, resultType);

    /// <summary>A whole message (an error, say).</summary>
    public static DirectAnswer Message(JsonRpcMessage message) => new(message, default, null, null);

    /// <summary>Writes the JSON-RPC message.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        if (_message is not null)
        {
            JsonSerializer.Serialize(writer, _message, MessageType);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("id"u8);
        JsonSerializer.Serialize(writer, _id, IdType);
        writer.WritePropertyName("result"u8);
        JsonSerializer.Serialize(writer, _result, _resultType!);
        writer.WriteEndObject();
    }
}
