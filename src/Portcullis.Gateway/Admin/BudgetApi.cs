using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Configuration;
using Portcullis.Limits;

namespace Portcullis.Gateway.Admin;

/// <summary><c>/admin/api/budgets</c>: what each principal has spent of its daily budget, today (UTC) or on <c>?day=</c>.</summary>
internal static class BudgetApi
{
    public static void MapBudgetApi(this RouteGroupBuilder admin) =>
        admin.MapGet("/budgets", async (string? day, IBudgetStore budgets, GatewayConfigProvider config, TimeProvider time, CancellationToken ct) =>
        {
            var date = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            if (day is not null && !DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                return Results.Json(new { error = "day must be a date like 2026-12-02 (UTC)" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var daily = config.Current.Policy.DailyBudget;
            var spending = await budgets.ListAsync(date, ct);
            return Results.Json(new
            {
                day = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                daily,
                principals = spending.Select(s => View(s, daily)),
            });
        });

    private static object View(BudgetSpent spent, int? daily)
    {
        // Spending is kept per principal as method|issuer|subject, the key sessions are owned by.
        var parts = spent.Subject.Split('|', 3);
        return new
        {
            subject = parts.Length == 3 ? parts[2] : spent.Subject,
            method = parts.Length == 3 ? parts[0] : null,
            issuer = parts.Length == 3 && parts[1].Length > 0 ? parts[1] : null,
            spent = spent.Spent,
            remaining = daily is { } d ? Math.Max(0, d - spent.Spent) : (long?)null,
        };
    }
}
