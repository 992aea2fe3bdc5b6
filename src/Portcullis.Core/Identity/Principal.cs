using System.Security.Claims;

namespace Portcullis.Identity;

/// <summary>
/// Who is acting: the person or workflow (<see cref="Subject"/>) and, separately, the agent acting for them. Travels
/// with every governed call and into its audit record.
/// </summary>
public sealed record Principal
{
    /// <summary>The role that may use the admin API and CLI.</summary>
    public const string AdminRole = "admin";

    /// <summary>Claim type under which the principal rides in <see cref="ClaimsPrincipal"/>.</summary>
    private const string ClaimsAuthenticationType = "portcullis";

    /// <summary>The user or service, e.g. <c>alice</c> or an IdP subject id.</summary>
    public required string Subject { get; init; }

    /// <summary>Whether the subject is a person or a workflow.</summary>
    public SubjectKind Kind { get; init; } = SubjectKind.User;

    /// <summary>The agent (OAuth client, tool) acting for the subject, if known.</summary>
    public string? Agent { get; init; }

    /// <summary>Tenant, where the identity provider has tenants.</summary>
    public string? Tenant { get; init; }

    /// <summary>Roles or groups.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>How the principal authenticated.</summary>
    public required AuthenticationMethod Method { get; init; }

    /// <summary>Issuer of the credential: <c>portcullis</c> for member tokens, the IdP's <c>iss</c> for JWTs.</summary>
    public required string Issuer { get; init; }

    /// <summary>Id of the credential (member token id, JWT <c>jti</c>), for audit and revocation.</summary>
    public string? TokenId { get; init; }

    /// <summary>Servers this credential is limited to; null means no limit.</summary>
    public IReadOnlyList<string>? Servers { get; init; }

    /// <summary>Scopes the credential carries (JWT <c>scope</c>/<c>scp</c>); null for member tokens, which carry no scopes.</summary>
    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>Who owns sessions this principal opens: the same subject from the same issuer, whatever token it presents next.</summary>
    public string SessionOwnerKey => $"{Method}|{Issuer}|{Subject}";

    /// <summary>True when the principal has <paramref name="role"/>.</summary>
    public bool IsInRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>True when the credential's server limit allows <paramref name="serverId"/>.</summary>
    public bool MayReach(string serverId) => Servers is null || Servers.Contains(serverId, StringComparer.Ordinal);

    /// <summary>The anonymous principal of the development mode.</summary>
    public static Principal Anonymous { get; } = new() { Subject = "anonymous", Method = AuthenticationMethod.Anonymous, Issuer = "portcullis", Kind = SubjectKind.User };

    /// <summary>Wraps the principal for ASP.NET Core and the MCP SDK, which carry a <see cref="ClaimsPrincipal"/>.</summary>
    public ClaimsPrincipal ToClaimsPrincipal()
    {
        var identity = new PrincipalIdentity(this);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Recovers the principal from a <see cref="ClaimsPrincipal"/> made by <see cref="ToClaimsPrincipal"/>.</summary>
    public static Principal? From(ClaimsPrincipal? user) => (user?.Identity as PrincipalIdentity)?.Principal;

    private sealed class PrincipalIdentity(Principal principal)
        : ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, principal.Subject), .. principal.Roles.Select(r => new Claim(ClaimTypes.Role, r))], ClaimsAuthenticationType)
    {
        public Principal Principal { get; } = principal;
    }
}
