using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Portcullis.Gateway;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>OTLP export to a collector: here a loopback receiver that records what the exporters post.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Traces_and_metrics_are_pushed_over_otlp_when_an_endpoint_is_configured()
    {
        var ct = TestContext.Current.CancellationToken;
        var traces = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var metrics = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            // OTLP/HTTP protobuf: the strings we look for are stored as UTF-8 bytes.
            var text = Encoding.UTF8.GetString(body.ToArray());
            // Metrics are pushed periodically from start-up; wait for a push made after the call.
            if (signal == "traces" || text.Contains("portcullis.calls", StringComparison.Ordinal))
            {
                (signal == "traces" ? traces : metrics).TrySetResult($"{context.Request.ContentType}|{text}");
            }
            return Results.Ok();
        });
        await collector.StartAsync(ct);

        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync($"""
            telemetry:
              otlpEndpoint: {collector.ListeningAddress()}/
              exportInterval: 500ms
            servers:
            {Yaml.Http("kb", upstream.Url)}
            """, ct);
        await using (var client = await gateway.ConnectAsync(cancellationToken: ct))
        {
            await client.CallToolAsync("kb__status", cancellationToken: ct);
        }

        var trace = await traces.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.StartsWith("application/x-protobuf", trace);
        Assert.Contains("tools/call kb__status", trace);
        Assert.Contains("portcullis", trace);

        var metric = await metrics.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains("portcullis.calls", metric);
    }
}
