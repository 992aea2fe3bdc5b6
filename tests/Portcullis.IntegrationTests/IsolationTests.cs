using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using ModelContextProtocol.Client;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Least privilege for stdio servers, checked from inside the process by a server that reports what it can reach.</summary>
public sealed class IsolationTests
{
    [Fact]
    public async Task A_stdio_server_works_in_its_own_directory_within_its_declared_limits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($$"""
            servers:
            {{Yaml.ProbeStdio(extra: "    isolation: { memory: 96MiB, cpuTime: 30s, openFiles: 128, processes: 200 }")}}
            {{Yaml.ProbeStdio("plain")}}
            """, ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        var limited = await ProbeAsync(client, "probe", [], ct);
        Assert.Equal(Path.Combine(gateway.Directory, "servers", "probe"), limited.GetProperty("cwd").GetString());
        var limits = limited.GetProperty("limits");
        Assert.Equal("100663296", limits.GetProperty("Max data size").GetString());
        Assert.Equal("30", limits.GetProperty("Max cpu time").GetString());
        Assert.Equal("128", limits.GetProperty("Max open files").GetString());
        Assert.Equal("200", limits.GetProperty("Max processes").GetString());

        // Past the memory limit the allocation fails (or the runtime aborts and the call reports the lost connection).
        var allocation = await client.CallToolAsync("probe__probe", new Dictionary<string, object?> { ["allocateMiB"] = 200 }, cancellationToken: ct);
        Assert.DoesNotContain("allocated", AggregateEndpointTests.Text(allocation));
        if (allocation.IsError is true)
        {
            Assert.Matches("^Server 'probe' (closed the connection|failed) during the request", AggregateEndpointTests.Text(allocation));
        }

        // The same server without limits: its own directory too, and the allocation succeeds.
        var plain = await ProbeAsync(client, "plain", new() { ["allocateMiB"] = 200 }, ct);
        Assert.Equal(Path.Combine(gateway.Directory, "servers", "plain"), plain.GetProperty("cwd").GetString());
        Assert.Equal("allocated 200 MiB", plain.GetProperty("allocate").GetString());
        Assert.Equal("unlimited", plain.GetProperty("limits").GetProperty("Max data size").GetString());
    }

    [Fact]
    public async Task A_server_declared_without_network_and_with_a_read_only_filesystem_cannot_connect_write_or_read_the_gateway_s_data()
    {
        var ct = TestContext.Current.CancellationToken;
        if (!OnPath("bwrap") && Environment.GetEnvironmentVariable("CI") is null)
        {
            Assert.Skip("bubblewrap is not installed on this machine (.ci/run installs it; apt-get install bubblewrap)");
        }

        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var target = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        await using var gateway = await TestGateway.StartAsync($$"""
            servers:
            {{Yaml.ProbeStdio("confined", "    isolation: { network: false, filesystem: readonly }")}}
            {{Yaml.ProbeStdio("open")}}
            """, ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var database = Path.Combine(gateway.Directory, "gateway.db");
        var outside = Path.Combine(Repo.Root, "artifacts", "written-by-server-" + Guid.NewGuid().ToString("N"));
        var probe = new Dictionary<string, object?> { ["connect"] = target, ["read"] = database, ["write"] = outside };

        // Unconfined, the same probe reaches all three: the checks below can fail.
        var open = await ProbeAsync(client, "open", probe, ct);
        Assert.Equal("connected", open.GetProperty("connect").GetString());
        Assert.StartsWith("read ", open.GetProperty("read").GetString());
        Assert.NotEqual("read 0 bytes", open.GetProperty("read").GetString());
        Assert.Equal("written", open.GetProperty("write").GetString());
        File.Delete(outside);

        var confined = await ProbeAsync(client, "confined", probe, ct);
        // Its network namespace has only its own loopback, where nothing listens.
        Assert.Equal("ECONNREFUSED", confined.GetProperty("connect").GetString());
        Assert.Equal("ENOENT", confined.GetProperty("read").GetString());
        Assert.Equal("EROFS", confined.GetProperty("write").GetString());
        Assert.False(File.Exists(outside));
        var config = (await ProbeAsync(client, "confined", new() { ["read"] = gateway.ConfigPath }, ct)).GetProperty("read").GetString();
        Assert.True(config is "ENOENT" or "EACCES" or "read 0 bytes", $"the configuration file was readable: {config}");

        // /tmp is read-only too; its own working directory, where TMPDIR points, stays writable.
        Assert.Equal("EROFS", (await ProbeAsync(client, "confined", new() { ["write"] = "/tmp/portcullis-probe-" + Guid.NewGuid().ToString("N") }, ct)).GetProperty("write").GetString());
        var own = await ProbeAsync(client, "confined", new() { ["write"] = "notes.txt" }, ct);
        Assert.Equal("written", own.GetProperty("write").GetString());
        Assert.True(File.Exists(Path.Combine(gateway.Directory, "servers", "confined", "notes.txt")));
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_a_server_whose_confinement_this_host_cannot_provide()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("portcullis-nobwrap-");
        var directory = temp.Path;
        var config = Path.Combine(directory, "portcullis.yaml");
        await File.WriteAllTextAsync(config, TestGateway.Compose($"servers:\n{Yaml.ProbeStdio(extra: "    isolation: { network: false }")}"), ct);

        // Without bubblewrap on PATH (the gateway looks it up there), the declaration cannot be honoured.
        var dotnet = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "dotnet")).First(File.Exists);
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Repo.CliDll, "serve", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = "/nonexistent";
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("Refusing to start: server 'probe' declares no network, which needs bubblewrap ('bwrap')", error);
    }

    private static async Task<JsonElement> ProbeAsync(McpClient client, string server, Dictionary<string, object?> arguments, CancellationToken ct)
    {
        var result = await client.CallToolAsync(server + "__probe", arguments, cancellationToken: ct);
        Assert.True(result.IsError is not true, AggregateEndpointTests.Text(result));
        return JsonDocument.Parse(AggregateEndpointTests.Text(result)).RootElement.Clone();
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));
}
