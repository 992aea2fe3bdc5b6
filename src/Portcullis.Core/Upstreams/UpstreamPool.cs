using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;

namespace Portcullis.Upstreams;

/// <summary>
/// The live connectors, one per configured server. A reload reconciles: servers whose connection settings are
/// unchanged keep their running connector (and so their sessions and processes); changed ones are replaced; removed
/// ones are stopped. The lookup table is an immutable snapshot swapped atomically.
/// </summary>
public sealed class UpstreamPool(IDownstreamRouter router, ILoggerFactory loggerFactory, Secrets.SecretReferences? secrets = null) : IAsyncDisposable
{
    private FrozenDictionary<string, UpstreamConnector> _connectors = FrozenDictionary<string, UpstreamConnector>.Empty;
    private readonly SemaphoreSlim _applyGate = new(1, 1);

    /// <summary>Finds the connector of a server.</summary>
    public UpstreamConnector? Find(string serverId) => _connectors.GetValueOrDefault(serverId);

    /// <summary>All connectors.</summary>
    public IEnumerable<UpstreamConnector> All => _connectors.Values;

    /// <summary>Brings the connectors in line with <paramref name="config"/>; returns the ids of servers that were added, replaced or removed.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(GatewayConfig config, CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var host = UpstreamHost.From(config);
            var current = _connectors;
            var next = new Dictionary<string, UpstreamConnector>(StringComparer.Ordinal);
            var changed = new List<string>();
            var retired = new List<UpstreamConnector>();
            var started = new List<UpstreamConnector>();

            foreach (var server in config.Servers)
            {
                if (current.TryGetValue(server.Id, out var existing) && existing.Config.ConnectionFingerprint() == server.ConnectionFingerprint())
                {
                    next[server.Id] = existing;
                    continue;
                }

                if (existing is not null)
                {
                    retired.Add(existing);
                }

                var connector = new UpstreamConnector(server, host, router, loggerFactory, secrets);
                next[server.Id] = connector;
                started.Add(connector);
                changed.Add(server.Id);
            }

            foreach (var (id, connector) in current)
            {
                if (!next.ContainsKey(id))
                {
                    retired.Add(connector);
                    changed.Add(id);
                }
            }

            Interlocked.Exchange(ref _connectors, next.ToFrozenDictionary(StringComparer.Ordinal));
            foreach (var connector in retired)
            {
                await connector.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var connector in started)
            {
                connector.Start();
            }

            return changed;
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Replaces the connectors of <paramref name="serverIds"/> with fresh ones (e.g. after a secret they use rotated): stdio processes restart with the new values.</summary>
    public async Task RestartAsync(IReadOnlyCollection<string> serverIds, UpstreamHost host, CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = new Dictionary<string, UpstreamConnector>(_connectors, StringComparer.Ordinal);
            var retired = new List<UpstreamConnector>();
            foreach (var id in serverIds)
            {
                if (next.TryGetValue(id, out var old))
                {
                    retired.Add(old);
                    next[id] = new UpstreamConnector(old.Config, host, router, loggerFactory, secrets);
                }
            }

            Interlocked.Exchange(ref _connectors, next.ToFrozenDictionary(StringComparer.Ordinal));
            foreach (var connector in retired)
            {
                await connector.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var id in serverIds)
            {
                if (next.TryGetValue(id, out var connector) && connector.State == UpstreamState.Connecting)
                {
                    connector.Start();
                }
            }
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Closes a member's own connections on every server, so their next call uses their current credentials.</summary>
    public Task ForgetMemberAsync(string memberKey) =>
        Task.WhenAll(_connectors.Values.Select(c => c.ForgetMemberAsync(memberKey)));

    /// <summary>Stops every connector.</summary>
    public async ValueTask DisposeAsync()
    {
        var connectors = Interlocked.Exchange(ref _connectors, FrozenDictionary<string, UpstreamConnector>.Empty);
        await Task.WhenAll(connectors.Values.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
