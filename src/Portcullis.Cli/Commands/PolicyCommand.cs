using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis policy check</c>: the decision the gateway's policy makes for a call, and the rule behind it.</summary>
internal static class PolicyCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL)." };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN)." };
        var member = new Option<string?>("--member") { Description = "Evaluate as this member (with the roles of their active tokens unless --roles is given)." };
        var roles = new Option<string[]>("--roles") { Description = "Evaluate with these roles, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var tenant = new Option<string?>("--tenant") { Description = "The principal's tenant." };
        var tool = new Option<string>("--tool") { Description = "Namespaced tool, e.g. tickets__create_ticket.", Required = true };
        var args = new Option<string?>("--args") { Description = "The call's arguments as a JSON object." };
        var virtualServer = new Option<string?>("--virtual-server") { Description = "Evaluate as if called through this virtual server." };

        var check = new Command("check", "Explain what the policy would decide for a call (nothing is called).") { member, roles, tenant, tool, args, virtualServer, url, token };
        check.SetAction(async (parse, ct) =>
        {
            JsonElement? arguments = null;
            if (parse.GetValue(args) is { } text)
            {
                try
                {
                    arguments = JsonDocument.Parse(text).RootElement;
                }
                catch (JsonException ex)
                {
                    await Console.Error.WriteLineAsync("error: --args is not valid JSON: " + ex.Message);
                    return 1;
                }
            }

            var rolesGiven = TokenCommand.Split(parse.GetValue(roles));
            var request = new { tool = parse.GetValue(tool), member = parse.GetValue(member), roles = rolesGiven.Length > 0 ? rolesGiven : null, tenant = parse.GetValue(tenant), args = arguments, virtualServer = parse.GetValue(virtualServer) };
            var exit = 0;
            var status = await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                using var response = await http.PostAsJsonAsync("admin/api/policy/evaluate", request, TokenCommand.Json, ct);
                var decision = await TokenCommand.EnsureSuccessAsync(response, ct);
                var effect = decision.GetProperty("effect").GetString()!;
                Console.WriteLine($"{effect.ToUpperInvariant()}  {request.tool} for {decision.GetProperty("subject").GetString()} (roles: {string.Join(", ", decision.GetProperty("roles").EnumerateArray().Select(r => r.GetString()))})");
                Console.WriteLine($"  rule:    {decision.GetProperty("rule").GetString() ?? "(none)"}");
                Console.WriteLine($"  policy:  {decision.GetProperty("policyVersion").GetString()}");
                Console.WriteLine($"  risk:    {decision.GetProperty("risk").GetString()}");
                Console.WriteLine($"  why:     {decision.GetProperty("reason").GetString()}");
                exit = effect == "allow" ? 0 : 3;
            });
            return status != 0 ? status : exit;
        });

        return new Command("policy", "Inspect the policy in force.") { check };
    }
}
