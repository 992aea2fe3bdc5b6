using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.McpHttp;

namespace Portcullis.Gateway.Identity;

/// <summary>
/// Authenticates every request from its <c>Authorization: Bearer</c> header: a member token (checked against the store
/// on each request, so revocation is immediate) or a JWT from a trusted issuer. Challenges follow RFC 6750 and point
/// at the RFC 9728 metadata. Tokens are accepted only in the header: one in the URL is refused. If the token store
/// cannot be read, requests are refused (503), never let through.
/// </summary>
internal sealed class PortcullisAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    GatewayConfigProvider config,
    MemberTokens memberTokens,
    OidcTokenValidator oidc)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "portcullis";

    private static readonly string[] QueryTokenNames = ["access_token", "token", "api_key", "apikey", "key", "bearer", "auth"];

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (QueryTokenNames.Any(name => Request.Query.ContainsKey(name)))
        {
            return Fail(new AuthFailure("invalid_request", "Access tokens are accepted only in the Authorization header, never in the URL. Remove the token from the URL and revoke it: URLs end up in logs and browser history."));
        }

        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return config.Current.Auth.AllowAnonymous ? Success(Principal.Anonymous) : AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return Fail(new AuthFailure("invalid_request", "Send the token as 'Authorization: Bearer <token>'."));
        }

        var token = header[7..].Trim();
        try
        {
            var (principal, failure) = MemberTokens.LooksLikeMemberToken(token)
                ? await memberTokens.ValidateAsync(token, Context.RequestAborted)
                : await oidc.ValidateAsync(token, EndpointResource.CanonicalResource(Context, config.Current), EndpointResource.ResourceFor(Context, config.Current), Context.RequestAborted);
            return principal is not null ? Success(principal) : Fail(new AuthFailure("invalid_token", failure!));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Fail closed: a store or identity provider that cannot answer is no reason to let a request through.
            Logger.LogError("Could not verify a bearer token: {Reason}", ex.Message);
            return Fail(new AuthFailure("temporarily_unavailable", "The gateway cannot verify tokens right now; retry shortly.", StatusCodes.Status503ServiceUnavailable));
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items[AuthFailure.ItemKey] as AuthFailure;
        var status = failure?.Status ?? StatusCodes.Status401Unauthorized;
        if (status == StatusCodes.Status401Unauthorized)
        {
            Response.Headers.WWWAuthenticate = Challenge(failure is null ? null : (failure.Error, failure.Description), config.Current.Auth.Scopes);
        }

        var message = failure is null
            ? "Unauthorized: send 'Authorization: Bearer <token>' (a member token from 'portcullis token issue', or a JWT from a trusted issuer)."
            : $"Unauthorized: {failure.Description}";
        await McpHttpEndpoint.WriteErrorAsync(Context, status, McpErrorCode.InvalidRequest, message);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        if (Context.Items[AuthFailure.MissingScopesKey] is IReadOnlyList<string> needed)
        {
            Response.Headers.WWWAuthenticate = Challenge(("insufficient_scope", "The token lacks scopes this endpoint requires."), needed);
            await McpHttpEndpoint.WriteErrorAsync(Context, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest,
                $"Forbidden: the token lacks required scopes; request a token with scope \"{string.Join(' ', needed)}\".");
            return;
        }

        await McpHttpEndpoint.WriteErrorAsync(Context, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest,
            properties.Items.TryGetValue("reason", out var reason) && reason is not null ? "Forbidden: " + reason : "Forbidden.");
    }

    private string Challenge((string Error, string Description)? error, IReadOnlyList<string> scopes)
    {
        var parts = new List<string> { $"resource_metadata=\"{EndpointResource.MetadataUrlFor(Context, config.Current)}\"" };
        if (scopes.Count > 0)
        {
            parts.Add($"scope=\"{string.Join(' ', scopes)}\"");
        }

        if (error is { } e)
        {
            parts.Add($"error=\"{e.Error}\"");
            parts.Add($"error_description=\"{e.Description.Replace('"', '\'')}\"");
        }

        return "Bearer " + string.Join(", ", parts);
    }

    private AuthenticateResult Success(Principal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal.ToClaimsPrincipal(), SchemeName));

    private AuthenticateResult Fail(AuthFailure failure)
    {
        Context.Items[AuthFailure.ItemKey] = failure;
        return AuthenticateResult.Fail(failure.Description);
    }
}
