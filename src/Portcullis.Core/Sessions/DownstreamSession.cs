using System.Collections.Concurrent;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Routing;

namespace Portcullis.Sessions;

/// <summary>One agent's MCP session with the gateway, on one endpoint.</summary>
public sealed class DownstreamSession(string id, EndpointView view, Identity.Principal opener)
{
    private McpServer? _server;

    /// <summary>Session id (the <c>Mcp-Session-Id</c>, or the SSE session id).</summary>
    public string Id { get; } = id;

    /// <summary>The endpoint the session was opened on.</summary>
    public EndpointView View { get; } = view;

    /// <summary>Who opened the session; each request still carries its own, re-authenticated principal.</summary>
    public Identity.Principal Opener { get; } = opener;

    /// <summary>The SDK server that speaks MCP with the agent.</summary>
    public McpServer Server => _server ?? throw new InvalidOperationException("The session has no server yet.");

    /// <summary>Resource URIs the agent subscribed to.</summary>
    public ConcurrentDictionary<string, byte> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Log level the agent asked for; null until it asks.</summary>
    public LoggingLevel? LogLevel { get; set; }

    /// <summary>Binds the SDK server created for this session.</summary>
    public void Attach(McpServer server) => _server = server;

    /// <summary>True once <see cref="Attach"/> ran.</summary>
    public bool IsAttached => _server is not null;
}
