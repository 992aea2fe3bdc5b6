using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Portcullis.Load;

/// <summary>The gateway's resident memory: idle, after the load, and with many sessions held open.</summary>
internal sealed record MemoryFigures(long IdleBytes, long AfterLoadBytes, int SessionsOpened, long WithSessionsBytes);

/// <summary>Turns the measurements into a small Markdown table and a JSON file, ratios against the same run's direct baseline.</summary>
internal static class Report
{
    public static (string Markdown, string Json) Build(BenchOptions options, IReadOnlyList<Target> targets, IReadOnlyList<Measurement> results, MemoryFigures memory)
    {
        var machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";
        var rows = results.Select(m =>
        {
            var direct = results.FirstOrDefault(d => d.Target == "direct" && d.Concurrency == m.Concurrency);
            return new
            {
                m.Target,
                m.Concurrency,
                m.Calls,
                m.Errors,
                CallsPerSecond = Math.Round(m.CallsPerSecond, 1),
                P50Ms = Math.Round(m.P50Ms, 3),
                P99Ms = Math.Round(m.P99Ms, 3),
                P999Ms = Math.Round(m.P999Ms, 3),
                ThroughputVsDirect = direct is null ? (double?)null : Math.Round(m.CallsPerSecond / direct.CallsPerSecond, 3),
                AddedP50Ms = direct is null ? (double?)null : Math.Round(m.P50Ms - direct.P50Ms, 3),
                ServerCpuMicrosPerCall = m.ServerCpuMicrosPerCall is { } cpu ? Math.Round(cpu, 1) : (double?)null,
                m.FirstError,
            };
        }).ToList();

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Load benchmark ({DateTime.UtcNow:yyyy-MM-dd})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"`bench/run` on {machine}. Each row: {options.Duration.TotalSeconds:0} s measured after {options.Warmup.TotalSeconds:0} s of warm-up; `c` agents, each with its own MCP session (the SDK client over Streamable HTTP, protocol {LoadRun.Protocol ?? "negotiated"}), each calling `get_ticket` again as soon as it has its answer. {(options.Pinning is { } pinning ? $"`--pin`: the server under test (the gateway, the reverse proxy, mcp-proxy, supergateway) runs alone on core {pinning.Server}; the load generator and the tickets servers (over HTTP and over stdio) share core {pinning.Others}, in every row including `direct`." : "The load generator shares the machine's cores with everything it measures.")}{(options.Budget is { } daily ? $" `--budget {daily}`: every principal has a daily budget, so each governed call also charges it in the store." : "")} Ratios are against `direct` at the same concurrency in the same run. Server CPU is the user and system time of the process answering the agents (the tickets server, the gateway, the proxy; not the stdio child) per measured call.");
        md.AppendLine();
        md.AppendLine("| target | c | calls/s | p50 ms | p99 ms | p99.9 ms | errors | throughput vs direct | added p50 ms | server CPU µs/call |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Target} | {row.Concurrency} | {row.CallsPerSecond:0} | {row.P50Ms:0.000} | {row.P99Ms:0.000} | {row.P999Ms:0.000} | {row.Errors} | {Ratio(row.ThroughputVsDirect)} | {row.AddedP50Ms:+0.000;-0.000;0.000} | {row.ServerCpuMicrosPerCall:0} |");
        }

        md.AppendLine();
        md.AppendLine("Targets:");
        foreach (var target in targets)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{target.Name}`: {target.Description}");
        }

        md.AppendLine();
        md.AppendLine("Against the targets:");
        foreach (var line in Checks(results))
        {
            md.AppendLine("- " + line);
        }

        md.AppendLine();
        var perSession = memory.SessionsOpened > 0 ? (memory.WithSessionsBytes - memory.IdleBytes) / (double)memory.SessionsOpened : double.NaN;
        md.AppendLine(memory.SessionsOpened > 0
            ? string.Create(CultureInfo.InvariantCulture, $"Gateway resident memory (VmRSS): idle {Mib(memory.IdleBytes)}, with {memory.SessionsOpened} sessions open {Mib(memory.WithSessionsBytes)} ({perSession / 1024:0.0} KiB per session, against idle), after the load (those sessions still open) {Mib(memory.AfterLoadBytes)}.")
            : string.Create(CultureInfo.InvariantCulture, $"Gateway resident memory (VmRSS): idle {Mib(memory.IdleBytes)}, after the load {Mib(memory.AfterLoadBytes)} (no sessions held open: --sessions 0)."));

        var json = JsonSerializer.Serialize(new
        {
            date = DateTime.UtcNow,
            machine,
            durationSeconds = options.Duration.TotalSeconds,
            warmupSeconds = options.Warmup.TotalSeconds,
            dailyBudget = options.Budget,
            targets = targets.Select(t => new { t.Name, t.Description, url = t.Url.ToString(), t.Tool }),
            results = rows,
            checks = Checks(results),
            memory = new { idleBytes = memory.IdleBytes, afterLoadBytes = memory.AfterLoadBytes, sessionsOpened = memory.SessionsOpened, withSessionsBytes = memory.WithSessionsBytes, bytesPerSession = Math.Round(perSession) },
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        return (md.ToString(), json);
    }

    private static IEnumerable<string> Checks(IReadOnlyList<Measurement> results)
    {
        Measurement? Find(string target, int c) => results.FirstOrDefault(m => m.Target == target && m.Concurrency == c);
        if (Find("portcullis-http", 64) is { } governed64 && Find("direct", 64) is { } direct64)
        {
            var ratio = governed64.CallsPerSecond / direct64.CallsPerSecond;
            yield return $"governed throughput at c=64 is {ratio:P0} of direct (target ≥ 50%): {(ratio >= 0.5 ? "met" : "NOT met")}";
            if (Find("passthrough-http", 64) is { } bare64)
            {
                yield return $"for scale, the bare reverse proxy does {bare64.CallsPerSecond / direct64.CallsPerSecond:P0} of direct at c=64; Portcullis with all governance on does {governed64.CallsPerSecond / bare64.CallsPerSecond:P0} of the bare proxy";
            }
        }

        if (Find("portcullis-http", 1) is { } governed1 && Find("direct", 1) is { } direct1)
        {
            var added = governed1.P50Ms - direct1.P50Ms;
            yield return $"added p50 at c=1 is {added:0.000} ms (target < 1 ms): {(added < 1 ? "met" : "NOT met")}";
        }

        foreach (var c in results.Select(m => m.Concurrency).Distinct())
        {
            if (Find("portcullis-stdio", c) is not { } ours)
            {
                continue;
            }

            foreach (var peer in new[] { "mcp-proxy-stdio", "supergateway-stdio" })
            {
                if (Find(peer, c) is { } other)
                {
                    var ratio = ours.CallsPerSecond / other.CallsPerSecond;
                    yield return $"stdio at c={c}: Portcullis (all governance on) does {ratio:0.00}× the throughput of {peer} (target ≥ 1): {(ratio >= 1 ? "met" : "NOT met")}";
                }
            }
        }
    }

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
