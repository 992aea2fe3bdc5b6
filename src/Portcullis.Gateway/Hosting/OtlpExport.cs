using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portcullis.Configuration;
using Portcullis.Telemetry;

namespace Portcullis.Gateway.Hosting;

/// <summary>When <c>telemetry.otlpEndpoint</c> is set, pushes the <c>Portcullis</c> traces and metrics to it over OTLP/HTTP.</summary>
internal static class OtlpExport
{
    public static IServiceCollection AddOtlpExport(this IServiceCollection services, TelemetryConfig telemetry)
    {
        if (telemetry.OtlpEndpoint is not { } endpoint)
        {
            return services;
        }

        var interval = (int)telemetry.ExportInterval.TotalMilliseconds;
        var resource = ResourceBuilder.CreateDefault().AddService("portcullis", serviceVersion: typeof(OtlpExport).Assembly.GetName().Version?.ToString(3));
        services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            // ASP.NET Core starts an unrecorded activity per request; a parent-based sampler would drop every
            // governed-call span beneath it, so the gateway's own spans are always recorded.
            .SetSampler(new AlwaysOnSampler())
            .AddSource(GatewayTelemetry.Name)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(endpoint, "v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = interval;
            })
            .Build());
        services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(GatewayTelemetry.Name)
            .AddOtlpExporter((o, reader) =>
            {
                o.Endpoint = new Uri(endpoint, "v1/metrics");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
            })
            .Build());
        return services;
    }

    /// <summary>Starts the providers (they are created lazily otherwise).</summary>
    public static void StartOtlpExport(this IServiceProvider services)
    {
        services.GetService<TracerProvider>();
        services.GetService<MeterProvider>();
    }
}
