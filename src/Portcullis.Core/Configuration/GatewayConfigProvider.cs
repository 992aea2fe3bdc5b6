using Portcullis.Policy;

namespace Portcullis.Configuration;

/// <summary>
/// Holds the configuration in force and the policy compiled from it, as one snapshot: a reload swaps both at once,
/// so no decision ever mixes two versions.
/// </summary>
public sealed class GatewayConfigProvider
{
    private Snapshot _current;

    /// <summary>Starts with <paramref name="initial"/>.</summary>
    public GatewayConfigProvider(GatewayConfig initial) => _current = Compile(initial);

    /// <summary>The configuration in force.</summary>
    public GatewayConfig Current => Volatile.Read(ref _current).Config;

    /// <summary>The policy in force.</summary>
    public PolicyEngine Policy => Volatile.Read(ref _current).Policy;

    /// <summary>Replaces the snapshot; returns the previous configuration.</summary>
    public GatewayConfig Swap(GatewayConfig next) => Interlocked.Exchange(ref _current, Compile(next)).Config;

    private static Snapshot Compile(GatewayConfig config) =>
        new(config, new PolicyEngine(config.Policy, config.Version.Length >= 12 ? config.Version[..12] : config.Version));

    private sealed record Snapshot(GatewayConfig Config, PolicyEngine Policy);
}
