using System.CommandLine;
using System.Net.Http.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis credentials set|list|delete</c>: a member's own upstream credentials, used only for their calls.</summary>
internal static class CredentialsCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Your member token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var credentials = new Command("credentials", "Your own credentials for servers that act as you (a personal API token, say); only your calls use them.") { url, token };

        var name = new Argument<string>("name");
        var value = new Option<string?>("--value") { Description = "The value (prefer standard input: arguments show up in process lists)." };
        var set = new Command("set", "Store or replace one of your credentials (the value is read from standard input unless --value is given).") { name, value };
        set.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            var secret = await SecretsCommand.ReadValueAsync(parse, value, ct);
            using var response = await http.PutAsJsonAsync($"me/credentials/{Uri.EscapeDataString(parse.GetValue(name)!)}", new { value = secret }, TokenCommand.Json, ct);
            var body = await TokenCommand.EnsureSuccessAsync(response, ct);
            Console.WriteLine($"{parse.GetValue(name)} stored (version {body.GetProperty("version").GetInt64()}); your next call uses it.");
        }));
        credentials.Subcommands.Add(set);

        var list = new Command("list", "The credentials the gateway's servers ask for, and which of them you have stored (never values).");
        list.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            foreach (var credential in (await TokenCommand.EnsureSuccessAsync(await http.GetAsync("me/credentials", ct), ct)).EnumerateArray())
            {
                var stored = credential.GetProperty("stored").GetBoolean() ? $"stored v{credential.GetProperty("version").GetInt64()}" : "NOT STORED";
                Console.WriteLine($"{credential.GetProperty("name").GetString(),-24} {stored,-12} for: {string.Join(", ", credential.GetProperty("servers").EnumerateArray().Select(s => s.GetString()))}");
            }
        }));
        credentials.Subcommands.Add(list);

        var deleteName = new Argument<string>("name");
        var delete = new Command("delete", "Delete one of your credentials; the servers that need it refuse your calls until you store it again.") { deleteName };
        delete.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            await TokenCommand.EnsureSuccessAsync(await http.DeleteAsync($"me/credentials/{Uri.EscapeDataString(parse.GetValue(deleteName)!)}", ct), ct);
            Console.WriteLine($"{parse.GetValue(deleteName)} deleted.");
        }));
        credentials.Subcommands.Add(delete);
        return credentials;
    }
}
