namespace Portcullis.Configuration;

/// <summary>Holds the configuration snapshot in force; a reload swaps it atomically, readers never see a half-applied file.</summary>
public sealed class GatewayConfigProvider(GatewayConfig initial)
{
    private GatewayConfig _current = initial;

    /// <summary>The snapshot in force.</summary>
    public GatewayConfig Current => Volatile.Read(ref _current);

    /// <summary>Replaces the snapshot; returns the previous one.</summary>
    public GatewayConfig Swap(GatewayConfig next) => Interlocked.Exchange(ref _current, next);
}
