using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;
using Portcullis.Sessions;
using Portcullis.Storage;
using Portcullis.Upstreams;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// Hot reload: watches the configuration file; a valid new version is swapped in and the upstreams reconciled
/// (unchanged servers keep their connections and sessions), an invalid one is refused with every error logged and
/// the version in force stays. Every attempt is recorded in the configuration history.
/// </summary>
internal sealed partial class ConfigReloader(
    GatewayConfigProvider config,
    UpstreamPool pool,
    SessionHub hub,
    IConfigHistoryStore history,
    Registry.SubmittedServers submitted,
    Audit.AuditLog audit,
    ILogger<ConfigReloader> logger) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    /// <summary>Raised after each reload attempt with whether it was applied (tests and operators wait on it).</summary>
    public event Action<bool>? Reloaded;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.Current.SourcePath is not { } path)
        {
            return;
        }

        var signal = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        FileSystemEventHandler onChange = (_, _) => signal.Release();
        watcher.Changed += onChange;
        watcher.Created += onChange;
        watcher.Renamed += (_, _) => signal.Release();
        watcher.EnableRaisingEvents = true;

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await signal.WaitAsync(stoppingToken);
                // Editors write in bursts (truncate, write, rename); act once the file has settled.
                await Task.Delay(Debounce, stoppingToken);
                while (signal.CurrentCount > 0)
                {
                    await signal.WaitAsync(stoppingToken);
                }

                await ReloadAsync(path, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Loads <paramref name="path"/> and applies it if valid.</summary>
    public async Task<bool> ReloadAsync(string path, CancellationToken cancellationToken)
    {
        var previous = config.Current;
        GatewayConfig next;
        try
        {
            next = submitted.Merge(ConfigLoader.LoadFile(path));
        }
        catch (ConfigException ex)
        {
            await RefuseAsync(path, ex.Message, previous.Version, cancellationToken);
            return false;
        }

        if (next.Servers.Select(ProcessIsolation.Unavailable).OfType<string>().ToList() is { Count: > 0 } unconfinable)
        {
            await RefuseAsync(path, string.Join("; ", unconfinable), previous.Version, cancellationToken);
            return false;
        }

        if (next.Version == previous.Version)
        {
            return true;
        }

        if (next.Gateway.Listen != previous.Gateway.Listen || next.Storage != previous.Storage)
        {
            LogNeedsRestart();
        }

        config.Swap(next);
        var changed = await pool.ApplyAsync(next, cancellationToken);
        await hub.NotifyAllListsChangedAsync(changed, cancellationToken);
        LogApplied(next.Version, changed.Count == 0 ? "none" : string.Join(", ", changed));
        await history.RecordAsync(new ConfigHistoryEntry(next.Version, path, DateTimeOffset.UtcNow, true, "servers changed: " + (changed.Count == 0 ? "none" : string.Join(", ", changed))), cancellationToken);
        await RecordAsync("success", $"version {next.Version[..12]} in force; servers changed: {(changed.Count == 0 ? "none" : string.Join(", ", changed))}", cancellationToken);
        Reloaded?.Invoke(true);
        return true;
    }

    private async Task RefuseAsync(string path, string reason, string keptVersion, CancellationToken cancellationToken)
    {
        LogRejected(reason, keptVersion);
        await history.RecordAsync(new ConfigHistoryEntry("", path, DateTimeOffset.UtcNow, false, reason), cancellationToken);
        await RecordAsync("refused", reason, cancellationToken);
        Reloaded?.Invoke(false);
    }

    /// <summary>Puts the reload in the audit chain; a reload is an admin action even when nobody typed a command.</summary>
    private async Task RecordAsync(string outcome, string detail, CancellationToken cancellationToken)
    {
        try
        {
            await audit.AppendAsync(Audit.AuditRecords.FromAdmin("config-reload", config.Current.SourcePath ?? "(config)", null, outcome, detail), cancellationToken);
        }
        catch (Audit.AuditUnavailableException ex)
        {
            logger.LogCritical("The configuration reload could not be audited: {Reason}", ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration change refused; version {Version} stays in force. {Errors}")]
    private partial void LogRejected(string errors, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration {Version} applied; servers added, changed or removed: {Changed}")]
    private partial void LogApplied(string version, string changed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway.listen and storage changes take effect at the next restart")]
    private partial void LogNeedsRestart();
}
