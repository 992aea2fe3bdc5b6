using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis servers list|show|diff|approve|suspend|decommission</c>: review and control the registry of a running gateway.</summary>
internal static class ServersCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var servers = new Command("servers", "The registry of approved servers.") { url, token };

        var list = new Command("list", "Servers, their state and what is held for review.");
        list.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            using var response = await http.GetAsync("admin/api/servers", ct);
            foreach (var server in (await TokenCommand.EnsureSuccessAsync(response, ct)).EnumerateArray())
            {
                var held = server.GetProperty("heldForReview").EnumerateObject().Select(p => p.Name).ToArray();
                Console.WriteLine($"{server.GetProperty("id").GetString(),-20} {server.GetProperty("state").GetString(),-14} {server.GetProperty("connection").GetString(),-10} {server.GetProperty("tools").GetInt32(),3} tools{(held.Length > 0 ? "  held for review: " + string.Join(", ", held) : "")}");
            }
        }));
        servers.Subcommands.Add(list);

        var showId = new Argument<string>("id");
        var show = new Command("show", "One server: approval, tools, findings.") { showId };
        show.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            using var response = await http.GetAsync($"admin/api/servers/{Uri.EscapeDataString(parse.GetValue(showId)!)}", ct);
            Console.WriteLine(JsonSerializer.Serialize(await TokenCommand.EnsureSuccessAsync(response, ct), new JsonSerializerOptions { WriteIndented = true }));
        }));
        servers.Subcommands.Add(show);

        var diffId = new Argument<string>("id");
        var diff = new Command("diff", "What changed since the server was approved.") { diffId };
        diff.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            using var response = await http.GetAsync($"admin/api/servers/{Uri.EscapeDataString(parse.GetValue(diffId)!)}/diff", ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException($"the gateway answered {(int)response.StatusCode}: {text}");
            }

            Console.Write(text.EndsWith('\n') ? text : text + "\n");
        }));
        servers.Subcommands.Add(diff);

        var approveId = new Argument<string>("id");
        var justification = new Option<string?>("--justification") { Description = "Why to approve despite critical findings (recorded)." };
        var approve = new Command("approve", "Approve the server as it is now (re-pins its tools); the approver and the diff are recorded.") { approveId, justification };
        approve.SetAction(async (parse, ct) =>
        {
            var exit = 0;
            var status = await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                using var response = await http.PostAsJsonAsync($"admin/api/servers/{Uri.EscapeDataString(parse.GetValue(approveId)!)}/approve", new { justification = parse.GetValue(justification) }, TokenCommand.Json, ct);
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
                if (body.TryGetProperty("error", out var error))
                {
                    throw new CliException(error.GetString()!);
                }

                Console.WriteLine(body.GetProperty("message").GetString());
                foreach (var finding in body.GetProperty("findings").EnumerateArray())
                {
                    Console.WriteLine($"  {finding.GetProperty("severity").GetString()!.ToUpperInvariant(),-8} {finding.GetProperty("rule").GetString()} at {finding.GetProperty("location").GetString()}: {finding.GetProperty("reason").GetString()}");
                }

                exit = body.GetProperty("approved").GetBoolean() ? 0 : 3;
            });
            return status != 0 ? status : exit;
        });
        servers.Subcommands.Add(approve);

        foreach (var (verb, help) in new[] { ("suspend", "Withdraw the server until it is approved again."), ("decommission", "Retire the server: closes its sessions and lists the credentials to rotate.") })
        {
            var id = new Argument<string>("id");
            var command = new Command(verb, help) { id };
            command.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                using var response = await http.PostAsync($"admin/api/servers/{Uri.EscapeDataString(parse.GetValue(id)!)}/{verb}", null, ct);
                var body = await TokenCommand.EnsureSuccessAsync(response, ct);
                Console.WriteLine($"{body.GetProperty("id").GetString()} is now {body.GetProperty("state").GetString()}.");
                var rotate = body.GetProperty("rotateCredentials").EnumerateArray().Select(e => e.GetString()).ToArray();
                if (rotate.Length > 0)
                {
                    Console.WriteLine("Rotate the credentials it was given: " + string.Join(", ", rotate));
                }
            }));
            servers.Subcommands.Add(command);
        }

        return servers;
    }
}
