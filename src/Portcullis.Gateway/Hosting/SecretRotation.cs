using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;
using Portcullis.Secrets;
using Portcullis.Upstreams;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// Picks up rotated secrets without a gateway restart: the servers that use a changed secret get a fresh connection
/// (stdio processes restart gracefully with the new value). Changes through the admin API apply at once; changes
/// written straight into the store (the CLI's local mode) are found by a check every few seconds.
/// </summary>
internal sealed partial class SecretRotation(GatewayConfigProvider config, ISecretStore store, UpstreamPool pool, ILogger<SecretRotation> logger) : BackgroundService
{
    private Dictionary<string, long> _versions = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            _versions = await VersionsAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var current = await VersionsAsync(stoppingToken);
                var changed = current.Where(v => !_versions.TryGetValue(v.Key, out var old) || old != v.Value).Select(v => v.Key).ToList();
                _versions = current;
                if (changed.Count > 0)
                {
                    await ApplyAsync(changed, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (SecretUnavailableException)
        {
            // No key: nothing can have rotated.
        }
    }

    /// <summary>Reconnects the servers that use any of <paramref name="names"/>.</summary>
    public async Task ApplyAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        _versions = await VersionsAsync(cancellationToken);
        foreach (var member in names.Where(SecretReferences.IsMemberSecret))
        {
            // That member's own connections reopen with the new value.
            await pool.ForgetMemberAsync(SecretReferences.MemberKeyOfSecret(member));
        }

        var servers = config.Current.Servers.Where(s => SecretReferences.StoreSecretsOf(s).Any(names.Contains)).Select(s => s.Id).ToList();
        if (servers.Count == 0)
        {
            return;
        }

        LogRotated(string.Join(", ", names), string.Join(", ", servers));
        await pool.RestartAsync(servers, UpstreamHost.From(config.Current), cancellationToken);
    }

    private async Task<Dictionary<string, long>> VersionsAsync(CancellationToken cancellationToken) =>
        (await store.ListAsync(cancellationToken)).ToDictionary(s => s.Name, s => s.Version, StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Secrets {Names} changed; reconnecting the servers that use them: {Servers}")]
    private partial void LogRotated(string names, string servers);
}
