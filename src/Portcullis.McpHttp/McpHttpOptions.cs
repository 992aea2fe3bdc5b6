namespace Portcullis.McpHttp;

/// <summary>Limits of the MCP HTTP endpoints.</summary>
public sealed class McpHttpOptions
{
    /// <summary>Largest accepted request body in bytes; larger bodies get 413. Default 4 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A session without requests for this long is closed.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
