using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModelContextProtocol.Client;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>A gateway process killed with SIGKILL under load loses no record of a call its client saw succeed.</summary>
public sealed partial class AuditCrashTests
{
    [Fact]
    public async Task After_a_sigkill_under_load_every_acknowledged_call_is_in_a_chain_that_verifies()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("portcullis-crash-");
        var directory = temp.Path;
        var config = Path.Combine(directory, "portcullis.yaml");
        await File.WriteAllTextAsync(config, TestGateway.Compose($"servers:\n{Yaml.TicketsStdio()}"), ct);

        var (first, url, adminToken) = await StartGatewayAsync(config, ct);
        var acknowledged = new ConcurrentBag<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var load = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(url + "/mcp"),
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + adminToken },
            }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: load.Token);
            for (var i = 0; !load.IsCancellationRequested; i++)
            {
                var title = $"crash-{worker}-{i}";
                try
                {
                    var result = await client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = title }, cancellationToken: load.Token);
                    if (result.IsError != true)
                    {
                        acknowledged.Add(title);
                        if (acknowledged.Count >= 150)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
                catch (Exception)
                {
                    return; // the gateway died under this call: it was never acknowledged
                }
            }
        }, CancellationToken.None)).ToArray();

        // Kill once a good number of calls have been acknowledged, while the load goes on.
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(90), ct);
        first.Kill(); // SIGKILL: no shutdown hooks, no flush
        await first.WaitForExitAsync(ct);
        await load.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(acknowledged.Count >= 150, $"only {acknowledged.Count} calls were acknowledged before the kill");

        var (second, url2, _) = await StartGatewayAsync(config, ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url2) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            var verdict = JsonDocument.Parse(await http.GetStringAsync("/admin/api/audit/verify", ct)).RootElement;
            Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());

            var records = JsonDocument.Parse(await http.GetStringAsync("/admin/api/audit?kind=tools/call&outcome=success&limit=10000", ct)).RootElement.GetProperty("records");
            var recorded = records.EnumerateArray().Select(r => JsonDocument.Parse(r.GetProperty("arguments").GetString()!).RootElement.GetProperty("title").GetString()!).ToHashSet();
            var missing = acknowledged.Where(t => !recorded.Contains(t)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged calls have no record, e.g. {string.Join(", ", missing.Take(5))}");
            TestContext.Current.TestOutputHelper?.WriteLine($"killed after {acknowledged.Count} acknowledged calls; all recorded; chain of {verdict.GetProperty("records").GetInt32()} records verifies");
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync(ct);
        }
    }

    private static readonly TaskCompletionSource<string> AdminToken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts <c>portcullis serve</c> as its own process; returns it, its URL and the admin token (printed at first start, reused after).</summary>
    private static async Task<(Process Process, string Url, string AdminToken)> StartGatewayAsync(string config, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Repo.CliDll, "serve", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (MemberToken().Match(e.Data) is { Success: true } token)
            {
                AdminToken.TrySetResult(token.Value);
            }

            if (ConnectLine().Match(e.Data) is { Success: true } m)
            {
                url.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = await url.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        // Printed after the address on the first start; known already on a restart.
        return (process, address, await AdminToken.Task.WaitAsync(TimeSpan.FromSeconds(30), ct));
    }

    [GeneratedRegex(@"Connect an agent to:\s+(http://\S+)/mcp")]
    private static partial Regex ConnectLine();

    [GeneratedRegex(@"pcm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")]
    private static partial Regex MemberToken();
}
