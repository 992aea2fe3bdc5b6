using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using Portcullis.Configuration;
using Portcullis.Scanning;
using Portcullis.Upstreams;

namespace Portcullis.Cli.Commands;

/// <summary>
/// <c>portcullis scan --config FILE --server ID</c> or <c>portcullis scan --url URL</c>: connects to a server the way
/// the gateway would (same isolation for stdio), lists its tools and runs the tool-poisoning scanner, without
/// registering anything. Exit code 3 when a finding blocks approval.
/// </summary>
internal static class ScanCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Configuration file declaring the server." };
        var server = new Option<string?>("--server") { Description = "Id of the server in the configuration." };
        var url = new Option<string?>("--url") { Description = "A live Streamable HTTP server to scan instead." };
        var scan = new Command("scan", "Scan a server's tools for poisoning without registering it.") { config, server, url };
        scan.SetAction(async (parse, ct) =>
        {
            ServerConfig target;
            UpstreamHost host;
            if (parse.GetValue(url) is { } text)
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var live) || (live.Scheme != Uri.UriSchemeHttp && live.Scheme != Uri.UriSchemeHttps))
                {
                    await Console.Error.WriteLineAsync($"error: --url must be an absolute http(s) URL, not '{text}'");
                    return 1;
                }

                target = new ServerConfig { Id = "scanned", Transport = ServerTransport.Http, Url = live };
                host = UpstreamHost.From(new GatewayConfig());
            }
            else if (parse.GetValue(config) is { } file && parse.GetValue(server) is { } id)
            {
                try
                {
                    var loaded = ConfigLoader.LoadFile(file.FullName);
                    target = loaded.FindServer(id) ?? throw new CliException($"no server '{id}' in {file.Name}");
                    host = UpstreamHost.From(loaded);
                }
                catch (Exception ex) when (ex is ConfigException or CliException)
                {
                    await Console.Error.WriteLineAsync("error: " + ex.Message);
                    return 1;
                }
            }
            else
            {
                await Console.Error.WriteLineAsync("error: give --url URL, or --config FILE --server ID");
                return 1;
            }

            await using var connector = new UpstreamConnector(target, host, new NoSessions(), NullLoggerFactory.Instance);
            connector.Start();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(target.ConnectTimeout + TimeSpan.FromSeconds(5));
            try
            {
                await connector.GetClientAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is UpstreamUnavailableException or OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"error: could not reach the server: {connector.DownReason}");
                return 1;
            }

            var tools = connector.Catalog.Tools;
            var names = tools.Select(t => t.Name).ToArray();
            var findings = tools.SelectMany(t => ToolScanner.ScanTool(t, new ScanContext(names, [])).Select(f => f with { Location = $"{t.Name}: {f.Location}" })).ToList();
            Console.WriteLine($"Scanned {tools.Count} tools of '{target.Id}': {(findings.Count == 0 ? "no findings" : $"{findings.Count} findings")}.");
            foreach (var finding in findings.OrderByDescending(f => f.Severity))
            {
                Console.WriteLine($"  {finding.Severity.ToString().ToUpperInvariant(),-8} {finding.Rule} at {finding.Location}: {finding.Reason}");
            }

            return ToolScanner.Blocks(findings) ? 3 : 0;
        });
        return scan;
    }

    /// <summary>A scan has no agent sessions to tell anything.</summary>
    private sealed class NoSessions : IDownstreamRouter
    {
        public ValueTask ForwardNotificationAsync(string serverId, JsonRpcNotification notification, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CatalogChangedAsync(string serverId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask ForwardLogAsync(string serverId, JsonRpcNotification notification, IReadOnlyList<InFlightCall> calls, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
