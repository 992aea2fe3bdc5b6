namespace Portcullis.Routing;

/// <summary>Which slice of the upstream servers an MCP endpoint exposes.</summary>
public abstract record EndpointView
{
    /// <summary>The separator between server id and tool name in exposed names.</summary>
    public const string Separator = "__";

    private EndpointView()
    {
    }

    /// <summary>URL path of the endpoint, for messages.</summary>
    public abstract string Path { get; }

    /// <summary><c>/mcp</c>: every server, names prefixed with the server id.</summary>
    public sealed record Aggregate : EndpointView
    {
        /// <summary>The single instance.</summary>
        public static readonly Aggregate Instance = new();

        /// <inheritdoc />
        public override string Path => "/mcp";
    }

    /// <summary><c>/servers/{id}/mcp</c>: one server alone, names unprefixed.</summary>
    public sealed record Server(string ServerId) : EndpointView
    {
        /// <inheritdoc />
        public override string Path => $"/servers/{ServerId}/mcp";
    }

    /// <summary><c>/v/{id}/mcp</c>: a configured subset of tools, names prefixed.</summary>
    public sealed record Virtual(string VirtualServerId) : EndpointView
    {
        /// <inheritdoc />
        public override string Path => $"/v/{VirtualServerId}/mcp";
    }
}
