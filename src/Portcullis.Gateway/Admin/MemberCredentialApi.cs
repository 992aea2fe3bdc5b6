using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Gateway.Hosting;
using Portcullis.Gateway.Identity;
using Portcullis.Identity;
using Portcullis.Secrets;
using Portcullis.Upstreams;

namespace Portcullis.Gateway.Admin;

/// <summary>
/// <c>/me/credentials</c>: each member stores their own upstream credentials (a personal API token, say), which the
/// gateway injects only into that member's calls. A member sees and changes only their own, and never a value.
/// </summary>
internal static class MemberCredentialApi
{
    public static void MapMemberCredentialApi(this IEndpointRouteBuilder endpoints)
    {
        var me = endpoints.MapGroup("/me/credentials").AddEndpointFilter(McpAccess.RequirePrincipal).AddEndpointFilter(AuditApi.RecordChanges);

        // What the configured servers ask for, and whether this member has stored it.
        me.MapGet("/", async (HttpContext context, ISecretStore store, GatewayConfigProvider config, CancellationToken ct) =>
        {
            var key = UpstreamConnector.MemberKeyOf(Principal.From(context.User)!);
            var stored = (await store.ListAsync(ct)).ToDictionary(s => s.Name, StringComparer.Ordinal);
            return Results.Json(config.Current.Servers
                .SelectMany(s => SecretReferences.MemberCredentialsOf(s).Select(name => (Name: name, Server: s.Id)))
                .GroupBy(x => x.Name, StringComparer.Ordinal)
                .Select(g =>
                {
                    var info = stored.GetValueOrDefault(SecretReferences.MemberSecretName(key, g.Key));
                    return new { name = g.Key, servers = g.Select(x => x.Server).ToArray(), stored = info is not null, version = info?.Version, updatedAt = info?.UpdatedAt };
                }));
        });

        me.MapPut("/{name}", async (string name, SecretApi.SetRequest request, HttpContext context, ISecretStore store, GatewayConfigProvider config, SecretRotation rotation, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(request.Value))
            {
                return Results.Json(new { error = "value must not be empty" }, statusCode: StatusCodes.Status400BadRequest);
            }

            if (!config.Current.Servers.Any(s => SecretReferences.MemberCredentialsOf(s).Contains(name, StringComparer.Ordinal)))
            {
                return Results.Json(new { error = $"no server acts with a member credential named '{name}'" }, statusCode: StatusCodes.Status404NotFound);
            }

            var key = UpstreamConnector.MemberKeyOf(Principal.From(context.User)!);
            try
            {
                var version = await store.SetAsync(SecretReferences.MemberSecretName(key, name), request.Value, ct);
                await rotation.ApplyAsync([SecretReferences.MemberSecretName(key, name)], ct);
                return Results.Json(new { name, version });
            }
            catch (SecretUnavailableException ex)
            {
                return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status409Conflict);
            }
        });

        me.MapDelete("/{name}", async (string name, HttpContext context, ISecretStore store, UpstreamPool pool, CancellationToken ct) =>
        {
            var key = UpstreamConnector.MemberKeyOf(Principal.From(context.User)!);
            if (!await store.DeleteAsync(SecretReferences.MemberSecretName(key, name), ct))
            {
                return Results.Json(new { error = $"you have no credential '{name}'" }, statusCode: StatusCodes.Status404NotFound);
            }

            await pool.ForgetMemberAsync(key);
            return Results.NoContent();
        });
    }
}
