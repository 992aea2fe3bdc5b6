using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis approvals list|approve|deny</c>: decide held calls (approver role; never your own).</summary>
internal static class ApprovalsCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Your token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var approvals = new Command("approvals", "Calls held for human approval.") { url, token };

        var all = new Option<bool>("--all") { Description = "Also decided and expired requests." };
        var list = new Command("list", "Pending requests (what, who, which arguments).") { all };
        list.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            var body = await TokenCommand.EnsureSuccessAsync(await http.GetAsync(parse.GetValue(all) ? "admin/api/approvals/" : "admin/api/approvals/?status=pending", ct), ct);
            foreach (var request in body.EnumerateArray())
            {
                Console.WriteLine($"{request.GetProperty("id").GetString()}  {request.GetProperty("status").GetString()!.ToLowerInvariant(),-8}  {request.GetProperty("requester").GetString()} → {request.GetProperty("tool").GetString()}  {request.GetProperty("arguments").GetString()}  ({request.GetProperty("approvals").GetArrayLength()}/{request.GetProperty("requiredApprovals").GetInt32()} approvals; {request.GetProperty("reason").GetString()})");
            }
        }));
        approvals.Subcommands.Add(list);

        foreach (var verb in new[] { "approve", "deny" })
        {
            var id = new Argument<string>("id");
            var reason = new Option<string?>("--reason") { Description = "Why (shown to the requester on a denial, and audited)." };
            var command = new Command(verb, verb == "approve" ? "Approve a held call (it runs once, with exactly its arguments)." : "Deny a held call.") { id, reason };
            command.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                using var response = await http.PostAsJsonAsync($"admin/api/approvals/{Uri.EscapeDataString(parse.GetValue(id)!)}/{verb}", new { reason = parse.GetValue(reason) }, TokenCommand.Json, ct);
                var body = await TokenCommand.EnsureSuccessAsync(response, ct);
                var status = body.GetProperty("status").GetString() switch { "Pending" => "pending (another approval is needed)", var other => other!.ToLowerInvariant() };
                Console.WriteLine($"{parse.GetValue(id)} is now {status}.");
            }));
            approvals.Subcommands.Add(command);
        }

        return approvals;
    }
}
