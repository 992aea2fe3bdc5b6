using System.Threading.Channels;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Portcullis.Upstreams;

/// <summary>
/// Decorates an upstream transport so progress notifications for relayed calls reach the agent in wire order: the
/// SDK dispatches incoming messages concurrently, so without this the last progress update could trail the result.
/// Every other message passes through untouched.
/// </summary>
internal sealed class ProgressRoutingTransport(IClientTransport inner, ProgressRoutes routes) : IClientTransport
{
    public string Name => inner.Name;

    public async Task<ITransport> ConnectAsync(CancellationToken cancellationToken = default) =>
        new Session(await inner.ConnectAsync(cancellationToken).ConfigureAwait(false), routes);

    private sealed class Session : ITransport
    {
        private readonly ITransport _inner;
        private readonly ProgressRoutes _routes;
        private readonly Channel<JsonRpcMessage> _messages = Channel.CreateUnbounded<JsonRpcMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Task _pump;

        public Session(ITransport inner, ProgressRoutes routes)
        {
            _inner = inner;
            _routes = routes;
            _pump = PumpAsync();
        }

        public string? SessionId => _inner.SessionId;

        public ChannelReader<JsonRpcMessage> MessageReader => _messages.Reader;

        public Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => _inner.SendMessageAsync(message, cancellationToken);

        private async Task PumpAsync()
        {
            try
            {
                await foreach (var message in _inner.MessageReader.ReadAllAsync().ConfigureAwait(false))
                {
                    if (message is JsonRpcNotification { Method: NotificationMethods.ProgressNotification } notification && _routes.TryRelay(notification) is { } relay)
                    {
                        await relay.ConfigureAwait(false);
                        continue;
                    }

                    _messages.Writer.TryWrite(message);
                }

                _messages.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                // Keep the inner completion (e.g. the stdio exit details) visible to the SDK.
                _messages.Writer.TryComplete(ex);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
        }
    }
}
