using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;

namespace Portcullis.Approvals;

/// <summary>
/// Tells the configured webhooks about approval requests and decisions, so chat tools can present them. Each POST is
/// JSON signed with HMAC-SHA256 (<c>X-Portcullis-Signature: sha256=…</c>) and retried with backoff; a failing
/// endpoint never holds up a call.
/// </summary>
public sealed partial class ApprovalWebhooks(GatewayConfigProvider config, HttpClient http, ILogger<ApprovalWebhooks> logger) : IAsyncDisposable
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8)];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Channel<(string Event, ApprovalRequest Request)> _events = Channel.CreateUnbounded<(string, ApprovalRequest)>();
    private Task _sender = Task.CompletedTask;

    /// <summary>Starts delivering.</summary>
    public void Start() => _sender = Task.Run(SendLoopAsync);

    /// <summary>Queues an event.</summary>
    public void Enqueue(string eventName, ApprovalRequest request) => _events.Writer.TryWrite((eventName, request));

    private async Task SendLoopAsync()
    {
        await foreach (var (eventName, request) in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var body = JsonSerializer.Serialize(new { @event = eventName, delivery = Guid.NewGuid().ToString("N"), request }, Json);
            foreach (var hook in config.Current.Approvals.Webhooks)
            {
                await DeliverAsync(hook, eventName, body).ConfigureAwait(false);
            }
        }
    }

    private async Task DeliverAsync(WebhookConfig hook, string eventName, string body)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                message.Headers.Add("X-Portcullis-Event", eventName);
                if (hook.ResolveSecret() is { Length: > 0 } secret)
                {
                    message.Headers.Add("X-Portcullis-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
                }

                using var response = await http.SendAsync(message).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                LogAttemptFailed(hook.Url.GetLeftPart(UriPartial.Path), attempt + 1, $"HTTP {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                LogAttemptFailed(hook.Url.GetLeftPart(UriPartial.Path), attempt + 1, ex.Message);
            }

            if (attempt >= Backoff.Length)
            {
                LogGaveUp(hook.Url.GetLeftPart(UriPartial.Path), eventName);
                return;
            }

            await Task.Delay(Backoff[attempt]).ConfigureAwait(false);
        }
    }

    /// <summary>Delivers what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _sender.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval webhook {Url}: attempt {Attempt} failed: {Reason}")]
    private partial void LogAttemptFailed(string url, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Approval webhook {Url}: gave up delivering {Event}")]
    private partial void LogGaveUp(string url, string @event);
}
