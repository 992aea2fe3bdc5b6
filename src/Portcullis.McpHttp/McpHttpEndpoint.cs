using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>
/// Serves one MCP endpoint: Streamable HTTP (POST/GET/DELETE on <c>{base}/mcp</c>, sessions by <c>Mcp-Session-Id</c>;
/// requests on the sessionless 2026-07-28 revision are served statelessly) and legacy HTTP+SSE for 2024-11-05 clients
/// (GET <c>{base}/sse</c>, POST <c>{base}/message?sessionId=</c>).
/// </summary>
public sealed partial class McpHttpEndpoint(McpServerFactory factory, McpHttpSessions sessions, IOptions<McpHttpOptions> options, ILoggerFactory loggerFactory, IDirectRequestHandler? direct = null)
{
    /// <summary>The first protocol revision without sessions or the initialize handshake.</summary>
    public const string SessionlessProtocolVersion = "2026-07-28";

    /// <summary>Protocol revisions the endpoint accepts in the <c>MCP-Protocol-Version</c> header.</summary>
    public static readonly string[] SupportedProtocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", SessionlessProtocolVersion];

    private const string SessionHeader = "Mcp-Session-Id";
    private const string ProtocolVersionHeader = "MCP-Protocol-Version";

    /// <summary>Handles a Streamable HTTP POST.</summary>
    public async Task HandlePostAsync(HttpContext context)
    {
        if (!Accepts(context, "application/json") || !Accepts(context, "text/event-stream"))
        {
            await WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, McpErrorCode.InvalidRequest, "Not Acceptable: the client must accept both application/json and text/event-stream.");
            return;
        }

        if (!IsJsonContent(context))
        {
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, McpErrorCode.InvalidRequest, "Unsupported Media Type: send the JSON-RPC message as application/json.");
            return;
        }

        var message = await ReadMessageAsync(context);
        if (message is null)
        {
            return;
        }

        var requestId = StrictJsonRpc.IdOf(message);
        var protocolVersion = context.Request.Headers[ProtocolVersionHeader].ToString();
        if (protocolVersion.Length > 0 && !SupportedProtocolVersions.Contains(protocolVersion, StringComparer.Ordinal))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest,
                $"Bad Request: unsupported MCP-Protocol-Version '{protocolVersion}'; supported: {string.Join(", ", SupportedProtocolVersions)}.", requestId);
            return;
        }

        if (HeaderMismatch(context.Request.Headers["Mcp-Method"].ToString(), context.Request.Headers["Mcp-Name"].ToString(), message) is { } mismatch)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, McpErrorCode.HeaderMismatch, "Bad Request: " + mismatch, requestId);
            return;
        }

        if (string.CompareOrdinal(protocolVersion, SessionlessProtocolVersion) >= 0)
        {
            await ServeStatelessAsync(context, message);
            return;
        }

        var sessionId = context.Request.Headers[SessionHeader].ToString();
        McpHttpSession? session;
        if (sessionId.Length == 0)
        {
            if (message is not JsonRpcRequest { Method: RequestMethods.Initialize })
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest,
                    "Bad Request: send initialize first; every later request must carry the Mcp-Session-Id header the initialize response returned.", requestId);
                return;
            }

            session = StartSession(context, NewSessionId(), transportFactory: id => new StreamableHttpServerTransport(loggerFactory) { SessionId = id });
            context.Response.Headers[SessionHeader] = session.Id;
        }
        else
        {
            session = await FindSessionAsync(context, sessionId, requestId);
            if (session is null)
            {
                return;
            }
        }

        using var active = session.Enter();
        if (direct is not null && message is JsonRpcRequest request && direct.Handles(session.Id, request))
        {
            await AnswerDirectlyAsync(context, session, request, direct);
            return;
        }

        if (message is JsonRpcNotification { Method: NotificationMethods.CancelledNotification } cancelled)
        {
            session.CancelDirect(cancelled);
        }

        await PostToTransportAsync(context, (StreamableHttpServerTransport)session.Transport, message);
    }

    /// <summary>Answers a request on this thread (see <see cref="IDirectRequestHandler"/>), as an event stream like the server's.</summary>
    private async Task AnswerDirectlyAsync(HttpContext context, McpHttpSession session, JsonRpcRequest request, IDirectRequestHandler handler)
    {
        var stream = new RequestStreamServer.EventStream(context);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Closing);
        using var tracked = session.TrackDirect(request.Id, ended);
        DirectAnswer answer;
        try
        {
            answer = await handler.HandleAsync(context, session.Id, new RequestStreamServer(session.Server, stream), request, ended.Token);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // Cancelled by the agent, gone with the connection, or the session closed. No answer is due to a
            // cancelled request; as with the server, its stream stays open until the agent lets it go.
            using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Closing);
            await Task.Delay(Timeout.Infinite, gone.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }
        catch (Exception ex)
        {
            answer = Failed(request, ex);
        }

        await stream.WriteAnswerAsync(answer, context.RequestAborted);
    }

    /// <summary>
    /// Answers a sessionless request on this thread: no SDK server is built for it. On this revision an agent cancels
    /// by closing the connection, which leaves no one to answer.
    /// </summary>
    private async Task AnswerSessionlessAsync(HttpContext context, JsonRpcRequest request, IDirectRequestHandler handler)
    {
        var stream = new RequestStreamServer.EventStream(context);
        DirectAnswer answer;
        try
        {
            answer = await handler.HandleSessionlessAsync(context, NewSessionId(), new SessionlessAgent(stream, context.RequestServices), request, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            answer = Failed(request, ex);
        }

        await stream.WriteAnswerAsync(answer, context.RequestAborted);
    }

    /// <summary>The answer to a request whose handler failed: logged here, an internal error to the agent.</summary>
    private DirectAnswer Failed(JsonRpcRequest request, Exception exception)
    {
        LogDirectFailed(request.Method, exception);
        return DirectAnswer.Message(new JsonRpcError { Id = request.Id, Error = new JsonRpcErrorDetail { Code = (int)McpErrorCode.InternalError, Message = "An error occurred." } });
    }

    private readonly ILogger _logger = loggerFactory.CreateLogger<McpHttpEndpoint>();

    [LoggerMessage(Level = LogLevel.Error, Message = "Answering {Method} failed")]
    private partial void LogDirectFailed(string method, Exception exception);

    /// <summary>Handles a Streamable HTTP GET: the stream of server-initiated messages.</summary>
    public async Task HandleGetAsync(HttpContext context)
    {
        if (!Accepts(context, "text/event-stream"))
        {
            await WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, McpErrorCode.InvalidRequest, "Not Acceptable: the client must accept text/event-stream.");
            return;
        }

        var session = await FindSessionAsync(context, context.Request.Headers[SessionHeader].ToString(), default);
        if (session is null || session.Transport is not StreamableHttpServerTransport transport)
        {
            return;
        }

        using var streamCts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Closing);
        InitializeSse(context);
        await context.Response.Body.FlushAsync(streamCts.Token);
        try
        {
            await transport.HandleGetRequestAsync(context.Response.Body, streamCts.Token);
        }
        catch (OperationCanceledException) when (streamCts.IsCancellationRequested)
        {
            // The agent hung up or the session closed: how an event stream normally ends.
        }
        catch (InvalidOperationException ex)
        {
            if (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, "Bad Request: " + ex.Message);
            }
        }
    }

    /// <summary>Handles a Streamable HTTP DELETE: ends the session.</summary>
    public async Task HandleDeleteAsync(HttpContext context)
    {
        var session = await FindSessionAsync(context, context.Request.Headers[SessionHeader].ToString(), default);
        if (session is null)
        {
            return;
        }

        await sessions.CloseAsync(session.Id);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Handles the legacy HTTP+SSE GET: opens a session whose messages flow on this response.</summary>
    public async Task HandleSseAsync(HttpContext context)
    {
        var sessionId = NewSessionId();
        var messagePath = $"{context.Request.PathBase}{EndpointKey(context)}/message?sessionId={sessionId}";
        InitializeSse(context);
        await using var transport = new SseResponseStreamTransport(context.Response.Body, messagePath, sessionId);
        var session = StartSession(context, sessionId, _ => transport);
        using var streamCts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Closing);
        try
        {
            await transport.RunAsync(streamCts.Token);
        }
        catch (OperationCanceledException) when (streamCts.IsCancellationRequested)
        {
        }
        finally
        {
            await sessions.CloseAsync(sessionId);
        }
    }

    /// <summary>Handles a legacy HTTP+SSE message POST; the answer travels on the session's event stream.</summary>
    public async Task HandleSseMessageAsync(HttpContext context)
    {
        var sessionId = context.Request.Query["sessionId"].ToString();
        var message = await ReadMessageAsync(context);
        if (message is null)
        {
            return;
        }

        var session = await FindSessionAsync(context, sessionId, StrictJsonRpc.IdOf(message));
        if (session?.Transport is not SseResponseStreamTransport transport)
        {
            return;
        }

        using var active = session.Enter();
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        await transport.OnMessageReceivedAsync(message, context.RequestAborted);
        await context.Response.WriteAsync("Accepted", context.RequestAborted);
    }

    private async Task ServeStatelessAsync(HttpContext context, JsonRpcMessage message)
    {
        if (direct is not null && message is JsonRpcRequest request && direct.HandlesSessionless(request))
        {
            await AnswerSessionlessAsync(context, request, direct);
            return;
        }

        var id = NewSessionId();
        var transport = new StreamableHttpServerTransport(loggerFactory) { Stateless = true };
        var server = factory(context, id, transport);
        var session = new McpHttpSession(id, EndpointKey(context), options.Value.SessionOwner(context), transport, server);
        session.Start(_ => Task.CompletedTask);
        try
        {
            await PostToTransportAsync(context, transport, message);
        }
        finally
        {
            await session.DisposeAsync();
            sessions.NotifyClosed(id);
        }
    }

    private static async Task PostToTransportAsync(HttpContext context, StreamableHttpServerTransport transport, JsonRpcMessage message)
    {
        InitializeSse(context);
        var wrote = await transport.HandlePostRequestAsync(message, context.Response.Body, context.RequestAborted);
        if (!wrote)
        {
            context.Response.Headers.ContentType = (string?)null;
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
    }

    private McpHttpSession StartSession(HttpContext context, string sessionId, Func<string, ITransport> transportFactory)
    {
        var transport = transportFactory(sessionId);
        var server = factory(context, sessionId, transport);
        var session = new McpHttpSession(sessionId, EndpointKey(context), options.Value.SessionOwner(context), transport, server);
        sessions.Add(session);
        return session;
    }

    private async ValueTask<McpHttpSession?> FindSessionAsync(HttpContext context, string sessionId, RequestId requestId)
    {
        if (sessionId.Length == 0)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, "Bad Request: the Mcp-Session-Id header is required.", requestId);
            return null;
        }

        if (!sessions.TryGet(sessionId, out var session) || session.EndpointKey != EndpointKey(context) || session.Age > options.Value.SessionAbsoluteLifetime)
        {
            // -32001 is what the reference SDKs answer for an unknown session; 404 tells the client to initialize again.
            await WriteErrorAsync(context, StatusCodes.Status404NotFound, (McpErrorCode)(-32001), "Session not found: it expired, was closed, or belongs to another endpoint. Send initialize to start a new session.", requestId);
            return null;
        }

        if (!string.Equals(session.Owner, options.Value.SessionOwner(context), StringComparison.Ordinal))
        {
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest,
                "Forbidden: this session was opened by another principal. A session id is not a credential; send initialize to open your own session.", requestId);
            return null;
        }

        return session;
    }

    private const long DrainAllowanceBytes = 1 << 20;

    /// <summary>Discards the rest of an oversized body, up to the drain allowance (beyond it Kestrel closes the connection).</summary>
    private static async ValueTask DrainAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (BadHttpRequestException)
        {
            // Larger than the allowance: the 413 still goes out; the connection is closed after it.
        }
    }

    /// <summary>Reads and parses the body within the size limit; on failure writes the error and returns null.</summary>
    private async ValueTask<JsonRpcMessage?> ReadMessageAsync(HttpContext context)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Room to drain an oversized body, so the client reads the 413 instead of a reset connection.
            sizeFeature.MaxRequestBodySize = limit + DrainAllowanceBytes;
        }

        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, limit);
            return null;
        }

        var reader = context.Request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > limit)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    await DrainAsync(reader, context.RequestAborted);
                    await WriteTooLargeAsync(context, limit);
                    return null;
                }

                if (read.IsCompleted)
                {
                    break;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteTooLargeAsync(context, limit);
            return null;
        }

        try
        {
            var message = StrictJsonRpc.Parse(read.Buffer, out var error);
            if (message is null)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, (McpErrorCode)error!.Code, error.Message);
                return null;
            }

            // Handlers see who sent this very request (the session's opener may have presented another token since).
            if (context.User.Identity?.IsAuthenticated == true)
            {
                message.Context ??= new JsonRpcMessageContext();
                message.Context.User = context.User;
            }

            return message;
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context, long limit) =>
        WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, McpErrorCode.InvalidRequest, $"Payload Too Large: the request body exceeds the gateway's limit of {limit} bytes.");

    /// <summary>
    /// Routing headers (<c>Mcp-Method</c>, <c>Mcp-Name</c>) must say what the body says: a proxy or policy that read only
    /// the headers must never see a different call than the one the server runs. Returns why they disagree, or null.
    /// </summary>
    public static string? HeaderMismatch(string methodHeader, string nameHeader, JsonRpcMessage message)
    {
        var method = (message as JsonRpcRequest)?.Method ?? (message as JsonRpcNotification)?.Method;
        if (methodHeader.Length > 0 && !string.Equals(methodHeader, method, StringComparison.Ordinal))
        {
            return $"the Mcp-Method header says '{methodHeader}' but the body's method is '{method}'.";
        }

        if (nameHeader.Length > 0)
        {
            var parameters = (message as JsonRpcRequest)?.Params as System.Text.Json.Nodes.JsonObject;
            var name = (parameters?["name"] ?? parameters?["uri"]) is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (!string.Equals(nameHeader, name, StringComparison.Ordinal))
            {
                return $"the Mcp-Name header says '{nameHeader}' but the body names '{name}'.";
            }
        }

        return null;
    }

    /// <summary>Writes a JSON-RPC error response with an HTTP status.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, McpErrorCode code, string message, RequestId id = default)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new JsonRpcError { Id = id, Error = new JsonRpcErrorDetail { Code = (int)code, Message = message } };
        await JsonSerializer.SerializeAsync(context.Response.Body, error, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcError)), context.RequestAborted);
    }

    /// <summary>The endpoint's base path: the request path without its last segment (<c>/servers/x/mcp</c> → <c>/servers/x</c>).</summary>
    private static string EndpointKey(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var cut = path.LastIndexOf('/');
        return cut <= 0 ? "" : path[..cut];
    }

    private static bool Accepts(HttpContext context, string mediaType)
    {
        var accept = context.Request.Headers.Accept.ToString();
        return accept.Contains(mediaType, StringComparison.OrdinalIgnoreCase) || accept.Contains("*/*", StringComparison.Ordinal);
    }

    private static bool IsJsonContent(HttpContext context) =>
        context.Request.ContentType is { } type && type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);

    internal static void InitializeSse(HttpContext context)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache,no-store";
        context.Response.Headers.ContentEncoding = "identity";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
    }

    private static string NewSessionId()
    {
        Span<byte> buffer = stackalloc byte[16];
        RandomNumberGenerator.Fill(buffer);
        return WebEncoders.Base64UrlEncode(buffer);
    }
}
