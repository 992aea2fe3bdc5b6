using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary>
/// <c>portcullis kill server|tool|member ID [--reason TEXT]</c> cuts off a server, a tool or a member at once (new calls
/// refused, calls under way cancelled, the member's sessions closed); <c>--undo</c> restores; <c>kill list</c> shows
/// what is switched off.
/// </summary>
internal static class KillCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var undo = new Option<bool>("--undo") { Description = "Switch back on.", Recursive = true };
        var reason = new Option<string?>("--reason") { Description = "Why (shown to agents and in the list).", Recursive = true };
        var kill = new Command("kill", "Switch a server, tool or member off (or back on with --undo).") { url, token, undo, reason };

        foreach (var (target, help) in new[] { ("server", "a server id"), ("tool", "a namespaced tool, e.g. tickets__delete_ticket"), ("member", "a member (principal subject)") })
        {
            var id = new Argument<string>("id") { Description = help };
            var command = new Command(target, $"Switch {help} off.") { id };
            command.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                var value = parse.GetValue(id)!;
                if (parse.GetValue(undo))
                {
                    using var released = await http.DeleteAsync($"admin/api/kill/{target}/{Uri.EscapeDataString(value)}", ct);
                    await TokenCommand.EnsureSuccessAsync(released, ct);
                    Console.WriteLine($"{target} '{value}' is switched back on.");
                    return;
                }

                using var engaged = await http.PostAsJsonAsync("admin/api/kill", new { target, id = value, reason = parse.GetValue(reason) }, TokenCommand.Json, ct);
                await TokenCommand.EnsureSuccessAsync(engaged, ct);
                Console.WriteLine($"{target} '{value}' is switched off: new calls are refused and calls under way were cancelled. Undo with: portcullis kill --undo {target} {value}");
            }));
            kill.Subcommands.Add(command);
        }

        var list = new Command("list", "Show what is switched off.");
        list.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            using var response = await http.GetAsync("admin/api/kill", ct);
            var body = await TokenCommand.EnsureSuccessAsync(response, ct);
            foreach (var item in body.EnumerateArray())
            {
                Console.WriteLine($"{item.GetProperty("target").GetString(),-7} {item.GetProperty("id").GetString()}  since {item.GetProperty("engagedAt").GetDateTimeOffset():u} by {item.GetProperty("engagedBy").GetString()}  {(item.GetProperty("reason").ValueKind == JsonValueKind.String ? item.GetProperty("reason").GetString() : "")}");
            }
        }));
        kill.Subcommands.Add(list);
        return kill;
    }
}
