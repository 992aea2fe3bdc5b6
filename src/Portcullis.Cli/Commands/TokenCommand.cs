using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Cli.Commands;

/// <summary>
/// <c>portcullis token issue|list|revoke</c>. Talks to a running gateway's admin API (<c>--url</c> /
/// <c>PORTCULLIS_URL</c>, admin token in <c>PORTCULLIS_TOKEN</c>), or with <c>--config</c> works on the local store
/// directly: that is how the first admin token is issued when none was printed or it was lost.
/// </summary>
internal static class TokenCommand
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var url = new Option<string?>("--url") { Description = "Gateway URL (default: $PORTCULLIS_URL)." };
        var token = new Option<string?>("--token") { Description = "Admin token (default: $PORTCULLIS_TOKEN). Prefer the variable: arguments show up in process lists." };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Work on the local store of this configuration instead of a running gateway." };

        var member = new Option<string>("--member") { Description = "The person or workflow the token is for.", Required = true };
        var roles = new Option<string[]>("--roles") { Description = "Roles, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 30m, 8h, 7d.", DefaultValueFactory = _ => "8h" };
        var servers = new Option<string[]>("--servers") { Description = "Limit the token to these servers, comma-separated.", AllowMultipleArgumentsPerToken = true };
        var agent = new Option<string?>("--agent") { Description = "The agent the token is for." };
        var tenant = new Option<string?>("--tenant") { Description = "The member's tenant." };
        var service = new Option<bool>("--service") { Description = "The member is a workflow, not a person." };
        var issue = new Command("issue", "Issue a member token; it is printed once and stored only as a hash.") { member, roles, ttl, servers, agent, tenant, service, url, token, config };
        issue.SetAction(async (parse, ct) =>
        {
            var request = new
            {
                member = parse.GetValue(member)!,
                roles = Split(parse.GetValue(roles)),
                ttl = parse.GetValue(ttl),
                servers = Split(parse.GetValue(servers)),
                agent = parse.GetValue(agent),
                tenant = parse.GetValue(tenant),
                service = parse.GetValue(service),
            };
            return await RunAsync(parse, url, token, config, async local =>
            {
                if (!DurationParser.TryParse(request.ttl!, out var lifetime))
                {
                    throw new CliException("--ttl must be a duration such as 30m, 8h or 7d");
                }

                var (issued, record) = await local.IssueAsync(new MemberTokenRequest
                {
                    Member = request.member,
                    Roles = request.roles,
                    Lifetime = lifetime,
                    Servers = request.servers.Length > 0 ? request.servers : null,
                    Agent = request.agent,
                    Tenant = request.tenant,
                    Kind = request.service ? SubjectKind.Service : SubjectKind.User,
                }, "cli:" + Environment.UserName, ct);
                PrintIssued(record.Id, issued, record.Member, record.ExpiresAt);
            }, async http =>
            {
                using var response = await http.PostAsJsonAsync("admin/api/tokens", request, Json, ct);
                var body = await EnsureSuccessAsync(response, ct);
                PrintIssued(body.GetProperty("id").GetString()!, body.GetProperty("token").GetString()!, body.GetProperty("member").GetString()!, body.GetProperty("expiresAt").GetDateTimeOffset());
            });
        });

        var list = new Command("list", "List tokens (never their secrets).") { url, token, config };
        list.SetAction(async (parse, ct) => await RunAsync(parse, url, token, config, async local =>
        {
            var now = DateTimeOffset.UtcNow;
            PrintTable((await local.Store.ListAsync(ct)).Select(t => new[]
            {
                t.Id, t.Member, string.Join(',', t.Roles), t.Servers is null ? "*" : string.Join(',', t.Servers), t.Agent ?? "", t.ExpiresAt.ToString("u"),
                t.RevokedAt is not null ? "revoked" : now >= t.ExpiresAt ? "expired" : "active",
            }));
        }, async http =>
        {
            using var response = await http.GetAsync("admin/api/tokens", ct);
            var body = await EnsureSuccessAsync(response, ct);
            PrintTable(body.EnumerateArray().Select(t => new[]
            {
                t.GetProperty("id").GetString()!, t.GetProperty("member").GetString()!, string.Join(',', t.GetProperty("roles").EnumerateArray().Select(r => r.GetString())),
                t.GetProperty("servers").ValueKind == JsonValueKind.Array ? string.Join(',', t.GetProperty("servers").EnumerateArray().Select(r => r.GetString())) : "*",
                t.GetProperty("agent").GetString() ?? "", t.GetProperty("expiresAt").GetDateTimeOffset().ToString("u"), t.GetProperty("status").GetString()!,
            }));
        }));

        var id = new Argument<string>("id") { Description = "The token's id (from 'token list')." };
        var revoke = new Command("revoke", "Revoke a token; it fails from the very next request, open sessions included.") { id, url, token, config };
        revoke.SetAction(async (parse, ct) => await RunAsync(parse, url, token, config, async local =>
        {
            if (!await local.Store.RevokeAsync(parse.GetValue(id)!, DateTimeOffset.UtcNow, ct))
            {
                throw new CliException($"no token with id '{parse.GetValue(id)}'");
            }

            Console.WriteLine($"Revoked {parse.GetValue(id)}.");
        }, async http =>
        {
            using var response = await http.DeleteAsync($"admin/api/tokens/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            await EnsureSuccessAsync(response, ct);
            Console.WriteLine($"Revoked {parse.GetValue(id)}.");
        }));

        return new Command("token", "Member access tokens.") { issue, list, revoke };
    }

    internal static string[] Split(string[]? values) =>
        values?.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray() ?? [];

    private static async Task<int> RunAsync(ParseResult parse, Option<string?> url, Option<string?> token, Option<FileInfo?> config, Func<LocalStore, Task> local, Func<HttpClient, Task> remote) =>
        parse.GetValue(config) is { } file
            ? await RunLocalAsync(file, async loaded =>
            {
                var store = Gateway.Hosting.Stores.OpenMemberTokens(loaded);
                await local(new LocalStore(store, new MemberTokens(store, TimeProvider.System)));
            })
            : await RunRemoteAsync(parse, url, token, remote);

    /// <summary>Runs <paramref name="local"/> on the stores of the configuration in <paramref name="file"/>, without a running gateway.</summary>
    internal static async Task<int> RunLocalAsync(FileInfo file, Func<GatewayConfig, Task> local)
    {
        try
        {
            await local(ConfigLoader.LoadFile(file.FullName));
            return 0;
        }
        catch (Exception ex) when (ex is CliException or ConfigException or Secrets.SecretUnavailableException or Storage.StoreUnavailableException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
    }

    /// <summary>Runs <paramref name="remote"/> against the admin API of the gateway named by --url / PORTCULLIS_URL, as the admin token's holder.</summary>
    internal static async Task<int> RunRemoteAsync(ParseResult parse, Option<string?> url, Option<string?> token, Func<HttpClient, Task> remote)
    {
        try
        {
            var baseUrl = parse.GetValue(url) ?? Environment.GetEnvironmentVariable("PORTCULLIS_URL")
                ?? throw new CliException("say which gateway: --url URL or PORTCULLIS_URL (or --config FILE for the local store)");
            var adminToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("PORTCULLIS_TOKEN")
                ?? throw new CliException("set PORTCULLIS_TOKEN to an admin token (the one 'portcullis serve' printed at first start, or one from 'portcullis token issue --config FILE --member NAME --roles admin')");
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            await remote(http);
            return 0;
        }
        catch (Exception ex) when (ex is CliException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
    }

    internal static async Task<JsonElement> EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            var detail = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement : default;
            var message = detail.ValueKind == JsonValueKind.Object
                ? detail.TryGetProperty("error", out var e) ? (e.ValueKind == JsonValueKind.Object ? e.GetProperty("message").GetString() : e.GetString()) : text
                : text;
            throw new CliException($"the gateway answered {(int)response.StatusCode}: {message}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void PrintIssued(string id, string token, string member, DateTimeOffset expiresAt)
    {
        Console.WriteLine($"""
            Token for {member} (id {id}, expires {expiresAt:u}). It is shown only now; store it in a secret manager:

              {token}

            Agents send it as:  Authorization: Bearer <token>
            Revoke with:        portcullis token revoke {id}
            """);
    }

    private static void PrintTable(IEnumerable<string[]> rows)
    {
        string[] header = ["ID", "MEMBER", "ROLES", "SERVERS", "AGENT", "EXPIRES", "STATUS"];
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private sealed record LocalStore(IMemberTokenStore Store, MemberTokens Tokens)
    {
        public Task<(string Token, MemberToken Record)> IssueAsync(MemberTokenRequest request, string issuedBy, CancellationToken ct) => Tokens.IssueAsync(request, issuedBy, ct);
    }
}
