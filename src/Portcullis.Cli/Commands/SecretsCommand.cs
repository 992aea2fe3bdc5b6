using System.CommandLine;
using System.Net.Http.Json;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis secrets set|rotate|list|delete</c>: the gateway's encrypted secret store (values are never printed).</summary>
internal static class SecretsCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var secrets = new Command("secrets", "Credentials the gateway injects into upstream servers; agents never see them.") { url, token };

        foreach (var (verb, help) in new[] { ("set", "Store a secret (the value is read from standard input unless --value is given)."), ("rotate", "Replace a secret's value; servers using it reconnect with the new one.") })
        {
            var name = new Argument<string>("name");
            var value = new Option<string?>("--value") { Description = "The value (prefer standard input: arguments show up in process lists)." };
            var command = new Command(verb, help) { name, value };
            command.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
            {
                var secret = parse.GetValue(value) ?? (await Console.In.ReadToEndAsync(ct)).TrimEnd('\n', '\r');
                using var response = await http.PutAsJsonAsync($"admin/api/secrets/{Uri.EscapeDataString(parse.GetValue(name)!)}", new { value = secret }, TokenCommand.Json, ct);
                var body = await TokenCommand.EnsureSuccessAsync(response, ct);
                Console.WriteLine($"{parse.GetValue(name)} stored (version {body.GetProperty("version").GetInt64()}); servers using it reconnect with the new value.");
            }));
            secrets.Subcommands.Add(command);
        }

        var list = new Command("list", "Names, versions, ages and users of the secrets (never values).");
        list.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            foreach (var secret in (await TokenCommand.EnsureSuccessAsync(await http.GetAsync("admin/api/secrets", ct), ct)).EnumerateArray())
            {
                Console.WriteLine($"{secret.GetProperty("name").GetString(),-24} v{secret.GetProperty("version").GetInt64(),-4} {secret.GetProperty("ageDays").GetDouble(),6:0.0} days{(secret.GetProperty("rotationOverdue").GetBoolean() ? "  ROTATION OVERDUE" : "")}  used by: {string.Join(", ", secret.GetProperty("usedBy").EnumerateArray().Select(s => s.GetString()))}");
            }
        }));
        secrets.Subcommands.Add(list);

        var deleteName = new Argument<string>("name");
        var delete = new Command("delete", "Delete a secret.") { deleteName };
        delete.SetAction(async (parse, ct) => await TokenCommand.RunRemoteAsync(parse, url, token, async http =>
        {
            await TokenCommand.EnsureSuccessAsync(await http.DeleteAsync($"admin/api/secrets/{Uri.EscapeDataString(parse.GetValue(deleteName)!)}", ct), ct);
            Console.WriteLine($"{parse.GetValue(deleteName)} deleted.");
        }));
        secrets.Subcommands.Add(delete);
        return secrets;
    }
}
