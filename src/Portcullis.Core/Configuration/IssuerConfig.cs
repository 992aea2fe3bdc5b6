namespace Portcullis.Configuration;

/// <summary>One trusted OpenID Connect / OAuth 2.1 issuer and how its token claims map to a principal.</summary>
public sealed record IssuerConfig
{
    /// <summary>The exact <c>iss</c> value; also where discovery (<c>/.well-known/openid-configuration</c>) is read unless <see cref="JwksUri"/> is set.</summary>
    public required Uri Issuer { get; init; }

    /// <summary>The issuer's key set, when it is not discovered.</summary>
    public Uri? JwksUri { get; init; }

    /// <summary>Claim holding the subject.</summary>
    public string SubjectClaim { get; init; } = "sub";

    /// <summary>Claim holding roles or groups (an array or a space-separated string).</summary>
    public string RolesClaim { get; init; } = "roles";

    /// <summary>Claim naming the agent (the OAuth client acting for the user).</summary>
    public string AgentClaim { get; init; } = "azp";

    /// <summary>Claim naming the tenant, if the issuer has tenants.</summary>
    public string TenantClaim { get; init; } = "tid";
}
