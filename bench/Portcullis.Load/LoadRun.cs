using System.Diagnostics;
using ModelContextProtocol.Client;

namespace Portcullis.Load;

/// <summary>An endpoint the harness drives: its Streamable HTTP URL, the tool it calls and the headers it sends.</summary>
/// <param name="Server">The process that answers on <paramref name="Url"/>, whose CPU time per call is reported.</param>
internal sealed record Target(string Name, string Description, Uri Url, string Tool, IReadOnlyDictionary<string, string> Headers, ChildProcess? Server = null);

/// <summary>One target at one concurrency: throughput and latency percentiles over the measured window.</summary>
internal sealed record Measurement(string Target, int Concurrency, long Calls, long Errors, double Seconds, double CallsPerSecond, double P50Ms, double P99Ms, double P999Ms, double? ServerCpuMicrosPerCall, string? FirstError);

/// <summary>
/// Drives <c>tools/call</c> from <c>concurrency</c> agents at once, each with its own MCP session (the SDK client),
/// each calling again as soon as it has its answer: a closed loop, so throughput and latency are both measured.
/// </summary>
internal static class LoadRun
{
    private static readonly Dictionary<string, object?> Arguments = new() { ["id"] = 2 };

    public static async Task<Measurement> MeasureAsync(Target target, int concurrency, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clients = new McpClient[concurrency];
        try
        {
            // Sessions open a few at a time: proxies that start a process per session would otherwise start them all at once.
            using (var opening = new SemaphoreSlim(8))
            {
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async i =>
                {
                    await opening.WaitAsync(cancellationToken);
                    try
                    {
                        clients[i] = await ConnectAsync(target, cancellationToken);
                    }
                    finally
                    {
                        opening.Release();
                    }
                }));
            }

            await RunAsync(clients, target.Tool, warmup, record: false, cancellationToken);
            var cpuBefore = target.Server?.CpuSeconds();
            var (latencies, errors, firstError, elapsed) = await RunAsync(clients, target.Tool, duration, record: true, cancellationToken);
            double? cpuPerCall = cpuBefore is { } before && latencies.Length > 0 ? (target.Server!.CpuSeconds() - before) * 1e6 / latencies.Length : null;
            Array.Sort(latencies);
            return new Measurement(target.Name, concurrency, latencies.Length, errors, elapsed.TotalSeconds, latencies.Length / elapsed.TotalSeconds,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), Percentile(latencies, 0.999), cpuPerCall, firstError);
        }
        finally
        {
            await Task.WhenAll(clients.Where(c => c is not null).Select(async c =>
            {
                try
                {
                    await c.DisposeAsync();
                }
                catch (Exception)
                {
                    // The run is over; a session that does not close cleanly changes no figure.
                }
            }));
        }
    }

    /// <summary>The protocol revision agents ask for; null lets the SDK client negotiate (it prefers the sessionless 2026-07-28).</summary>
    public static string? Protocol { get; set; } = "2025-11-25";

    public static async Task<McpClient> ConnectAsync(Target target, CancellationToken cancellationToken) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = target.Url,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string>(target.Headers),
        }), new McpClientOptions
        {
            ClientInfo = new() { Name = "portcullis-load", Version = "1.0.0" },
            // By default sessions (2025-11-25), which every party here speaks; left alone, the SDK client would
            // probe for the sessionless 2026-07-28 revision, which the plain proxies do not serve.
            ProtocolVersion = Protocol,
        }, cancellationToken: cancellationToken);

    private static async Task<(double[] LatenciesMs, long Errors, string? FirstError, TimeSpan Elapsed)> RunAsync(McpClient[] clients, string tool, TimeSpan window, bool record, CancellationToken cancellationToken)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        long errors = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        var perWorker = await Task.WhenAll(clients.Select(async client =>
        {
            var mine = new List<long>(record ? 65_536 : 0);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var before = Stopwatch.GetTimestamp();
                try
                {
                    var result = await client.CallToolAsync(tool, Arguments, cancellationToken: cancellationToken);
                    if (result.IsError is true)
                    {
                        throw new InvalidOperationException("tool error: " + string.Join(' ', result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text)));
                    }

                    if (record)
                    {
                        mine.Add(Stopwatch.GetTimestamp() - before);
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.Message, null);
                    await Task.Delay(10, cancellationToken);
                }
            }

            return mine;
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        return ([.. perWorker.SelectMany(w => w).Select(t => t * 1000.0 / Stopwatch.Frequency)], errors, firstError, elapsed);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
