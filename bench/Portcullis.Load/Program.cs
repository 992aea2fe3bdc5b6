using System.CommandLine;
using Portcullis.Load;

var duration = new Option<int>("--duration") { Description = "Measured seconds per target and concurrency.", DefaultValueFactory = _ => 10 };
var warmup = new Option<int>("--warmup") { Description = "Unmeasured seconds before each measurement (the runtime's tiered JIT settles in about ten).", DefaultValueFactory = _ => 10 };
var concurrency = new Option<int[]>("--concurrency") { Description = "Concurrencies (agents calling at once).", DefaultValueFactory = _ => [1, 16, 64], AllowMultipleArgumentsPerToken = true };
var sessions = new Option<int>("--sessions") { Description = "Sessions held open for the memory figure.", DefaultValueFactory = _ => 1000 };
var only = new Option<string[]>("--only") { Description = "Run only these targets (direct, passthrough-http, portcullis-http, portcullis-stdio, mcp-proxy-stdio, supergateway-stdio).", AllowMultipleArgumentsPerToken = true };
var gatewayEnv = new Option<string[]>("--gateway-env") { Description = "NAME=VALUE settings for the gateway's process (runtime tuning experiments).", AllowMultipleArgumentsPerToken = true };
var protocol = new Option<string>("--protocol") { Description = "Protocol revision the agents ask for: 2025-11-25 (sessions, the default) or latest (let the SDK client negotiate; it picks the sessionless 2026-07-28 where served).", DefaultValueFactory = _ => "2025-11-25" };
var pin = new Option<bool>("--pin") { Description = "Give the server under test (the gateway, the reverse proxy, mcp-proxy, supergateway) the last core of its own, and the load generator and the tickets servers the others, as when the gateway runs on a host of its own. Writes load-pinned.md and .json." };
var postgres = new Option<string?>("--postgres") { Description = "Also measure Portcullis on a PostgreSQL store (target portcullis-postgres-http): a connection string to an empty database the run may fill." };
var budget = new Option<int?>("--budget") { Description = "Give every principal a daily budget of this many units, so each governed call also charges the store (off by default)." };
var output = new Option<DirectoryInfo?>("--out") { Description = "Folder for load.json and load.md (default: bench/results)." };
var root = new RootCommand("Portcullis load benchmark: the cost of governance against the upstream directly and against the plain proxies.") { duration, warmup, concurrency, sessions, only, output, gatewayEnv, protocol, pin, postgres, budget };
root.SetAction(async (parse, ct) =>
{
    LoadRun.Protocol = parse.GetValue(protocol) is "latest" ? null : parse.GetValue(protocol);
    var options = new BenchOptions(
        TimeSpan.FromSeconds(parse.GetValue(duration)),
        TimeSpan.FromSeconds(parse.GetValue(warmup)),
        parse.GetValue(concurrency)!,
        parse.GetValue(sessions),
        parse.GetValue(only) is { Length: > 0 } chosen ? [.. chosen] : null,
        parse.GetValue(output)?.FullName,
        (parse.GetValue(gatewayEnv) ?? []).Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
        parse.GetValue(pin) ? CorePinning.Split() : null,
        parse.GetValue(postgres),
        parse.GetValue(budget));
    return await Bench.RunAsync(options, ct);
});
var port = new Option<int>("--port") { Description = "Loopback port to listen on.", Required = true };
var upstream = new Option<string>("--upstream") { Description = "The MCP endpoint to forward to.", Required = true };
var passthrough = new Command("passthrough", "Run the bare reverse proxy the harness compares the gateway with (no MCP parsing, no governance).") { port, upstream };
passthrough.SetAction((parse, ct) => Passthrough.RunAsync(parse.GetValue(port), new Uri(parse.GetValue(upstream)!), ct));
root.Subcommands.Add(passthrough);
return await root.Parse(args).InvokeAsync();
