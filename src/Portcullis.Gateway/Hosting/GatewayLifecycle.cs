using Microsoft.Extensions.Hosting;
using Portcullis.Configuration;
using Portcullis.Secrets;
using Portcullis.Storage;
using Portcullis.Upstreams;

namespace Portcullis.Gateway.Hosting;

/// <summary>Connects the configured upstreams at start (without waiting for them: a dead server must not hold the gateway down) and stops them at shutdown.</summary>
internal sealed class GatewayLifecycle(GatewayConfigProvider config, UpstreamPool pool, IConfigHistoryStore history, Identity.BootstrapAdmin bootstrap, Limits.KillSwitches kills, Registry.ServerRegistry registry, Registry.SubmittedServers submitted, Audit.AuditLog audit) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Refuse to start rather than run servers without the credentials they were declared with.
        var referenced = config.Current.Servers.SelectMany(s => SecretReferences.StoreSecretsOf(s).Concat(SecretReferences.MemberCredentialsOf(s).Select(n => "member credential " + n))).Distinct().ToList();
        if (referenced.Count > 0 && config.Current.Secrets.Vault is null && Secrets.SecretsKey.Load(config.Current) is { Key: null, Problem: { } problem })
        {
            throw new InvalidOperationException($"Refusing to start: servers refer to stored secrets ({string.Join(", ", referenced)}) but the secret store has {problem}.");
        }

        // Nor run a server with less confinement than it was declared with.
        if (config.Current.Servers.Select(ProcessIsolation.Unavailable).OfType<string>().ToList() is { Count: > 0 } unconfinable)
        {
            throw new InvalidOperationException("Refusing to start: " + string.Join("; ", unconfinable) + ".");
        }

        await audit.StartAsync(cancellationToken);
        await submitted.LoadAsync(cancellationToken);
        config.Swap(submitted.Merge(config.Current));
        var current = config.Current;
        await history.RecordAsync(new ConfigHistoryEntry(current.Version, current.SourcePath ?? "(inline)", DateTimeOffset.UtcNow, true, $"started with {current.Servers.Count} servers"), cancellationToken);
        await bootstrap.EnsureAsync(cancellationToken);
        await kills.LoadAsync(cancellationToken);
        await registry.LoadAsync(cancellationToken);
        await pool.ApplyAsync(current, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await pool.DisposeAsync();
        await audit.DisposeAsync();
    }
}
