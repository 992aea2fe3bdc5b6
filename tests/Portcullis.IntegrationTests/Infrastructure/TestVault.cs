using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>
/// Vault is not installable on this machine, so the Vault store is tested against this HTTP server, which answers the
/// part of Vault's documented API the gateway uses: KV v2 data and metadata (read, write, list, delete) and AppRole
/// login, with <c>X-Vault-Token</c> checks and leases that expire.
/// </summary>
internal sealed class TestVault : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new();
    private readonly ConcurrentDictionary<string, List<(string Value, DateTimeOffset At)>> _secrets = new();

    private TestVault(WebApplication app) => _app = app;

    public const string RoleId = "portcullis-role";
    public const string SecretId = "s3cret-id-for-tests";

    public string Address => Portcullis.Gateway.PortcullisGateway.ListeningAddress(_app) + "/";

    /// <summary>How many AppRole logins succeeded.</summary>
    public int Logins;

    /// <summary>Lease of tokens issued at login.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The current value at <paramref name="path"/> (under the mount), as an operator would read it in Vault.</summary>
    public string? Read(string path) => _secrets.TryGetValue(path, out var versions) ? versions[^1].Value : null;

    /// <summary>Writes a new version at <paramref name="path"/>, as an operator rotating in Vault would.</summary>
    public int Write(string path, string value)
    {
        var versions = _secrets.GetOrAdd(path, _ => []);
        lock (versions)
        {
            versions.Add((value, DateTimeOffset.UtcNow));
            return versions.Count;
        }
    }

    /// <summary>Revokes every token issued so far.</summary>
    public void RevokeAll() => _tokens.Clear();

    public static async Task<TestVault> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var vault = new TestVault(app);

        app.MapPost("/v1/auth/approle/login", async (HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<JsonObject>();
            if (body?["role_id"]?.GetValue<string>() != RoleId || body["secret_id"]?.GetValue<string>() != SecretId)
            {
                return Results.Json(new { errors = new[] { "invalid role or secret ID" } }, statusCode: 400);
            }

            var token = "hvs." + Guid.NewGuid().ToString("N");
            vault._tokens[token] = DateTimeOffset.UtcNow + vault.Lease;
            Interlocked.Increment(ref vault.Logins);
            return Results.Json(new { auth = new { client_token = token, lease_duration = (long)vault.Lease.TotalSeconds, renewable = true } });
        });

        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1/secret")
                && !(vault._tokens.TryGetValue(context.Request.Headers["X-Vault-Token"].ToString(), out var expires) && expires > DateTimeOffset.UtcNow))
            {
                context.Response.StatusCode = 403;
                await context.Response.WriteAsJsonAsync(new { errors = new[] { "permission denied" } });
                return;
            }

            await next();
        });

        app.MapGet("/v1/secret/data/{**path}", (string path) =>
            vault._secrets.TryGetValue(path, out var versions) && versions.Count > 0
                ? Results.Json(new { data = new { data = new { value = versions[^1].Value }, metadata = new { version = versions.Count, created_time = versions[^1].At, deletion_time = "", destroyed = false } } })
                : Results.Json(new { errors = Array.Empty<string>() }, statusCode: 404));

        app.MapPost("/v1/secret/data/{**path}", async (string path, HttpContext context) =>
        {
            var body = await context.Request.ReadFromJsonAsync<JsonObject>();
            var version = vault.Write(path, body!["data"]!["value"]!.GetValue<string>());
            return Results.Json(new { data = new { version, created_time = DateTimeOffset.UtcNow, deletion_time = "", destroyed = false } });
        });

        app.MapGet("/v1/secret/metadata/{**path}", (string path, string? list) =>
        {
            if (list == "true")
            {
                var keys = vault._secrets.Keys.Where(k => k.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal)).Select(k => k[(path.TrimEnd('/').Length + 1)..]).ToArray();
                return keys.Length == 0 ? Results.Json(new { errors = Array.Empty<string>() }, statusCode: 404) : Results.Json(new { data = new { keys } });
            }

            return vault._secrets.TryGetValue(path, out var versions)
                ? Results.Json(new { data = new { current_version = versions.Count, created_time = versions[0].At, updated_time = versions[^1].At, max_versions = 0 } })
                : Results.Json(new { errors = Array.Empty<string>() }, statusCode: 404);
        });

        app.MapDelete("/v1/secret/metadata/{**path}", (string path) =>
        {
            vault._secrets.TryRemove(path, out _);
            return Results.NoContent();
        });

        await app.StartAsync(ct);
        return vault;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
