using System.CommandLine;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis audit tail|query|verify|export</c> against a running gateway's audit chain.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var audit = new Command("audit", "The tamper-evident record of every governed action.") { url, token };

        var count = new Option<int>("-n") { Description = "How many records.", DefaultValueFactory = _ => 20 };
        var tail = new Command("tail", "The newest records.") { count };
        tail.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            Print(await TokenCommand.EnsureSuccessAsync(await http.GetAsync($"admin/api/audit?tail=true&limit={parse.GetValue(count)}", ct), ct))));
        audit.Subcommands.Add(tail);

        var member = new Option<string?>("--member");
        var tool = new Option<string?>("--tool") { Description = "Target glob, e.g. 'tickets__*'." };
        var since = new Option<string?>("--since") { Description = "A duration (1h, 30m) or an ISO 8601 time." };
        var outcome = new Option<string?>("--outcome") { Description = "success, denied (any refusal), tool-error, limited, killed, blocked…" };
        var kind = new Option<string?>("--kind") { Description = "tools/call, tools/list, admin:*…" };
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 100 };
        var query = new Command("query", "Records matching filters, oldest first.") { member, tool, since, outcome, kind, limit };
        query.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            var filters = new Dictionary<string, string?> { ["member"] = parse.GetValue(member), ["tool"] = parse.GetValue(tool), ["since"] = parse.GetValue(since), ["outcome"] = parse.GetValue(outcome), ["kind"] = parse.GetValue(kind), ["limit"] = parse.GetValue(limit).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var text = string.Join('&', filters.Where(f => f.Value is not null).Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value!)}"));
            Print(await TokenCommand.EnsureSuccessAsync(await http.GetAsync("admin/api/audit?" + text, ct), ct));
        }));
        audit.Subcommands.Add(query);

        var kept = new Option<FileInfo?>("--checkpoints") { Description = "Checkpoints exported earlier ('audit checkpoints'), kept outside the gateway: catches a truncated chain." };
        var verify = new Command("verify", "Recompute the hash chain and check the signed checkpoints; name the first record that was edited, deleted, inserted, reordered or cut off.") { kept };
        verify.SetAction(async (parse, ct) =>
        {
            var exit = 0;
            var status = await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                using var content = parse.GetValue(kept) is { } file
                    ? new StringContent(JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName, ct)).RootElement.GetProperty("checkpoints").GetRawText(), System.Text.Encoding.UTF8, "application/json")
                    : null;
                var verdict = await TokenCommand.EnsureSuccessAsync(await http.PostAsync("admin/api/audit/verify", content, ct), ct);
                var records = verdict.GetProperty("records").GetInt32();
                if (verdict.GetProperty("ok").GetBoolean())
                {
                    Console.WriteLine($"OK: {records} records, chain intact, {verdict.GetProperty("checkpoints").GetInt32()} signed checkpoints hold, last hash {verdict.GetProperty("lastHash").GetString()}");
                }
                else
                {
                    Console.WriteLine($"BROKEN: {verdict.GetProperty("firstBreak").GetString()} ({records} records read)");
                    exit = 3;
                }
            });
            return status != 0 ? status : exit;
        });
        audit.Subcommands.Add(verify);

        var checkpoints = new Command("checkpoints", "The signed checkpoints and the public key, as JSON: keep them outside the gateway.");
        checkpoints.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            Console.WriteLine((await TokenCommand.EnsureSuccessAsync(await http.GetAsync("admin/api/audit/checkpoints", ct), ct)).GetRawText())));
        audit.Subcommands.Add(checkpoints);

        var format = new Option<string>("--format") { Description = "jsonl (the records as stored) or ocsf (OCSF API Activity events for a SIEM).", DefaultValueFactory = _ => "jsonl" };
        var export = new Command("export", "Every record as JSON Lines on standard output.") { format };
        export.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            using var response = await http.GetAsync($"admin/api/audit/export?format={Uri.EscapeDataString(parse.GetValue(format)!)}", HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                await TokenCommand.EnsureSuccessAsync(response, ct);
            }

            await using var stdout = Console.OpenStandardOutput();
            await (await response.Content.ReadAsStreamAsync(ct)).CopyToAsync(stdout, ct);
        }));
        audit.Subcommands.Add(export);
        return audit;
    }

    private static void Print(JsonElement body)
    {
        foreach (var record in body.GetProperty("records").EnumerateArray())
        {
            string? Field(string name) => record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            Console.WriteLine($"{record.GetProperty("seq").GetInt64(),6}  {record.GetProperty("time").GetDateTimeOffset():u}  {Field("kind"),-18} {Field("subject") ?? "-",-12} {Field("target") ?? "-",-28} {Field("outcome")}{(Field("reason") is { } reason ? "  " + reason : "")}");
        }
    }
}
