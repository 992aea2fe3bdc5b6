using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>
/// The agent of one request on the sessionless revision, answered directly: what the answer sends while it runs
/// (progress, log messages) travels on the request's event stream. With no session there is no channel for the
/// agent's replies, so requests to the agent (sampling, elicitation, roots) are refused and the agent declares no
/// capabilities, as the SDK's stateless server does.
/// </summary>
internal sealed class SessionlessAgent(RequestStreamServer.EventStream stream, IServiceProvider services) : McpServer
{
    // Nothing reads a directly answered request's server options; the SDK's defaults stand in for them.
    private static readonly McpServerOptions NoOptions = new();

    public override string? SessionId => null;

    public override string? NegotiatedProtocolVersion => McpHttpEndpoint.SessionlessProtocolVersion;

    public override ClientCapabilities? ClientCapabilities => null;

    public override Implementation? ClientInfo => null;

    public override McpServerOptions ServerOptions => NoOptions;

    public override IServiceProvider? Services => services;

    [Obsolete("Mirrors the obsolete member it overrides.")]
    public override LoggingLevel? LoggingLevel => null;

    public override Task<JsonRpcResponse> SendRequestAsync(JsonRpcRequest request, CancellationToken cancellationToken = default) =>
        throw new McpProtocolException(
            $"'{request.Method}' cannot reach an agent on the sessionless {McpHttpEndpoint.SessionlessProtocolVersion} revision: it has no channel for the agent's reply.",
            McpErrorCode.InvalidRequest);

    public override Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) =>
        stream.SendMessageAsync(message, cancellationToken);

    public override IAsyncDisposable RegisterNotificationHandler(string method, Func<JsonRpcNotification, CancellationToken, ValueTask> handler) =>
        throw new NotSupportedException("A sessionless request receives no notifications.");

    public override Task RunAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A sessionless request's agent does not run on its own.");

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
