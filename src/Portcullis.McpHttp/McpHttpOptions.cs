namespace Portcullis.McpHttp;

/// <summary>Limits of the MCP HTTP endpoints.</summary>
public sealed class McpHttpOptions
{
    /// <summary>Largest accepted request body in bytes; larger bodies get 413. Default 4 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A session without requests for this long is closed.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session older than this is closed, however active.</summary>
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Names who owns the session a request opens (null when unauthenticated). A session id is not a credential:
    /// a request presenting another owner's session id is refused with 403.
    /// </summary>
    public Func<Microsoft.AspNetCore.Http.HttpContext, string?> SessionOwner { get; set; } = _ => null;
}
