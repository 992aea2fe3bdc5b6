namespace Portcullis.Configuration;

/// <summary>Front-door settings: the listen address and the HTTP hardening knobs.</summary>
public sealed record FrontDoorConfig
{
    /// <summary>Default request body limit: 4 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 4 * 1024 * 1024;

    /// <summary>URL Kestrel binds. Loopback by default; a non-loopback bind needs authentication (a later issue) and is refused until then.</summary>
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>
    /// The URL agents use to reach the gateway; names the resource in metadata, challenges and token audiences.
    /// When unset, the scheme and (allowed) Host of each request are used.
    /// </summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>Browser origins allowed to call the gateway, besides loopback origins. A request with any other <c>Origin</c> gets 403.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Host header values accepted besides loopback names (DNS-rebinding protection). A request for any other host gets 403.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Log format on the console: <c>text</c> (default) or <c>json</c> (one object per line, for log pipelines).</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>A session unused this long is closed.</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
