using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Portcullis.Upstreams;

/// <summary>
/// Sends a governed request to a Streamable HTTP server and reads its reply off the POST's own response, on the
/// caller's thread. Through the SDK's transport the reply would cross its message channel and the gateway's reply
/// pump (two thread hand-offs) and be built as a JSON node tree only to be converted at once; here it is deserialized
/// straight into the result type. Whatever else arrives on the response's event stream (progress, log messages,
/// sampling or elicitation requests) is handed to <c>others</c>, where the SDK's transport would have delivered it.
/// The wire behaviour follows the SDK's transport: the same headers, a JSON-RPC error on a 400 as a protocol error,
/// a 404 as the end of the session, and a stream that ends early resumed with <c>Last-Event-ID</c>.
/// </summary>
internal sealed class StreamableHttpCalls(HttpClient http, Uri endpoint, IReadOnlyDictionary<string, string> headers, int maxReconnectionAttempts, TimeSpan defaultReconnectionInterval)
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");
    private static readonly MediaTypeHeaderValue JsonContent = new("application/json");
    private static readonly JsonTypeInfo MessageType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));
    private static readonly JsonTypeInfo<RequestId> IdType = (JsonTypeInfo<RequestId>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(RequestId));
    private static readonly JsonTypeInfo<JsonRpcErrorDetail> ErrorType = (JsonTypeInfo<JsonRpcErrorDetail>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcErrorDetail));

    /// <summary>
    /// Posts <paramref name="request"/> and returns its result. A JSON-RPC error comes back as
    /// <see cref="McpProtocolException"/>; an HTTP failure as <see cref="HttpRequestException"/> (after
    /// <paramref name="sessionExpired"/> when the server no longer knows the session).
    /// </summary>
    public async Task<TResult> SendAsync<TResult>(JsonRpcRequest request, string? sessionId, string? protocolVersion, JsonTypeInfo<TResult> resultType, Func<JsonRpcMessage, ValueTask> others, Action sessionExpired, CancellationToken cancellationToken)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, endpoint);
        post.Headers.Accept.Add(Json);
        post.Headers.Accept.Add(EventStream);
        AddHeaders(post.Headers, sessionId, protocolVersion, lastEventId: null);
        post.Headers.Add("Mcp-Method", request.Method);
        if (request.Params?[request.Method == RequestMethods.ResourcesRead ? "uri" : "name"] is System.Text.Json.Nodes.JsonValue name && name.TryGetValue<string>(out var routingName))
        {
            post.Headers.Add("Mcp-Name", routingName);
        }

        if (request.Params?["_meta"]?["traceparent"] is System.Text.Json.Nodes.JsonValue trace && trace.TryGetValue<string>(out var traceparent))
        {
            post.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }

        post.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, MessageType)) { Headers = { ContentType = JsonContent } };
        using var response = await http.SendAsync(post, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(response, sessionId, sessionExpired, cancellationToken).ConfigureAwait(false);
        }

        var reader = new ReplyReader<TResult>(request.Id, resultType);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType == "application/json")
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0 && reader.Read(body) is { } other)
            {
                await others(other).ConfigureAwait(false);
            }
        }
        else if (mediaType == "text/event-stream")
        {
            using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var state = new StreamState();
            await ReadEventsAsync(stream, reader, state, others, cancellationToken).ConfigureAwait(false);
            if (!reader.Done && state.LastEventId is not null)
            {
                await ResumeAsync(reader, state, sessionId, protocolVersion, others, sessionExpired, cancellationToken).ConfigureAwait(false);
            }
        }

        return reader.Done
            ? reader.Error is { } error ? throw new McpProtocolException(error.Message, (McpErrorCode)error.Code) : reader.Result!
            : throw new McpException($"Streamable HTTP POST response completed without a reply to request with ID: {request.Id}");
    }

    /// <summary>The server ended the POST's stream before the reply: ask for the rest with <c>Last-Event-ID</c> (GET), as often as allowed.</summary>
    private async Task ResumeAsync<TResult>(ReplyReader<TResult> reader, StreamState state, string? sessionId, string? protocolVersion, Func<JsonRpcMessage, ValueTask> others, Action sessionExpired, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < maxReconnectionAttempts && !reader.Done; attempt++)
        {
            await Task.Delay(state.RetryInterval ?? defaultReconnectionInterval, cancellationToken).ConfigureAwait(false);
            using var get = new HttpRequestMessage(HttpMethod.Get, endpoint);
            get.Headers.Accept.Add(EventStream);
            AddHeaders(get.Headers, sessionId, protocolVersion, state.LastEventId);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                continue;
            }

            using (response)
            {
                if (response.StatusCode >= HttpStatusCode.InternalServerError)
                {
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw await FailureAsync(response, sessionId, sessionExpired, cancellationToken).ConfigureAwait(false);
                }

                using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var before = state.LastEventId;
                await ReadEventsAsync(stream, reader, state, others, cancellationToken).ConfigureAwait(false);
                if (state.LastEventId != before)
                {
                    attempt = -1; // the server is still sending: keep polling
                }
            }
        }
    }

    private static async Task ReadEventsAsync<TResult>(Stream stream, ReplyReader<TResult> reader, StreamState state, Func<JsonRpcMessage, ValueTask> others, CancellationToken cancellationToken)
    {
        var parser = SseParser.Create(stream, static (type, data) => type == "message" ? data.ToArray() : null);
        try
        {
            await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
            {
                state.LastEventId = parser.LastEventId is { Length: > 0 } id ? id : state.LastEventId;
                state.RetryInterval = parser.ReconnectionInterval is { } retry && retry > TimeSpan.Zero ? retry : state.RetryInterval;
                if (item.Data is not { Length: > 0 } data || reader.Read(data) is not { } other)
                {
                    if (reader.Done)
                    {
                        return;
                    }

                    continue;
                }

                await others(other).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && state.LastEventId is not null && !cancellationToken.IsCancellationRequested)
        {
            // A dropped stream that can be resumed: the caller asks for the rest.
        }
    }

    private void AddHeaders(HttpRequestHeaders target, string? sessionId, string? protocolVersion, string? lastEventId)
    {
        if (sessionId is not null)
        {
            target.Add("Mcp-Session-Id", sessionId);
        }

        if (protocolVersion is not null)
        {
            target.Add("MCP-Protocol-Version", protocolVersion);
        }

        if (lastEventId is not null)
        {
            target.Add("Last-Event-ID", lastEventId);
        }

        foreach (var (name, value) in headers)
        {
            if (!target.TryAddWithoutValidation(name, value))
            {
                throw new InvalidOperationException($"The header '{name}' configured for this server cannot be sent.");
            }
        }
    }

    /// <summary>What a failed response means: a JSON-RPC error the server sent (on a 400), else the HTTP failure with its body.</summary>
    private static async Task<Exception> FailureAsync(HttpResponseMessage response, string? sessionId, Action sessionExpired, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.NotFound && sessionId is not null)
        {
            sessionExpired();
        }

        var body = "";
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Report the status without the body.
        }

        if (response.Content.Headers.ContentType?.MediaType == "application/json" && body.Length > 0)
        {
            try
            {
                if (JsonSerializer.Deserialize(body, MessageType) is JsonRpcError error
                    && (response.StatusCode == HttpStatusCode.BadRequest || error.Error.Code is (int)McpErrorCode.UnsupportedProtocolVersion or (int)McpErrorCode.MissingRequiredClientCapability or (int)McpErrorCode.HeaderMismatch))
                {
                    return new McpProtocolException(error.Error.Message, (McpErrorCode)error.Error.Code);
                }
            }
            catch (JsonException)
            {
                // Not a JSON-RPC error: reported as the HTTP failure below.
            }
        }

        const int MaxBody = 1024;
        return new HttpRequestException(
            $"Response status code does not indicate success: {(int)response.StatusCode} ({response.ReasonPhrase}). Response body: {(body.Length > MaxBody ? body[..MaxBody] + "…" : body)}",
            inner: null,
            response.StatusCode);
    }

    private sealed class StreamState
    {
        public string? LastEventId { get; set; }

        public TimeSpan? RetryInterval { get; set; }
    }

    /// <summary>Reads JSON-RPC messages, keeping the reply to one request (result deserialized as it is read) and returning the rest.</summary>
    private sealed class ReplyReader<TResult>(RequestId id, JsonTypeInfo<TResult> resultType)
    {
        public bool Done { get; private set; }

        public TResult? Result { get; private set; }

        public JsonRpcErrorDetail? Error { get; private set; }

        /// <summary>Takes the reply to the request; returns any other message, parsed, for the caller to pass on.</summary>
        public JsonRpcMessage? Read(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("The server sent a JSON-RPC batch or a value that is not a message.");
            }

            RequestId? replyTo = null;
            var isReply = false;
            var result = default(TResult);
            JsonRpcErrorDetail? error = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    replyTo = JsonSerializer.Deserialize(ref reader, IdType);
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    result = JsonSerializer.Deserialize(ref reader, resultType);
                    isReply = true;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    error = JsonSerializer.Deserialize(ref reader, ErrorType);
                    isReply = true;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (isReply && replyTo is { } to && to.Equals(id))
            {
                if (error is null && result is null)
                {
                    throw new McpProtocolException($"The server answered {id} with an empty result.", McpErrorCode.InternalError);
                }

                (Result, Error, Done) = (result, error, true);
                return null;
            }

            return JsonSerializer.Deserialize(json, MessageType) as JsonRpcMessage;
        }
    }
}
