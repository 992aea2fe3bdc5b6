using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.McpHttp;
using Portcullis.Registry;
using Portcullis.Routing;
using Portcullis.Sessions;
using Portcullis.Upstreams;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/servers</c>: the registry — states, held-back tools and findings, diffs, approval, suspension, decommissioning.</summary>
internal static class ServerApi
{
    public sealed record ApproveRequest(string? Justification);

    public sealed record SubmitRequest(string Id, string? Transport, string? Url, string? Command, string[]? Args, Dictionary<string, string>? Env, Dictionary<string, string>? Headers, string? Description, string? Environment, string? Owner, string? RiskNotes);

    public static void MapServerApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/servers", (UpstreamPool pool, ServerRegistry registry) => Results.Json(pool.All.Select(c => View(c, registry))));


        admin.MapPost("/servers", async (SubmitRequest request, SubmittedServers submitted, HttpContext context, CancellationToken ct) =>
        {
            if (!Enum.TryParse<ServerTransport>(request.Transport ?? "http", ignoreCase: true, out var transport))
            {
                return Results.Json(new { error = "transport must be http or sse" }, statusCode: StatusCodes.Status400BadRequest);
            }

            if (transport == ServerTransport.Stdio)
            {
                // A stdio server is a process on the gateway's host: it is declared in the configuration, reviewed with it.
                return Results.Json(new { error = "stdio servers run on the gateway's host and can only be declared in the configuration file; submit remote (http or sse) servers here" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var server = new ServerConfig
            {
                Id = request.Id,
                Transport = transport,
                Url = request.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null,
                Command = request.Command,
                Args = request.Args ?? [],
                Env = request.Env ?? [],
                Headers = request.Headers ?? [],
                Description = request.Description,
                Environment = request.Environment,
                Owner = request.Owner,
                RiskNotes = request.RiskNotes,
            };
            var errors = await submitted.SubmitAsync(server, Principal.From(context.User)!.Subject, ct);
            return errors.Count > 0
                ? Results.Json(new { error = "the server definition is invalid", errors = errors.Select(e => $"{e.Key}: {e.Message}") }, statusCode: StatusCodes.Status400BadRequest)
                : Results.Json(new { id = server.Id, state = "proposed", message = $"submitted; it is reachable once approved: portcullis servers approve {server.Id}" }, statusCode: StatusCodes.Status201Created);
        });

        admin.MapGet("/servers/{id}", (string id, UpstreamPool pool, ServerRegistry registry) =>
            pool.Find(id) is { } connector
                ? Results.Json(new { server = View(connector, registry), tools = connector.Catalog.Tools.Select(t => new { name = t.Name, exposed = registry.View(connector).Exposes(t.Name) }) })
                : NotFound(id));

        admin.MapGet("/servers/{id}/diff", (string id, UpstreamPool pool, ServerRegistry registry) =>
            pool.Find(id) is null ? NotFound(id) : Results.Text(registry.Diff(id)));

        admin.MapPost("/servers/{id}/approve", async (string id, ApproveRequest? request, ServerRegistry registry, HttpContext context, CancellationToken ct) =>
        {
            try
            {
                var (approved, findings, diff) = await registry.ApproveAsync(id, Principal.From(context.User)!.Subject, request?.Justification, ct);
                return Results.Json(new
                {
                    approved,
                    diff,
                    findings = findings.Select(f => new { rule = f.Rule, severity = f.Severity.ToString().ToLowerInvariant(), location = f.Location, reason = f.Reason }),
                    message = approved ? "approved and re-pinned" : "critical findings block approval; review them and approve with a justification to override",
                }, statusCode: approved ? StatusCodes.Status200OK : StatusCodes.Status409Conflict);
            }
            catch (InvalidOperationException ex)
            {
                return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status409Conflict);
            }
        });

        admin.MapPost("/servers/{id}/suspend", async (string id, ServerRegistry registry, GatewayConfigProvider config, HttpContext context, CancellationToken ct) =>
        {
            if (config.Current.FindServer(id) is null)
            {
                return NotFound(id);
            }

            await registry.SetStateAsync(id, ServerState.Suspended, Principal.From(context.User)!.Subject, ct);
            return Results.Json(new { id, state = "suspended", rotateCredentials = Array.Empty<string>() });
        });

        admin.MapPost("/servers/{id}/decommission", async (string id, ServerRegistry registry, GatewayConfigProvider config, SessionHub hub, McpHttpSessions sessions, HttpContext context, CancellationToken ct) =>
        {
            if (config.Current.FindServer(id) is not { } server)
            {
                return NotFound(id);
            }

            await registry.SetStateAsync(id, ServerState.Decommissioned, Principal.From(context.User)!.Subject, ct);
            foreach (var session in hub.SessionsSeeing(id).Where(s => s.View is EndpointView.Server).ToList())
            {
                await sessions.CloseAsync(session.Id);
            }

            // Whatever the server was given may have leaked with it: name it so it gets rotated.
            return Results.Json(new { id, state = "decommissioned", rotateCredentials = server.Env.Keys.Concat(server.Headers.Keys).ToArray() });
        });
    }

    private static object View(UpstreamConnector connector, ServerRegistry registry)
    {
        var record = registry.RecordOf(connector.Id);
        var view = registry.View(connector);
        return new
        {
            id = connector.Id,
            description = connector.Config.Description,
            owner = connector.Config.Owner,
            environment = connector.Config.Environment,
            riskNotes = connector.Config.RiskNotes,
            state = record.State.ToString().ToLowerInvariant(),
            approvedBy = record.ApprovedBy,
            approvedAt = record.ApprovedAt,
            justification = record.Justification,
            connection = connector.State.ToString().ToLowerInvariant(),
            tools = connector.Catalog.Tools.Count,
            heldForReview = view.Quarantined,
            findings = view.Findings.Select(f => new { rule = f.Rule, severity = f.Severity.ToString().ToLowerInvariant(), location = f.Location, reason = f.Reason }),
        };
    }

    private static IResult NotFound(string id) => Results.Json(new { error = $"no server '{id}' is configured" }, statusCode: StatusCodes.Status404NotFound);
}
