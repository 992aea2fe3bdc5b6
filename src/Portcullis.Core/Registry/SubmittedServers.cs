using Portcullis.Configuration;
using Portcullis.Upstreams;

namespace Portcullis.Registry;

/// <summary>
/// Servers submitted through the admin API join the configuration's servers as proposed (never pre-approved), so the
/// same lifecycle, pins and policy apply to both. A server the file declares wins over a submitted one of the same id.
/// </summary>
public sealed class SubmittedServers(ISubmittedServerStore store, GatewayConfigProvider config, UpstreamPool pool)
{
    private IReadOnlyList<ServerConfig> _servers = [];

    /// <summary>Loads the submitted servers.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken) =>
        Volatile.Write(ref _servers, await store.ListAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>The file's configuration plus the submitted servers it does not declare itself.</summary>
    public GatewayConfig Merge(GatewayConfig file) => file with
    {
        Servers = [.. file.Servers, .. Volatile.Read(ref _servers).Where(s => file.FindServer(s.Id) is null)],
    };

    /// <summary>Validates, stores and starts connecting to a submitted server; returns the validation errors when it is refused.</summary>
    public async Task<IReadOnlyList<ConfigError>> SubmitAsync(ServerConfig server, string submittedBy, CancellationToken cancellationToken)
    {
        server = server with { Preapproved = false };
        var current = config.Current;
        if (current.FindServer(server.Id) is not null)
        {
            return [new ConfigError("id", 0, 0, $"a server with id '{server.Id}' already exists")];
        }

        var candidate = current with { Servers = [.. current.Servers, server] };
        var errors = ConfigLoader.Validate(candidate);
        if (errors.Count > 0)
        {
            return errors;
        }

        await store.AddAsync(server, submittedBy, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _servers, [.. Volatile.Read(ref _servers), server]);
        config.Swap(candidate);
        await pool.ApplyAsync(candidate, cancellationToken).ConfigureAwait(false);
        return [];
    }
}
