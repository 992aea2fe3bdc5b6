namespace Portcullis.Configuration;

/// <summary>
/// Who may use the gateway. Member access tokens are always accepted; trusted OIDC issuers add the enterprise path.
/// Anonymous use is an explicit, loopback-only development setting.
/// </summary>
public sealed record AuthConfig
{
    /// <summary>
    /// Canonical resource URI of the gateway (RFC 8707): the audience JWTs must carry. Defaults to the public URL
    /// plus <c>/mcp</c>. A token issued for a specific endpoint's URL is accepted on that endpoint too.
    /// </summary>
    public Uri? Resource { get; init; }

    /// <summary>Trusted identity providers.</summary>
    public IReadOnlyList<IssuerConfig> Issuers { get; init; } = [];

    /// <summary>Scopes a JWT must carry to use the MCP endpoints (advertised in the protected resource metadata).</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Development only: requests without a token act as an anonymous principal. Refused unless the gateway listens on loopback.</summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>A session older than this is closed, however active it is.</summary>
    public TimeSpan SessionAbsoluteLifetime { get; init; } = TimeSpan.FromHours(12);
}
