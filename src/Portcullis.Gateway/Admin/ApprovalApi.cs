using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Approvals;
using Portcullis.Configuration;
using Portcullis.Gateway.Identity;
using Portcullis.Identity;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/approvals</c>: held calls, and approving or denying them (approver roles; never the requester).</summary>
internal static class ApprovalApi
{
    public sealed record DecisionRequest(string? Reason);

    public static void MapApprovalApi(this IEndpointRouteBuilder endpoints)
    {
        var approvals = endpoints.MapGroup("/admin/api/approvals").AddEndpointFilter(RequireApprover).AddEndpointFilter(AuditApi.RecordChanges);

        approvals.MapGet("/", async (string? status, IApprovalStore store, CancellationToken ct) =>
            Enum.TryParse<ApprovalStatus>(status ?? "", ignoreCase: true, out var parsed) || status is null
                ? Results.Json(await store.ListAsync(status is null ? null : parsed, ct))
                : Results.Json(new { error = "status must be pending, approved, denied, expired or used" }, statusCode: StatusCodes.Status400BadRequest));

        approvals.MapGet("/{id}", async (string id, IApprovalStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is { } request ? Results.Json(request) : Results.Json(new { error = $"no approval request '{id}'" }, statusCode: StatusCodes.Status404NotFound));

        approvals.MapPost("/{id}/approve", (string id, DecisionRequest? body, ApprovalService service, HttpContext context, CancellationToken ct) => DecideAsync(id, true, body, service, context, ct));
        approvals.MapPost("/{id}/deny", (string id, DecisionRequest? body, ApprovalService service, HttpContext context, CancellationToken ct) => DecideAsync(id, false, body, service, context, ct));
    }

    private static async Task<IResult> DecideAsync(string id, bool approve, DecisionRequest? body, ApprovalService service, HttpContext context, CancellationToken ct)
    {
        var (request, refusal) = await service.DecideAsync(id, Principal.From(context.User)!, approve, body?.Reason, ct);
        return refusal is null
            ? Results.Json(request)
            : Results.Json(new { error = refusal }, statusCode: request is null ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict);
    }

    private static async ValueTask<object?> RequireApprover(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var principal = Principal.From(context.User);
        if (principal is null || principal.Method == AuthenticationMethod.Anonymous)
        {
            await context.ChallengeAsync(PortcullisAuthenticationHandler.SchemeName);
            return Results.Empty;
        }

        var roles = context.RequestServices.GetRequiredService<GatewayConfigProvider>().Current.Approvals.ApproverRoles;
        if (!roles.Any(principal.IsInRole))
        {
            await context.ForbidAsync(PortcullisAuthenticationHandler.SchemeName, new AuthenticationProperties(new Dictionary<string, string?> { ["reason"] = $"approvals need one of the roles {string.Join(", ", roles)}; '{principal.Subject}' has none of them." }));
            return Results.Empty;
        }

        return await next(invocation);
    }
}
