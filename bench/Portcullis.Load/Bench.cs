using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portcullis.Load;

internal sealed record BenchOptions(TimeSpan Duration, TimeSpan Warmup, int[] Concurrencies, int Sessions, HashSet<string>? Only, string? Output, IReadOnlyDictionary<string, string> GatewayEnvironment, CorePinning? Pinning, string? Postgres, int? Budget);

/// <summary>
/// Starts every party on loopback (the tickets sample over Streamable HTTP and over stdio, Portcullis with all
/// governance on, mcp-proxy and supergateway from npm), measures each at each concurrency in one run, and reports
/// ratios against the direct baseline of the same run.
/// </summary>
internal static partial class Bench
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken ct)
    {
        var repo = FindRepo();
        var tickets = Built(repo, "Portcullis.Samples.Tickets", "Portcullis.Samples.Tickets.dll");
        var cli = Built(repo, "Portcullis.Cli", "portcullis.dll");
        var peers = Path.Combine(repo, "bench", "peers", "node_modules");
        var work = Directory.CreateTempSubdirectory("portcullis-load-").FullName;
        var children = new List<ChildProcess>();
        var pinning = options.Pinning;
        pinning?.PinLoadGenerator();

        // With --pin, the server under test runs on a core of its own, everything else (this process included) on the rest.
        string[] Placed(bool underTest, params string[] command) =>
            pinning is null ? command : CorePinning.On(underTest ? pinning.Server : pinning.Others, command);

        ChildProcess Start(string name, bool underTest, string[] command, string? directory = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            var placed = Placed(underTest, command);
            var child = ChildProcess.Start(name, placed[0], placed[1..], directory, environment?.ToDictionary());
            children.Add(child);
            return child;
        }

        // How the gateway and the proxies start the tickets server over stdio.
        var ticketsStdio = Placed(false, "dotnet", tickets);
        try
        {
            Console.Error.WriteLine($"# working in {work}{(pinning is null ? "" : $"; server under test on core {pinning.Server}, the rest on {pinning.Others}")}");
            var directPort = ChildProcess.FreePort();
            var direct = Start("tickets (http)", false, ["dotnet", tickets, "--http", "--urls", $"http://127.0.0.1:{directPort}"]);
            await direct.WaitForPortAsync(directPort, TimeSpan.FromSeconds(60));

            var gatewayPort = ChildProcess.FreePort();
            var config = Path.Combine(work, "portcullis.yaml");
            await File.WriteAllTextAsync(config, GatewayConfig(gatewayPort, directPort, ticketsStdio, options.Budget), ct);
            var token = await IssueTokenAsync(cli, config, ct);
            var gateway = Start("portcullis", true, ["dotnet", cli, "serve", "--config", config], work, options.GatewayEnvironment);
            await gateway.WaitForPortAsync(gatewayPort, TimeSpan.FromSeconds(60));
            await WaitReadyAsync(gatewayPort, ct);

            // With --postgres, a second gateway, identical but for its store, so both stores are measured in one run.
            var postgresPort = ChildProcess.FreePort();
            var postgresToken = "";
            ChildProcess? postgresGateway = null;
            if (options.Postgres is { } connectionString)
            {
                var postgresWork = Directory.CreateDirectory(Path.Combine(work, "postgres")).FullName;
                var postgresConfig = Path.Combine(postgresWork, "portcullis.yaml");
                var storage = $"storage:\n  postgres:\n    connectionString: \"{connectionString}\"\n";
                await File.WriteAllTextAsync(postgresConfig, GatewayConfig(postgresPort, directPort, ticketsStdio, options.Budget) + storage, ct);
                postgresToken = await IssueTokenAsync(cli, postgresConfig, ct);
                postgresGateway = Start("portcullis (postgres)", true, ["dotnet", cli, "serve", "--config", postgresConfig], postgresWork, options.GatewayEnvironment);
                await postgresGateway.WaitForPortAsync(postgresPort, TimeSpan.FromSeconds(60));
                await WaitReadyAsync(postgresPort, ct);
            }

            var passthroughPort = ChildProcess.FreePort();
            var passthrough = Start("passthrough", true, ["dotnet", typeof(Bench).Assembly.Location, "passthrough", "--port", passthroughPort.ToString(CultureInfo.InvariantCulture), "--upstream", $"http://127.0.0.1:{directPort}/mcp"]);
            await passthrough.WaitForPortAsync(passthroughPort, TimeSpan.FromSeconds(60));

            var proxyPort = ChildProcess.FreePort();
            var mcpProxy = Start("mcp-proxy", true, ["node", Path.Combine(peers, "mcp-proxy", "dist", "bin", "mcp-proxy.mjs"), "--host", "127.0.0.1", "--port", proxyPort.ToString(CultureInfo.InvariantCulture), "--server", "stream", "--", .. ticketsStdio]);
            await mcpProxy.WaitForPortAsync(proxyPort, TimeSpan.FromSeconds(60));
            var superPort = ChildProcess.FreePort();
            var supergateway = Start("supergateway", true, ["node", Path.Combine(peers, "supergateway", "dist", "index.js"), "--stdio", string.Join(' ', ticketsStdio), "--outputTransport", "streamableHttp", "--stateful", "--port", superPort.ToString(CultureInfo.InvariantCulture), "--logLevel", "none"]);
            await supergateway.WaitForPortAsync(superPort, TimeSpan.FromSeconds(60));

            var member = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
            Target[] targets =
            [
                new("direct", "tickets sample over Streamable HTTP, no gateway (the floor)", new($"http://127.0.0.1:{directPort}/mcp"), "get_ticket", new Dictionary<string, string>(), direct),
                new("passthrough-http", "a bare .NET reverse proxy in front of it (Kestrel in, HttpClient out; no MCP parsing, no governance): the floor for any gateway here", new($"http://127.0.0.1:{passthroughPort}/mcp"), "get_ticket", new Dictionary<string, string>(), passthrough),
                new("portcullis-http", "Portcullis in front of it, all governance on", new($"http://127.0.0.1:{gatewayPort}/mcp"), "tickets__get_ticket", member, gateway),
                new("portcullis-stdio", "Portcullis, tickets over stdio, all governance on", new($"http://127.0.0.1:{gatewayPort}/mcp"), "ticketsio__get_ticket", member, gateway),
                new("portcullis-postgres-http", "Portcullis on a PostgreSQL store in front of the tickets sample over HTTP, all governance on", new($"http://127.0.0.1:{postgresPort}/mcp"), "tickets__get_ticket", new Dictionary<string, string> { ["Authorization"] = "Bearer " + postgresToken }, postgresGateway),
                new("mcp-proxy-stdio", "mcp-proxy 6.7.19, tickets over stdio, no governance", new($"http://127.0.0.1:{proxyPort}/mcp"), "get_ticket", new Dictionary<string, string>(), mcpProxy),
                new("supergateway-stdio", "supergateway 4.0.0 --stateful, tickets over stdio, no governance", new($"http://127.0.0.1:{superPort}/mcp"), "get_ticket", new Dictionary<string, string>(), supergateway),
            ];
            targets = [.. targets.Where(t => (options.Only is null || options.Only.Contains(t.Name)) && (t.Name != "portcullis-postgres-http" || postgresGateway is not null))];

            // Idle: started, servers connected, one agent has listed and called once.
            await using (var first = await LoadRun.ConnectAsync(targets.FirstOrDefault(t => t.Name.StartsWith("portcullis", StringComparison.Ordinal)) ?? new("portcullis-http", "", new($"http://127.0.0.1:{gatewayPort}/mcp"), "tickets__get_ticket", member), ct))
            {
                await first.ListToolsAsync(cancellationToken: ct);
            }

            await Task.Delay(1000, ct);
            var idle = gateway.ResidentBytes();

            // Sessions are counted against the idle gateway: after the load, the collector returning the load's
            // garbage would blur (even reverse) a few megabytes' difference.
            var opened = await OpenSessionsAsync(gatewayPort, token, options.Sessions, ct);
            await Task.Delay(1000, ct);
            var withSessions = gateway.ResidentBytes();

            var results = new List<Measurement>();
            foreach (var c in options.Concurrencies)
            {
                foreach (var target in targets)
                {
                    Console.Error.WriteLine($"# {target.Name} at concurrency {c}…");
                    var measured = await LoadRun.MeasureAsync(target, c, options.Warmup, options.Duration, ct);
                    Console.Error.WriteLine($"#   {measured.CallsPerSecond:0} calls/s, p50 {measured.P50Ms:0.000} ms, p99 {measured.P99Ms:0.000} ms, errors {measured.Errors}{(measured.FirstError is { } e ? " (" + e + ")" : "")}");
                    results.Add(measured);
                }
            }

            var afterLoad = gateway.ResidentBytes();

            var memory = new MemoryFigures(idle, afterLoad, opened, withSessions);
            var report = Report.Build(options, targets, results, memory);
            var folder = options.Output ?? Path.Combine(repo, "bench", "results");
            Directory.CreateDirectory(folder);
            var name = (LoadRun.Protocol is null ? "load-negotiated" : "load") + (pinning is null ? "" : "-pinned") + (postgresGateway is null ? "" : "-postgres");
            await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), report.Json, ct);
            await File.WriteAllTextAsync(Path.Combine(folder, name + ".md"), report.Markdown, ct);
            Console.WriteLine(report.Markdown);
            Console.Error.WriteLine($"# wrote {Path.Combine(folder, name)}.json and .md");
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return 1;
        }
        finally
        {
            foreach (var child in Enumerable.Reverse(children))
            {
                await child.DisposeAsync();
            }

            // The gateway's database holds an audit record per measured call: hundreds of megabytes a run.
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"# could not remove {work}: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// Everything on: member tokens (auth is required), 1,000 policy rules with argument constraints, pinned tool
    /// definitions, result inspection (injection and secrets), the durable hash-chained audit with signed checkpoints;
    /// with <paramref name="budget"/>, a daily budget charged in the store on every call.
    /// </summary>
    private static string GatewayConfig(int port, int directPort, string[] ticketsStdio, int? budget)
    {
        var yaml = new StringBuilder($"""
            gateway:
              listen: http://127.0.0.1:{port}
            audit:
              checkpointEvery: 1000
              checkpointInterval: 10s
            servers:
              - id: tickets
                preapproved: true
                transport: http
                url: http://127.0.0.1:{directPort}/mcp
                inspect: {"{"} injection: annotate, secrets: redact {"}"}
              - id: ticketsio
                preapproved: true
                command: {ticketsStdio[0]}
                args: [{string.Join(", ", ticketsStdio.Skip(1).Select(a => $"\"{a}\""))}]
                inspect: {"{"} injection: annotate, secrets: redact {"}"}
            policy:
              rules:

            """);
        // 999 rules for other teams (some naming the very tools measured), then the one that lets the benchmark's member read tickets.
        for (var i = 0; i < 999; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"    - id: filler-{i}\n      roles: [team{i % 37}]\n      tools: [\"tickets__op{i}_*\", \"ticketsio__get_*\"]\n");
            if (i % 3 == 0)
            {
                yaml.Append("      arguments:\n        repo: { prefix: \"acme/\" }\n        count: { min: 1, max: 100 }\n");
            }
        }

        yaml.Append("    - id: bench-read\n      roles: [bench]\n      tools: [tickets__get_ticket, ticketsio__get_ticket]\n      arguments:\n        id: { min: 1, max: 1000000 }\n");
        if (budget is { } daily)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  budget:\n    daily: {daily}\n");
        }

        return yaml.ToString();
    }

    private static async Task<string> IssueTokenAsync(string cli, string config, CancellationToken ct)
    {
        await using var issue = ChildProcess.Start("token issue", "dotnet", [cli, "token", "issue", "--config", config, "--member", "bench", "--roles", "bench", "--ttl", "8h"]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (MemberToken().Match(issue.Tail) is { Success: true } match)
            {
                return match.Value;
            }

            await Task.Delay(100, ct);
        }

        throw new InvalidOperationException("could not issue a member token:\n" + issue.Tail);
    }

    private static async Task WaitReadyAsync(int port, CancellationToken ct)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{port}/readyz", ct);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException("the gateway's servers did not become ready");
    }

    /// <summary>Opens <paramref name="count"/> MCP sessions (initialize + initialized) and leaves them open; returns how many opened.</summary>
    private static async Task<int> OpenSessionsAsync(int port, string token, int count, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        http.DefaultRequestHeaders.Accept.ParseAdd("text/event-stream");
        var opened = 0;
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"idle","version":"1"}}}""";
                using var response = await http.PostAsync("mcp", new StringContent(initialize, Encoding.UTF8, "application/json"), ct);
                await response.Content.ReadAsStringAsync(ct);
                if (response.IsSuccessStatusCode && response.Headers.TryGetValues("Mcp-Session-Id", out var ids))
                {
                    using var initialized = new HttpRequestMessage(HttpMethod.Post, "mcp") { Content = new StringContent("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", Encoding.UTF8, "application/json") };
                    initialized.Headers.Add("Mcp-Session-Id", ids.First());
                    initialized.Headers.Add("MCP-Protocol-Version", "2025-06-18");
                    using var done = await http.SendAsync(initialized, ct);
                    if (done.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref opened);
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return opened;
    }

    private static string FindRepo()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Portcullis.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository (bench/run does)");
    }

    private static string Built(string repo, string project, string file)
    {
        var path = Path.Combine(repo, "artifacts", "bin", project, "release", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: bench/run builds it (dotnet build -c Release)");
    }

    [GeneratedRegex(@"pcm_[A-Za-z0-9_-]+")]
    private static partial Regex MemberToken();
}
