using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Audit;
using Portcullis.Configuration;
using Portcullis.Identity;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/audit</c>: query, verify and export the chain; and the filter that records every admin change in it.</summary>
internal static class AuditApi
{
    private static readonly JsonSerializerOptions Lines = new(JsonSerializerDefaults.Web);

    public static void MapAuditApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", async (HttpContext context, IAuditStore store, CancellationToken ct) =>
        {
            if (ParseQuery(context.Request.Query) is not { } query)
            {
                return Results.Json(new { error = "since must be a duration such as 1h or 30m, or an ISO 8601 time; limit and after must be numbers" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var records = await store.QueryAsync(query, ct);
            return Results.Json(new { records, next = records.Count == query.Limit && !query.Newest ? records[^1].Seq : (long?)null });
        });

        // POST carries checkpoints kept elsewhere (exported earlier), so a truncation of the store is caught too.
        admin.MapMethods("/audit/verify", ["GET", "POST"], async (HttpContext context, IAuditStore store, AuditSigner signer, CancellationToken ct) =>
        {
            var records = new List<AuditRecord>();
            await foreach (var record in store.ReadAllAsync(ct))
            {
                records.Add(record);
            }

            var checkpoints = (await store.ListCheckpointsAsync(ct)).ToList();
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasJsonContentType())
            {
                checkpoints.AddRange(await context.Request.ReadFromJsonAsync<Checkpoint[]>(Lines, ct) ?? []);
            }

            var (anchor, anchorProblem) = AuditChain.AnchorOf(records, checkpoints, signer.PublicKeyPem);
            var firstBreak = anchorProblem ?? AuditChain.FirstBreak(records, anchor) ?? AuditChain.FirstCheckpointBreak(records, checkpoints, signer.PublicKeyPem);
            return Results.Json(new { ok = firstBreak is null, records = records.Count, checkpoints = checkpoints.Count, lastHash = records.Count == 0 ? AuditChain.Genesis : records[^1].Hash, firstBreak });
        });

        admin.MapGet("/audit/checkpoints", async (IAuditStore store, AuditSigner signer, CancellationToken ct) =>
            Results.Json(new { keyId = signer.KeyId, publicKey = signer.PublicKeyPem, checkpoints = await store.ListCheckpointsAsync(ct) }));

        admin.MapGet("/audit/export", async (HttpContext context, IAuditStore store, CancellationToken ct) =>
        {
            var ocsf = context.Request.Query["format"] == "ocsf";
            context.Response.ContentType = "application/x-ndjson";
            await foreach (var record in store.ReadAllAsync(ct))
            {
                await context.Response.WriteAsync((ocsf ? JsonSerializer.Serialize(OcsfEvent.From(record), Lines) : JsonSerializer.Serialize(record, Lines)) + "\n", ct);
            }
        });
    }

    /// <summary>Records every admin request that changes something (and whether it succeeded) in the chain; fails closed.</summary>
    public static async ValueTask<object?> RecordChanges(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (HttpMethods.IsGet(context.Request.Method) || context.Request.Path.StartsWithSegments("/admin/api/audit"))
        {
            return await next(invocation);
        }

        var result = await next(invocation);
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : context.Response.StatusCode;
        var action = $"{context.Request.Method.ToLowerInvariant()} {context.GetEndpoint()?.DisplayName?.Split(' ').LastOrDefault() ?? context.Request.Path}";
        try
        {
            await context.RequestServices.GetRequiredService<AuditLog>().AppendAsync(
                AuditRecords.FromAdmin(action, context.Request.Path, Principal.From(context.User), status < 400 ? "success" : "refused", $"HTTP {status}"),
                context.RequestAborted);
        }
        catch (AuditUnavailableException ex)
        {
            return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return result;
    }

    private static AuditQuery? ParseQuery(IQueryCollection query)
    {
        DateTimeOffset? since = null;
        if (query["since"].ToString() is { Length: > 0 } text)
        {
            if (DurationParser.TryParse(text, out var ago))
            {
                since = DateTimeOffset.UtcNow - ago;
            }
            else if (DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
            {
                since = at;
            }
            else
            {
                return null;
            }
        }

        var limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText && !int.TryParse(limitText, System.Globalization.CultureInfo.InvariantCulture, out limit))
        {
            return null;
        }

        long? after = null;
        if (query["after"].ToString() is { Length: > 0 } afterText)
        {
            if (!long.TryParse(afterText, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }

            after = parsed;
        }

        return new AuditQuery
        {
            Subject = query["member"].ToString() is { Length: > 0 } m ? m : null,
            Target = query["tool"].ToString() is { Length: > 0 } t ? t : null,
            Outcome = query["outcome"].ToString() is { Length: > 0 } o ? o : null,
            Kind = query["kind"].ToString() is { Length: > 0 } k ? k : null,
            Since = since,
            AfterSeq = after,
            Limit = limit,
            Newest = query["tail"].ToString() is "true" or "1",
        };
    }
}
