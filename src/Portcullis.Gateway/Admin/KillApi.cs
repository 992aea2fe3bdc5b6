using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Identity;
using Portcullis.Limits;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/kill</c>: engage, list and release kill switches for servers, tools and members.</summary>
internal static class KillApi
{
    public sealed record EngageRequest(string Target, string Id, string? Reason);

    public static void MapKillApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/kill", (KillSwitches kills) => Results.Json(kills.Engaged.Select(View)));

        admin.MapPost("/kill", async (EngageRequest request, KillSwitches kills, HttpContext context, CancellationToken ct) =>
        {
            if (!Enum.TryParse<KillTarget>(request.Target, ignoreCase: true, out var target) || string.IsNullOrWhiteSpace(request.Id))
            {
                return Results.Json(new { error = "target must be server, tool or member, and id must be given" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var kill = await kills.EngageAsync(target, request.Id, Principal.From(context.User)!.Subject, request.Reason, ct);
            return Results.Json(View(kill), statusCode: StatusCodes.Status201Created);
        });

        admin.MapDelete("/kill/{target}/{id}", async (string target, string id, KillSwitches kills, CancellationToken ct) =>
            Enum.TryParse<KillTarget>(target, ignoreCase: true, out var parsed) && await kills.ReleaseAsync(parsed, id, ct)
                ? Results.NoContent()
                : Results.Json(new { error = $"no kill switch engaged for {target} '{id}'" }, statusCode: StatusCodes.Status404NotFound));
    }

    private static object View(KillSwitch kill) => new { target = kill.Target.ToString().ToLowerInvariant(), id = kill.Id, engagedAt = kill.EngagedAt, engagedBy = kill.EngagedBy, reason = kill.Reason };
}
