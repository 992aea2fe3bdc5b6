using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portcullis.Load;

/// <summary>
/// The floor for any gateway on this machine: a bare reverse proxy (Kestrel in, a pooled HttpClient out) that copies
/// each request and response, SSE streams included, without parsing MCP or governing anything. Run by the harness as
/// its own process, so its CPU is measured the way the gateway's is.
/// </summary>
internal static class Passthrough
{
    /// <summary>Request headers an MCP agent's call depends on; everything else (Authorization above all) stays here.</summary>
    private static readonly string[] ForwardedRequestHeaders = ["Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Last-Event-ID"];

    private static readonly string[] ForwardedResponseHeaders = ["Mcp-Session-Id", "Cache-Control"];

    public static async Task<int> RunAsync(int port, Uri upstream, CancellationToken ct)
    {
        // Content root at the binaries, as in the samples' host: not a recursive watch on the gateway's working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

        app.Map("/mcp", async context =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), upstream);
            if (HttpMethods.IsPost(context.Request.Method))
            {
                request.Content = new StreamContent(context.Request.Body);
                request.Content.Headers.ContentLength = context.Request.ContentLength;
                request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
            }

            foreach (var name in ForwardedRequestHeaders)
            {
                if (context.Request.Headers.TryGetValue(name, out var value))
                {
                    request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value!);
                }
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var name in ForwardedResponseHeaders)
            {
                if (response.Headers.TryGetValues(name, out var values))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            if (response.Content.Headers.ContentLength is { } length)
            {
                context.Response.ContentLength = length;
            }

            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            }
        });

        await app.RunAsync(ct);
        return 0;
    }
}
