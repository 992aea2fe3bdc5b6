using System.CommandLine;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis budgets [--day YYYY-MM-DD]</c>: what each principal has spent of its daily budget (UTC).</summary>
internal static class BudgetsCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL)." };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN)." };
        var day = new Option<string?>("--day") { Description = "The UTC day, e.g. 2026-12-02 (default: today)." };
        var budgets = new Command("budgets", "Show what each principal has spent of its daily budget.") { url, token, day };
        budgets.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            var query = parse.GetValue(day) is { } d ? "?day=" + Uri.EscapeDataString(d) : "";
            using var response = await http.GetAsync("admin/api/budgets" + query, ct);
            var body = await TokenCommand.EnsureSuccessAsync(response, ct);
            var daily = body.GetProperty("daily");
            Console.WriteLine($"{body.GetProperty("day").GetString()} (UTC): {(daily.ValueKind == JsonValueKind.Number ? $"{daily.GetInt32()} units per principal" : "no daily budget configured")}");
            foreach (var item in body.GetProperty("principals").EnumerateArray())
            {
                var remaining = item.GetProperty("remaining");
                Console.WriteLine($"{item.GetProperty("subject").GetString(),-24} spent {item.GetProperty("spent").GetInt64(),8}{(remaining.ValueKind == JsonValueKind.Number ? $"  remaining {remaining.GetInt64()}" : "")}");
            }
        }));
        return budgets;
    }
}
