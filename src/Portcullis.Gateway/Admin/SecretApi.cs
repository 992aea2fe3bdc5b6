using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Gateway.Hosting;
using Portcullis.Secrets;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/secrets</c>: names, versions and ages (never values); set, rotate and delete.</summary>
internal static class SecretApi
{
    public sealed record SetRequest(string Value);

    public static void MapSecretApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/secrets", async (ISecretStore store, GatewayConfigProvider config, TimeProvider time, CancellationToken ct) =>
        {
            var warning = config.Current.Secrets.RotationWarning;
            var now = time.GetUtcNow();
            var used = SecretReferences.UsersOf(config.Current.Servers);
            // Members' own credentials are theirs (GET /me/credentials), not the operators' secrets.
            return Results.Json((await store.ListAsync(ct)).Where(s => !SecretReferences.IsMemberSecret(s.Name)).Select(s => new
            {
                name = s.Name,
                version = s.Version,
                updatedAt = s.UpdatedAt,
                ageDays = Math.Round((now - s.UpdatedAt).TotalDays, 1),
                rotationOverdue = now - s.UpdatedAt > warning,
                usedBy = used[s.Name].ToArray(),
            }));
        });

        admin.MapPut("/secrets/{name}", async (string name, SetRequest request, ISecretStore store, SecretRotation rotation, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(request.Value))
            {
                return Results.Json(new { error = "value must not be empty" }, statusCode: StatusCodes.Status400BadRequest);
            }

            try
            {
                var version = await store.SetAsync(name, request.Value, ct);
                await rotation.ApplyAsync([name], ct);
                return Results.Json(new { name, version });
            }
            catch (SecretUnavailableException ex)
            {
                return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status409Conflict);
            }
        });

        admin.MapDelete("/secrets/{name}", async (string name, ISecretStore store, CancellationToken ct) =>
            await store.DeleteAsync(name, ct) ? Results.NoContent() : Results.Json(new { error = $"no secret '{name}'" }, statusCode: StatusCodes.Status404NotFound));
    }
}
