using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Portcullis.Upstreams;

/// <summary>
/// Decorates an upstream transport for the gateway's two needs the SDK client does not meet:
/// <list type="bullet">
/// <item>Progress notifications for relayed calls and log messages reach the agent in wire order (the SDK dispatches
/// incoming messages concurrently, so the last update could otherwise trail the result, or miss the call's stream).</item>
/// <item>Governed calls are sent straight to the transport and their replies handed straight back
/// (<see cref="Session.SendRequestAsync"/>), skipping the SDK's dispatch loop: one thread hand-off less per call.
/// To a Streamable HTTP server they skip the transport too (<see cref="StreamableHttpCalls"/>).</item>
/// </list>
/// Every other message passes through to the SDK untouched.
/// </summary>
internal sealed class UpstreamTransport(IClientTransport inner, ProgressRoutes routes, Func<JsonRpcNotification, ValueTask> logs, StreamableHttpCalls? http = null) : IClientTransport
{
    public string Name => inner.Name;

    /// <summary>The session of the last successful connect.</summary>
    public Session? Connected { get; private set; }

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default) =>
        Connected = new Session(await inner.ConnectAsync(cancellationToken).ConfigureAwait(false), routes, logs, http);

    internal sealed class Session : ITransport
    {
        private readonly ITransport _inner;
        private readonly ProgressRoutes _routes;
        private readonly Func<JsonRpcNotification, ValueTask> _logs;
        private readonly Channel<JsonRpcMessage> _messages = Channel.CreateUnbounded<JsonRpcMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly ConcurrentDictionary<RequestId, TaskCompletionSource<JsonRpcMessage>> _replies = new();
        private readonly StreamableHttpCalls? _http;
        private readonly CancellationTokenSource _closed = new();
        private readonly Func<JsonRpcMessage, ValueTask> _route;
        private readonly Action _sessionExpired;
        private readonly Task _pump;

        public Session(ITransport inner, ProgressRoutes routes, Func<JsonRpcNotification, ValueTask> logs, StreamableHttpCalls? http)
        {
            _inner = inner;
            _routes = routes;
            _logs = logs;
            _http = http;
            _route = RouteAsync;
            _sessionExpired = () => _messages.Writer.TryComplete(new McpException("The server ended the session (HTTP 404 to a request carrying its session id)."));
            _pump = PumpAsync();
        }

        /// <summary>
        /// Sends <paramref name="request"/> and returns its result as <paramref name="resultType"/>; a JSON-RPC error
        /// comes back as <see cref="McpProtocolException"/>. Canceled when the connection closes before the reply.
        /// </summary>
        /// <param name="protocolVersion">The revision the client negotiated, sent with a request that skips the SDK.</param>
        public async Task<TResult> SendRequestAsync<TResult>(JsonRpcRequest request, string? protocolVersion, JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
        {
            if (_http is null)
            {
                return await SendRequestAsync(request, cancellationToken).ConfigureAwait(false) switch
                {
                    JsonRpcResponse response => ResultOf(response, request.Method, resultType),
                    JsonRpcError error => throw new McpProtocolException(error.Error.Message, (McpErrorCode)error.Error.Code),
                    var other => throw new McpProtocolException($"The server answered {request.Method} with a {other.GetType().Name}.", McpErrorCode.InternalError),
                };
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            return await _http.SendAsync(request, _inner.SessionId, protocolVersion, resultType, _route, _sessionExpired, linked.Token).ConfigureAwait(false);
        }

        /// <summary>The result of a response as <paramref name="resultType"/>; an empty one is a protocol error.</summary>
        public static TResult ResultOf<TResult>(JsonRpcResponse response, string method, JsonTypeInfo<TResult> resultType) =>
            (response.Result is { } result ? JsonSerializer.Deserialize(result, resultType) : default)
            ?? throw new McpProtocolException($"The server answered {method} with an empty result.", McpErrorCode.InternalError);

        public string? SessionId => _inner.SessionId;

        public ChannelReader<JsonRpcMessage> MessageReader => _messages.Reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => _inner.SendMessageAsync(message, cancellationToken);

        /// <summary>
        /// Sends <paramref name="request"/> and returns the server's reply (a response or an error). Canceled when the
        /// connection closes before the reply arrives.
        /// </summary>
        public async Task<JsonRpcMessage> SendRequestAsync(JsonRpcRequest request, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<JsonRpcMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _replies[request.Id] = reply;
            try
            {
                if (_pump.IsCompleted)
                {
                    throw new OperationCanceledException("The connection is closed.");
                }

                await _inner.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
                return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _replies.TryRemove(request.Id, out _);
            }
        }

        private async Task PumpAsync()
        {
            try
            {
                await foreach (var message in _inner.MessageReader.ReadAllAsync().ConfigureAwait(false))
                {
                    await RouteAsync(message).ConfigureAwait(false);
                }

                _messages.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                // Keep the inner completion (e.g. the stdio exit details) visible to the SDK.
                _messages.Writer.TryComplete(ex);
            }
            finally
            {
                // Like the SDK's own pending requests, replies that can no longer come are canceled.
                _closed.Cancel();
                foreach (var reply in _replies.Values)
                {
                    reply.TrySetCanceled();
                }
            }
        }

        /// <summary>A message from the server: a reply to a governed request, progress or a log message for agents, or the SDK's.</summary>
        private async ValueTask RouteAsync(JsonRpcMessage message)
        {
            if (message is JsonRpcResponse or JsonRpcError && _replies.TryRemove(((JsonRpcMessageWithId)message).Id, out var reply))
            {
                // The caller continues on a pool thread: the rest of its call (inspection, an audit commit,
                // for a sessionless agent a whole server's disposal) must not hold up the replies behind it.
                reply.TrySetResult(message);
                return;
            }

            if (message is JsonRpcNotification { Method: NotificationMethods.ProgressNotification } notification && _routes.TryRelay(notification) is { } relay)
            {
                await relay.ConfigureAwait(false);
                return;
            }

            if (message is JsonRpcNotification { Method: NotificationMethods.LoggingMessageNotification } log)
            {
                // Before the reply that follows it on the wire, while the call it belongs to is still in flight.
                await _logs(log).ConfigureAwait(false);
                return;
            }

            _messages.Writer.TryWrite(message);
        }

        public async ValueTask DisposeAsync()
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            await _inner.DisposeAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
        }
    }
}
