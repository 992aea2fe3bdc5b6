namespace Portcullis.Configuration;

/// <summary>Where traces and metrics go besides <c>/metrics</c>.</summary>
public sealed record TelemetryConfig
{
    /// <summary>OTLP/HTTP endpoint of a collector (e.g. <c>http://otel-collector:4318</c>); nothing is exported when unset.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>How often metrics are pushed and traces flushed.</summary>
    public TimeSpan ExportInterval { get; init; } = TimeSpan.FromSeconds(15);
}
