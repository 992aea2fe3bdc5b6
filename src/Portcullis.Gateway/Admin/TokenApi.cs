using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Gateway.Identity;
using Portcullis.Identity;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/tokens</c>: issue, list and revoke member tokens (admin role required).</summary>
internal static class TokenApi
{
    public sealed record IssueRequest(string Member, string[]? Roles, string? Ttl, string[]? Servers, string? Agent, string? Tenant, bool Service = false);

    public sealed record IssuedToken(string Id, string Token, string Member, DateTimeOffset ExpiresAt);

    public sealed record TokenView(string Id, string Member, string Kind, string[] Roles, string[]? Servers, string? Agent, string? Tenant, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy, string Status);

    public static void MapTokenApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/whoami", (HttpContext context) => Results.Json(Principal.From(context.User)));

        admin.MapGet("/tokens", async (IMemberTokenStore store, TimeProvider time, CancellationToken ct) =>
            Results.Json((await store.ListAsync(ct)).Select(t => View(t, time.GetUtcNow()))));

        admin.MapPost("/tokens", async (IssueRequest request, MemberTokens tokens, GatewayConfigProvider config, HttpContext context, CancellationToken ct) =>
        {
            var lifetime = TimeSpan.FromHours(8);
            if (request.Ttl is not null && !DurationParser.TryParse(request.Ttl, out lifetime))
            {
                return Problem("ttl must be a duration such as 30m, 8h or 7d");
            }

            var unknown = request.Servers?.Where(s => config.Current.FindServer(s) is null).ToArray() ?? [];
            if (unknown.Length > 0)
            {
                return Problem($"unknown servers: {string.Join(", ", unknown)}");
            }

            try
            {
                var (token, record) = await tokens.IssueAsync(new MemberTokenRequest
                {
                    Member = request.Member,
                    Roles = request.Roles ?? [],
                    Lifetime = lifetime,
                    Servers = request.Servers is { Length: > 0 } ? request.Servers : null,
                    Agent = request.Agent,
                    Tenant = request.Tenant,
                    Kind = request.Service ? SubjectKind.Service : SubjectKind.User,
                }, Principal.From(context.User)!.Subject, ct);
                return Results.Json(new IssuedToken(record.Id, token, record.Member, record.ExpiresAt), statusCode: StatusCodes.Status201Created);
            }
            catch (ArgumentException ex)
            {
                return Problem(ex.Message);
            }
        });

        admin.MapDelete("/tokens/{id}", async (string id, IMemberTokenStore store, TimeProvider time, CancellationToken ct) =>
            await store.RevokeAsync(id, time.GetUtcNow(), ct)
                ? Results.NoContent()
                : Results.Json(new { error = $"no token with id '{id}'" }, statusCode: StatusCodes.Status404NotFound));
    }

    private static IResult Problem(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status400BadRequest);

    private static TokenView View(MemberToken t, DateTimeOffset now) => new(
        t.Id, t.Member, t.Kind.ToString().ToLowerInvariant(), [.. t.Roles], t.Servers?.ToArray(), t.Agent, t.Tenant, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.CreatedBy,
        t.RevokedAt is not null ? "revoked" : now >= t.ExpiresAt ? "expired" : "active");
}
