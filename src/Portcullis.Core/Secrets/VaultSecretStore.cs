using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portcullis.Configuration;

namespace Portcullis.Secrets;

/// <summary>
/// Secrets in a HashiCorp Vault KV v2 engine, over Vault's HTTP API: one Vault secret per name under
/// <c>{mount}/data/{prefix}/</c>, its value in the field <c>value</c>; Vault keeps the versions. Token auth (from an
/// environment variable or a file, re-read when Vault refuses it) or AppRole (a fresh login before the lease ends or
/// when Vault refuses the token). Vault unreachable means no secret: servers that need one stay down (fail closed).
/// </summary>
public sealed class VaultSecretStore(VaultConfig config, HttpClient http, Func<string, string> pathFromConfig) : ISecretStore
{
    private readonly SemaphoreSlim _login = new(1, 1);
    private string? _token;
    private DateTimeOffset _tokenExpires = DateTimeOffset.MaxValue;

    /// <inheritdoc />
    public async Task<(string Value, long Version)?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, $"data/{Path(name)}", null, cancellationToken).ConfigureAwait(false);
        if (body?["data"] is not JsonObject data)
        {
            return null;
        }

        var value = data["data"]?["value"]?.GetValue<string>();
        return value is null ? null : (value, data["metadata"]?["version"]?.GetValue<long>() ?? 0);
    }

    /// <inheritdoc />
    public async Task<long> SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Post, $"data/{Path(name)}", new JsonObject { ["data"] = new JsonObject { ["value"] = value } }, cancellationToken).ConfigureAwait(false);
        return body?["data"]?["version"]?.GetValue<long>() ?? throw Unavailable($"Vault did not confirm writing '{name}'");
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (await SendAsync(HttpMethod.Get, $"metadata/{Path(name)}", null, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await SendAsync(HttpMethod.Delete, $"metadata/{Path(name)}", null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var listed = await SendAsync(HttpMethod.Get, $"metadata/{config.Prefix}?list=true", null, cancellationToken).ConfigureAwait(false);
        var secrets = new List<SecretInfo>();
        foreach (var key in listed?["data"]?["keys"]?.AsArray() ?? [])
        {
            var segment = key!.GetValue<string>();
            if (segment.EndsWith('/'))
            {
                continue; // a folder someone else made: not one of ours
            }

            if ((await SendAsync(HttpMethod.Get, $"metadata/{config.Prefix}/{segment}", null, cancellationToken).ConfigureAwait(false))?["data"] is JsonObject metadata)
            {
                secrets.Add(new SecretInfo(
                    Decode(segment),
                    metadata["current_version"]?.GetValue<long>() ?? 0,
                    Time(metadata["created_time"]),
                    Time(metadata["updated_time"])));
            }
        }

        return [.. secrets.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary>Sends one request to the KV engine; null on 404. Refreshes the token once when Vault refuses it.</summary>
    private async Task<JsonObject?> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, new Uri(config.Address, $"v1/{config.Mount}/{path}"));
            request.Headers.Add("X-Vault-Token", token);
            if (config.Namespace is { } ns)
            {
                request.Headers.Add("X-Vault-Namespace", ns);
            }

            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw Unavailable($"Vault at {config.Address} cannot be reached ({ex.Message})");
            }

            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotFound:
                        return null;
                    case HttpStatusCode.Forbidden when attempt == 0:
                        _token = null; // expired, revoked or rotated by Vault Agent: log in or read it again
                        continue;
                    case HttpStatusCode.NoContent:
                        return [];
                    case var status when (int)status >= 400:
                        throw Unavailable($"Vault refused {method.Method} {config.Mount}/{path.Split('?')[0]} with HTTP {(int)status}{await ErrorsAsync(response, cancellationToken).ConfigureAwait(false)}");
                }

                return await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } cached && DateTimeOffset.UtcNow < _tokenExpires)
        {
            return cached;
        }

        await _login.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } fresh && DateTimeOffset.UtcNow < _tokenExpires)
            {
                return fresh;
            }

            if (config.RoleId is null)
            {
                _token = Read(config.TokenEnv, config.TokenFile, "Vault token");
                _tokenExpires = DateTimeOffset.MaxValue;
                return _token;
            }

            var login = new JsonObject { ["role_id"] = config.RoleId, ["secret_id"] = Read(config.SecretIdEnv, config.SecretIdFile, "AppRole secret id") };
            using var response = await http.PostAsJsonAsync(new Uri(config.Address, $"v1/auth/{config.AppRoleMount}/login"), login, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Unavailable($"Vault refused the AppRole login with HTTP {(int)response.StatusCode}{await ErrorsAsync(response, cancellationToken).ConfigureAwait(false)}");
            }

            var auth = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false))?["auth"];
            _token = auth?["client_token"]?.GetValue<string>() ?? throw Unavailable("Vault's AppRole login answered without a token");
            var lease = auth["lease_duration"]?.GetValue<long>() ?? 0;
            // Log in again at 80% of the lease, before Vault would refuse the token.
            _tokenExpires = lease > 0 ? DateTimeOffset.UtcNow.AddSeconds(lease * 0.8) : DateTimeOffset.MaxValue;
            return _token;
        }
        catch (HttpRequestException ex)
        {
            throw Unavailable($"Vault at {config.Address} cannot be reached ({ex.Message})");
        }
        finally
        {
            _login.Release();
        }
    }

    private string Read(string? variable, string? file, string what)
    {
        if (variable is not null)
        {
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value.Trim() : throw Unavailable($"the {what} variable {variable} is not set");
        }

        var path = pathFromConfig(file!);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : throw Unavailable($"the {what} file {path} does not exist");
    }

    /// <summary>Vault's own error messages (<c>{"errors": [...]}</c>): they name the policy or path at fault, never a value.</summary>
    private static async Task<string> ErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var errors = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false))?["errors"]?.AsArray();
            return errors is { Count: > 0 } ? ": " + string.Join("; ", errors.Select(e => e?.GetValue<string>())) : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private string Path(string name) => config.Prefix + "/" + Encode(name);

    /// <summary>A name as one path segment: Vault treats '/' as folders, and members' names hold issuer URLs.</summary>
    internal static string Encode(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('~').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    internal static string Decode(string segment)
    {
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '~' && i + 2 < segment.Length && byte.TryParse(segment.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)segment[i]);
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static DateTimeOffset Time(JsonNode? node) =>
        DateTimeOffset.TryParse(node?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.UnixEpoch;

    private static SecretUnavailableException Unavailable(string message) => new(message);
}
