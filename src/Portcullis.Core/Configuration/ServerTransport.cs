namespace Portcullis.Configuration;

/// <summary>How the gateway reaches an upstream MCP server.</summary>
public enum ServerTransport
{
    /// <summary>A local process the gateway spawns and supervises, speaking MCP over stdin/stdout.</summary>
    Stdio,

    /// <summary>A remote server speaking Streamable HTTP.</summary>
    Http,

    /// <summary>A remote server speaking the legacy HTTP+SSE transport (protocol 2024-11-05).</summary>
    Sse,
}
