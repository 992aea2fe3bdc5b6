using System.CommandLine;
using System.Net.Http.Json;
using Portcullis.Configuration;
using Portcullis.Secrets;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Cli.Commands;

/// <summary>
/// <c>portcullis secrets set|rotate|list|delete</c>: the gateway's secret store (values are never printed). Through a
/// running gateway's admin API, or with <c>--config</c> on the store directly (offline, or before the first start);
/// a running gateway notices a change within seconds and reconnects the servers that use it.
/// </summary>
internal static class SecretsCommand
{
    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN).", Recursive = true };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Work on the store of this configuration directly instead of a running gateway.", Recursive = true };
        var secrets = new Command("secrets", "Credentials the gateway injects into upstream servers; agents never see them.") { url, token, config };

        foreach (var (verb, help) in new[] { ("set", "Store a secret (the value is read from standard input unless --value is given)."), ("rotate", "Replace a secret's value; servers using it reconnect with the new one.") })
        {
            var name = new Argument<string>("name");
            var value = new Option<string?>("--value") { Description = "The value (prefer standard input: arguments show up in process lists)." };
            var command = new Command(verb, help) { name, value };
            command.SetAction(async (parse, ct) =>
            {
                var secret = await ReadValueAsync(parse, value, ct);
                return await RunAsync(parse, url, token, config, async (store, _) =>
                {
                    if (secret.Length == 0)
                    {
                        throw new CliException("the value must not be empty");
                    }

                    var version = await store.SetAsync(parse.GetValue(name)!, secret, ct);
                    Console.WriteLine($"{parse.GetValue(name)} stored (version {version}); a running gateway reconnects the servers using it within seconds.");
                }, async http =>
                {
                    using var response = await http.PutAsJsonAsync($"admin/api/secrets/{Uri.EscapeDataString(parse.GetValue(name)!)}", new { value = secret }, TokenCommand.Json, ct);
                    var body = await TokenCommand.EnsureSuccessAsync(response, ct);
                    Console.WriteLine($"{parse.GetValue(name)} stored (version {body.GetProperty("version").GetInt64()}); servers using it reconnect with the new value.");
                });
            });
            secrets.Subcommands.Add(command);
        }

        var list = new Command("list", "Names, versions, ages and users of the secrets (never values).");
        list.SetAction(async (parse, ct) => await RunAsync(parse, url, token, config, async (store, loaded) =>
        {
            var now = DateTimeOffset.UtcNow;
            var used = SecretReferences.UsersOf(loaded.Servers);
            foreach (var secret in (await store.ListAsync(ct)).Where(s => !SecretReferences.IsMemberSecret(s.Name)))
            {
                Print(secret.Name, secret.Version, (now - secret.UpdatedAt).TotalDays, now - secret.UpdatedAt > loaded.Secrets.RotationWarning, used[secret.Name]);
            }
        }, async http =>
        {
            foreach (var secret in (await TokenCommand.EnsureSuccessAsync(await http.GetAsync("admin/api/secrets", ct), ct)).EnumerateArray())
            {
                Print(secret.GetProperty("name").GetString()!, secret.GetProperty("version").GetInt64(), secret.GetProperty("ageDays").GetDouble(), secret.GetProperty("rotationOverdue").GetBoolean(), secret.GetProperty("usedBy").EnumerateArray().Select(s => s.GetString()!));
            }
        }));
        secrets.Subcommands.Add(list);

        var deleteName = new Argument<string>("name");
        var delete = new Command("delete", "Delete a secret.") { deleteName };
        delete.SetAction(async (parse, ct) => await RunAsync(parse, url, token, config, async (store, _) =>
        {
            if (!await store.DeleteAsync(parse.GetValue(deleteName)!, ct))
            {
                throw new CliException($"no secret '{parse.GetValue(deleteName)}'");
            }

            Console.WriteLine($"{parse.GetValue(deleteName)} deleted.");
        }, async http =>
        {
            await TokenCommand.EnsureSuccessAsync(await http.DeleteAsync($"admin/api/secrets/{Uri.EscapeDataString(parse.GetValue(deleteName)!)}", ct), ct);
            Console.WriteLine($"{parse.GetValue(deleteName)} deleted.");
        }));
        secrets.Subcommands.Add(delete);
        return secrets;
    }

    private static void Print(string name, long version, double ageDays, bool overdue, IEnumerable<string> usedBy) =>
        Console.WriteLine($"{name,-24} v{version,-4} {ageDays,6:0.0} days{(overdue ? "  ROTATION OVERDUE" : "")}  used by: {string.Join(", ", usedBy)}");

    /// <summary>A secret's value: <c>--value</c>, else standard input without its final line break.</summary>
    internal static async Task<string> ReadValueAsync(ParseResult parse, Option<string?> value, CancellationToken ct) =>
        parse.GetValue(value) ?? (await Console.In.ReadToEndAsync(ct)).TrimEnd('\n', '\r');

    /// <summary>Runs <paramref name="local"/> on the store of --config when given, else <paramref name="remote"/> against the admin API.</summary>
    private static async Task<int> RunAsync(ParseResult parse, Option<string?> url, Option<string?> token, Option<FileInfo?> config, Func<ISecretStore, GatewayConfig, Task> local, Func<HttpClient, Task> remote) =>
        parse.GetValue(config) is { } file
            ? await TokenCommand.RunLocalAsync(file, loaded => local(Gateway.Hosting.Stores.OpenSecrets(loaded), loaded))
            : await TokenCommand.RunRemoteAsync(parse, url, token, remote);
}
