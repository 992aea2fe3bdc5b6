using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>
/// The session's MCP server as seen by one directly answered request: everything it sends travels on that request's
/// event stream; replies to its requests arrive, as usual, through the session.
/// </summary>
internal sealed class RequestStreamServer(McpServer session, RequestStreamServer.EventStream stream) : McpServer
{
    public override string? SessionId => session.SessionId;

    public override string? NegotiatedProtocolVersion => session.NegotiatedProtocolVersion;

    public override ClientCapabilities? ClientCapabilities => session.ClientCapabilities;

    public override Implementation? ClientInfo => session.ClientInfo;

    public override McpServerOptions ServerOptions => session.ServerOptions;

    public override IServiceProvider? Services => session.Services;

    [Obsolete("Mirrors the obsolete member it overrides.")]
#pragma warning disable CS0618 // The session's value, whatever the SDK thinks of the member.
    public override LoggingLevel? LoggingLevel => session.LoggingLevel;
#pragma warning restore CS0618

    public override Task<JsonRpcResponse> SendRequestAsync(JsonRpcRequest request, CancellationToken cancellationToken = default) =>
        session.SendRequestAsync(Bind(request), cancellationToken);

    public override Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) =>
        session.SendMessageAsync(Bind(message), cancellationToken);

    public override IAsyncDisposable RegisterNotificationHandler(string method, Func<JsonRpcNotification, CancellationToken, ValueTask> handler) =>
        session.RegisterNotificationHandler(method, handler);

    public override Task RunAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A request-bound view of a session does not run on its own.");

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private T Bind<T>(T message) where T : JsonRpcMessage
    {
        message.Context ??= new JsonRpcMessageContext();
        message.Context.RelatedTransport = stream;
        return message;
    }

    /// <summary>
    /// The response of one POST as an event stream: messages are written as SSE events, one at a time; once the answer
    /// is written, later messages are dropped (the stream is over).
    /// </summary>
    internal sealed class EventStream(HttpContext context) : ITransport
    {
        private static readonly byte[] EventPrefix = "event: message\ndata: "u8.ToArray();
        private static readonly byte[] EventSuffix = "\n\n"u8.ToArray();
        private static readonly Channel<JsonRpcMessage> NoMessages = CreateCompleted();
        private readonly SemaphoreSlim _writing = new(1, 1);
        private bool _started;
        private bool _ended;

        public string? SessionId => null;

        public ChannelReader<JsonRpcMessage> MessageReader => NoMessages.Reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => WriteAsync(DirectAnswer.Message(message), last: false, cancellationToken);

        /// <summary>
        /// Writes the answer and ends the stream. An answer with nothing sent before it goes out as a plain JSON body
        /// with its length: one write, where an event stream costs a second one for its end.
        /// </summary>
        public Task WriteAnswerAsync(DirectAnswer answer, CancellationToken cancellationToken) => WriteAsync(answer, last: true, cancellationToken);

        private async Task WriteAsync(DirectAnswer message, bool last, CancellationToken cancellationToken)
        {
            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_ended)
                {
                    return;
                }

                _ended = last;
                if (last && !_started)
                {
                    _started = true;
                    var json = new ArrayBufferWriter<byte>(1024);
                    using (var writer = new Utf8JsonWriter(json))
                    {
                        message.WriteTo(writer);
                    }

                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = json.WrittenCount;
                    await context.Response.Body.WriteAsync(json.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (!_started)
                {
                    McpHttpEndpoint.InitializeSse(context);
                    _started = true;
                }

                var body = context.Response.BodyWriter;
                body.Write(EventPrefix);
                using (var writer = new Utf8JsonWriter(body))
                {
                    message.WriteTo(writer);
                }

                body.Write(EventSuffix);
                await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static Channel<JsonRpcMessage> CreateCompleted()
        {
            var channel = Channel.CreateUnbounded<JsonRpcMessage>();
            channel.Writer.Complete();
            return channel;
        }
    }
}
