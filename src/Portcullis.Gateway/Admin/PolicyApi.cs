using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Policy;

namespace Portcullis.Gateway.Admin;

/// <summary><c>POST /admin/api/policy/evaluate</c>: what the policy in force would decide, and why (a dry run: nothing is called).</summary>
internal static class PolicyApi
{
    public sealed record EvaluateRequest(string Tool, string? Member, string[]? Roles, string? Tenant, JsonElement? Args, string? VirtualServer, string? Agent);

    public sealed record EvaluateResponse(string Effect, string? Rule, string PolicyVersion, string Risk, string Reason, string Subject, string[] Roles);

    public static void MapPolicyApi(this RouteGroupBuilder admin) =>
        admin.MapPost("/policy/evaluate", async (EvaluateRequest request, GatewayConfigProvider config, IMemberTokenStore tokens, TimeProvider time, Upstreams.UpstreamPool pool, CancellationToken ct) =>
        {
            var separator = request.Tool.IndexOf("__", StringComparison.Ordinal);
            if (separator <= 0 || config.Current.FindServer(request.Tool[..separator]) is not { } server)
            {
                return Results.Json(new { error = $"'{request.Tool}' is not server__tool for a declared server" }, statusCode: StatusCodes.Status400BadRequest);
            }

            if (request.Args is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) })
            {
                return Results.Json(new { error = "args must be a JSON object" }, statusCode: StatusCodes.Status400BadRequest);
            }

            // Without explicit roles, a member is evaluated with the roles of their active tokens.
            var roles = request.Roles;
            if (roles is null && request.Member is { } member)
            {
                var now = time.GetUtcNow();
                roles = [.. (await tokens.ListAsync(ct)).Where(t => t.Member == member && t.RevokedAt is null && t.ExpiresAt > now).SelectMany(t => t.Roles).Distinct()];
            }

            var principal = new Principal { Subject = request.Member ?? "(dry run)", Roles = roles ?? [], Tenant = request.Tenant, Agent = request.Agent, Method = AuthenticationMethod.MemberToken, Issuer = MemberTokens.Issuer };
            var name = request.Tool[(separator + 2)..];
            var decision = config.Policy.Decide(new PolicyRequest
            {
                Principal = principal,
                ServerId = server.Id,
                Name = name,
                VirtualServer = request.VirtualServer,
                Environment = server.Environment,
                Arguments = request.Args is { ValueKind: JsonValueKind.Object } args ? args.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()) : new Dictionary<string, JsonElement>(),
                Annotations = pool.Find(server.Id)?.Catalog.FindTool(name)?.Annotations,
                Now = time.GetUtcNow(),
            });
            return Results.Json(new EvaluateResponse(decision.Effect.ToString().ToLowerInvariant(), decision.RuleId, decision.PolicyVersion, decision.Risk.ToString().ToLowerInvariant(), decision.Reason, principal.Subject, [.. principal.Roles]));
        });
}
