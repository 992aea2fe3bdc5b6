using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;
using Portcullis.Scanning;
using Portcullis.Upstreams;

namespace Portcullis.Registry;

/// <summary>
/// Enforced registry: only approved servers are reachable, and of those only tools that match what was approved.
/// A server the configuration marks pre-approved is pinned on first connect (recorded as approved by the
/// configuration's version); a tool with critical scanner findings is never pinned that way. Every catalog the server
/// lists is compared with the pins: new or changed tools are held back until someone reviews the diff and approves.
/// </summary>
public sealed partial class ServerRegistry(IRegistryStore store, GatewayConfigProvider config, UpstreamPool pool, TimeProvider time, ILogger<ServerRegistry> logger)
{
    private readonly ConcurrentDictionary<string, ServerRecord> _records = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, Pin>> _pins = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (UpstreamCatalog Catalog, int Version, RegistryView View)> _views = new(StringComparer.Ordinal);
    private int _version;

    /// <summary>Loads records and pins from the store; again whenever a replica sharing it announces a change.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var record in await store.ListServersAsync(cancellationToken).ConfigureAwait(false))
        {
            _records[record.Id] = record;
        }

        foreach (var (server, pins) in await store.ListPinsAsync(cancellationToken).ConfigureAwait(false))
        {
            _pins[server] = pins.ToDictionary(p => p.Key, StringComparer.Ordinal);
        }

        // Views built from what was kept before are rebuilt (a replica sharing the store may have changed it).
        Interlocked.Increment(ref _version);
    }

    /// <summary>The server's record: stored, or derived from the configuration (pre-approved or proposed).</summary>
    public ServerRecord RecordOf(string serverId)
    {
        if (_records.TryGetValue(serverId, out var record))
        {
            return record;
        }

        var current = config.Current;
        return current.FindServer(serverId)?.Preapproved == true
            ? new ServerRecord(serverId, ServerState.Approved, $"config:{current.Version[..12]}", time.GetUtcNow(), "pre-approved in the configuration", time.GetUtcNow())
            : new ServerRecord(serverId, ServerState.Proposed, null, null, null, time.GetUtcNow());
    }

    /// <summary>How the registry sees the connector's current catalog (cached per catalog snapshot).</summary>
    public RegistryView View(UpstreamConnector connector)
    {
        var catalog = connector.Catalog;
        var version = Volatile.Read(ref _version);
        if (_views.TryGetValue(connector.Id, out var cached) && ReferenceEquals(cached.Catalog, catalog) && cached.Version == version)
        {
            return cached.View;
        }

        var view = Compute(connector, catalog);
        _views[connector.Id] = (catalog, version, view);
        return view;
    }

    /// <summary>SHA-256 of the approved definition of a tool, for audit; null when it has none.</summary>
    public string? PinHashOf(string serverId, string toolName) =>
        _pins.TryGetValue(serverId, out var pins) && pins.TryGetValue("tool:" + toolName, out var pin) ? pin.Hash : null;

    /// <summary>Approves the server as it is now: re-pins its live catalog. Critical findings block unless a justification is given.</summary>
    public async Task<(bool Approved, IReadOnlyList<Finding> Findings, string Diff)> ApproveAsync(string serverId, string approver, string? justification, CancellationToken cancellationToken)
    {
        var connector = pool.Find(serverId) ?? throw new InvalidOperationException($"no server '{serverId}' is configured");
        if (connector.State != UpstreamState.Ready)
        {
            throw new InvalidOperationException($"server '{serverId}' is not connected ({connector.DownReason}); approve it once it is up, so what is approved is what it serves");
        }

        var findings = Scan(connector, connector.Catalog.Tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal));
        var diff = Diff(serverId);
        if (ToolScanner.Blocks(findings) && string.IsNullOrWhiteSpace(justification))
        {
            return (false, findings, diff);
        }

        var record = new ServerRecord(serverId, ServerState.Approved, approver, time.GetUtcNow(), justification, time.GetUtcNow());
        var pins = Pinning.PinsOf(connector.Catalog, connector.Instructions);
        await store.ApproveAsync(record, pins, diff, cancellationToken).ConfigureAwait(false);
        _records[serverId] = record;
        _pins[serverId] = pins.ToDictionary(p => p.Key, StringComparer.Ordinal);
        Interlocked.Increment(ref _version);
        LogApproved(serverId, approver, pins.Count);
        return (true, findings, diff);
    }

    /// <summary>Moves a server to <paramref name="state"/> (suspend, decommission, or back to approved with its pins).</summary>
    public async Task SetStateAsync(string serverId, ServerState state, string by, CancellationToken cancellationToken)
    {
        var record = RecordOf(serverId) with { State = state, UpdatedAt = time.GetUtcNow() };
        await store.SaveServerAsync(record, cancellationToken).ConfigureAwait(false);
        _records[serverId] = record;
        Interlocked.Increment(ref _version);
        LogStateChanged(serverId, state.ToString(), by);
    }

    /// <summary>A readable diff of the live catalog against the pins: added, removed and changed items.</summary>
    public string Diff(string serverId)
    {
        var connector = pool.Find(serverId);
        var live = connector is null ? [] : Pinning.PinsOf(connector.Catalog, connector.Instructions).ToDictionary(p => p.Key, StringComparer.Ordinal);
        var pinned = _pins.GetValueOrDefault(serverId) ?? new Dictionary<string, Pin>();
        var text = new StringBuilder();
        foreach (var key in pinned.Keys.Union(live.Keys).Order(StringComparer.Ordinal))
        {
            pinned.TryGetValue(key, out var before);
            live.TryGetValue(key, out var after);
            if (before?.Hash == after?.Hash)
            {
                continue;
            }

            text.AppendLine(before is null ? $"added {key}" : after is null ? $"removed {key}" : $"changed {key}");
            foreach (var line in LineDiff.Compare(before is null ? "" : CanonicalJson.Pretty(before.Canonical), after is null ? "" : CanonicalJson.Pretty(after.Canonical)))
            {
                if (!line.StartsWith("  ", StringComparison.Ordinal) || before is not null && after is not null)
                {
                    text.Append("    ").AppendLine(line);
                }
            }
        }

        return text.Length == 0 ? "no changes since approval" : text.ToString();
    }

    private RegistryView Compute(UpstreamConnector connector, UpstreamCatalog catalog)
    {
        var record = RecordOf(connector.Id);
        if (record.State != ServerState.Approved)
        {
            return new RegistryView(record.State, new Dictionary<string, string>(), []);
        }

        var live = Pinning.PinsOf(catalog, connector.Instructions);
        if (!_pins.ContainsKey(connector.Id) && catalog.Tools.Count > 0)
        {
            // First sight of a pre-approved server: pin what it serves, except tools the scanner blocks.
            var blocked = Scan(connector, catalog.Tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal))
                .Where(f => f.Severity == Severity.Critical).Select(f => f.Location.Split(':')[0]).ToHashSet(StringComparer.Ordinal);
            var pins = live.Where(p => !(p.Kind == "tool" && blocked.Contains(p.Name))).ToList();
            _pins[connector.Id] = pins.ToDictionary(p => p.Key, StringComparer.Ordinal);
            _records[connector.Id] = record;
            _ = PersistFirstPinsAsync(record, pins);
        }

        var pinned = _pins.GetValueOrDefault(connector.Id) ?? new Dictionary<string, Pin>();
        var held = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pin in live.Where(p => p.Kind == "tool"))
        {
            if (!pinned.TryGetValue(pin.Key, out var approved))
            {
                held[pin.Name] = $"tool '{pin.Name}' on server '{connector.Id}' was not part of what was approved and is held for review";
            }
            else if (approved.Hash != pin.Hash)
            {
                held[pin.Name] = $"tool '{pin.Name}' on server '{connector.Id}' changed since it was approved and is held for review";
            }
        }

        var findings = held.Count == 0 ? [] : Scan(connector, held.Keys.ToHashSet(StringComparer.Ordinal));
        if (held.Count > 0)
        {
            LogQuarantined(connector.Id, string.Join(", ", held.Keys));
        }

        return new RegistryView(ServerState.Approved, held, findings);
    }

    /// <summary>Scans the named tools of a server, with the other servers' tools as context for shadowing and look-alikes.</summary>
    private List<Finding> Scan(UpstreamConnector connector, HashSet<string> names)
    {
        var own = connector.Catalog.Tools.Select(t => t.Name).ToArray();
        var others = pool.All.Where(c => c.Id != connector.Id).SelectMany(c => c.Catalog.Tools.Select(t => t.Name)).ToArray();
        var context = new ScanContext(own, others);
        return [.. connector.Catalog.Tools.Where(t => names.Contains(t.Name))
            .SelectMany(t => ToolScanner.ScanTool(t, context).Select(f => f with { Location = $"{t.Name}: {f.Location}" }))];
    }

    private async Task PersistFirstPinsAsync(ServerRecord record, IReadOnlyList<Pin> pins)
    {
        try
        {
            await store.ApproveAsync(record, pins, "initial pinning of a pre-approved server", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogPersistFailed(record.Id, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {ServerId}: tools held for review (new or changed since approval): {Tools}")]
    private partial void LogQuarantined(string serverId, string tools);

    [LoggerMessage(Level = LogLevel.Information, Message = "Server {ServerId} approved by {Approver}: {PinCount} items pinned")]
    private partial void LogApproved(string serverId, string approver, int pinCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Server {ServerId} is now {State} ({By})")]
    private partial void LogStateChanged(string serverId, string state, string by);

    [LoggerMessage(Level = LogLevel.Error, Message = "Server {ServerId}: could not store its first pins: {Reason}")]
    private partial void LogPersistFailed(string serverId, string reason);
}
