namespace Portcullis.Identity;

/// <summary>How a principal proved who it is.</summary>
public enum AuthenticationMethod
{
    /// <summary>A member access token issued by this gateway.</summary>
    MemberToken,

    /// <summary>A JWT from a trusted OIDC / OAuth 2.1 issuer.</summary>
    Oidc,

    /// <summary>No credential: the loopback-only development mode.</summary>
    Anonymous,
}
