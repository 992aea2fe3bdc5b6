using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Configuration;
using Portcullis.Identity;

namespace Portcullis.Gateway.Identity;

/// <summary>Endpoint filters: who may use the MCP endpoints and who may use the admin API.</summary>
internal static class McpAccess
{
    /// <summary>An authenticated principal whose JWT carries the configured scopes.</summary>
    public static async ValueTask<object?> RequirePrincipal(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (Principal.From(context.User) is not { } principal)
        {
            await context.ChallengeAsync(PortcullisAuthenticationHandler.SchemeName);
            return Results.Empty;
        }

        if (context.RequestServices.GetRequiredService<Limits.KillSwitches>().IsMemberKilled(principal.Subject))
        {
            await context.ForbidAsync(PortcullisAuthenticationHandler.SchemeName, new AuthenticationProperties(new Dictionary<string, string?> { ["reason"] = $"'{principal.Subject}' has been switched off by an administrator." }));
            return Results.Empty;
        }

        var required = context.RequestServices.GetRequiredService<GatewayConfigProvider>().Current.Auth.Scopes;
        if (principal.Method == AuthenticationMethod.Oidc && required.Count > 0 && !required.All(s => principal.Scopes?.Contains(s, StringComparer.Ordinal) == true))
        {
            context.Items[AuthFailure.MissingScopesKey] = required;
            await context.ForbidAsync(PortcullisAuthenticationHandler.SchemeName);
            return Results.Empty;
        }

        return await next(invocation);
    }

    /// <summary>An authenticated principal with the admin role.</summary>
    public static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var principal = Principal.From(context.User);
        if (principal is null || principal.Method == AuthenticationMethod.Anonymous)
        {
            await context.ChallengeAsync(PortcullisAuthenticationHandler.SchemeName);
            return Results.Empty;
        }

        if (!principal.IsInRole(Principal.AdminRole))
        {
            await context.ForbidAsync(PortcullisAuthenticationHandler.SchemeName, new AuthenticationProperties(new Dictionary<string, string?> { ["reason"] = $"the admin API needs the '{Principal.AdminRole}' role; '{principal.Subject}' does not have it." }));
            return Results.Empty;
        }

        return await next(invocation);
    }
}
