using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>What the front door does with hostile or broken HTTP: precise status and JSON-RPC error, and it stays up.</summary>
public sealed class FrontDoorHardeningTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync() =>
        _gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", TestContext.Current.CancellationToken, gatewaySettings: "  maxRequestBodyBytes: 65536");

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private static HttpRequestMessage Post(string body, string path = "/mcp", string? session = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _gateway.Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var isJson = response.Content.Headers.ContentType?.MediaType == "application/json";
        return (response.StatusCode, isJson ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private static int ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetInt32();

    private async Task<string> OpenSessionAsync()
    {
        using var response = await _gateway.Http.SendAsync(Post(AggregateEndpointTests.InitializeBody), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Mcp-Session-Id").Single();
    }

    [Fact]
    public async Task A_foreign_origin_is_refused_with_403_and_a_loopback_origin_is_accepted()
    {
        var hostile = Post(AggregateEndpointTests.InitializeBody);
        hostile.Headers.Add("Origin", "https://evil.example");
        var (status, body) = await SendAsync(hostile);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("origin 'https://evil.example' is not allowed", body.GetProperty("error").GetProperty("message").GetString());

        var local = Post(AggregateEndpointTests.InitializeBody);
        local.Headers.Add("Origin", "http://localhost:6274");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(local)).Status);
    }

    [Fact]
    public async Task A_rebound_host_name_is_refused_with_403()
    {
        var request = Post(AggregateEndpointTests.InitializeBody);
        request.Headers.Host = "attacker.example";
        var (status, body) = await SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("host 'attacker.example' is not allowed", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413_whether_or_not_its_length_is_declared()
    {
        var huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"" + new string('x', 100 * 1024) + "\"}}";
        var (status, body) = await SendAsync(Post(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("65536 bytes", body.GetProperty("error").GetProperty("message").GetString());

        var chunked = Post("");
        chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await SendAsync(chunked)).Status);

        await OpenSessionAsync();
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"initialize","method":"tools/call","params":{}}""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"Method":"initialize","params":{}}""", -32600)]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""", -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":""", -32700)]
    [InlineData("""<xml/>""", -32700)]
    public async Task Malformed_or_ambiguous_json_rpc_gets_400_with_the_json_rpc_code(string body, int code)
    {
        var (status, error) = await SendAsync(Post(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, ErrorCode(error));
        await OpenSessionAsync();
    }

    [Fact]
    public async Task An_unknown_session_is_404_and_a_deleted_session_is_gone()
    {
        var (status, body) = await SendAsync(Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", session: "not-a-session"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(2, body.GetProperty("id").GetInt32());

        var session = await OpenSessionAsync();
        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/mcp");
        delete.Headers.Add("Mcp-Session-Id", session);
        using (var deleted = await _gateway.Http.SendAsync(delete, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Post("""{"jsonrpc":"2.0","id":3,"method":"tools/list"}""", session: session))).Status);
    }

    [Fact]
    public async Task A_session_is_only_valid_on_the_endpoint_that_created_it()
    {
        var session = await OpenSessionAsync();
        var (status, _) = await SendAsync(Post("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", "/servers/tickets/mcp", session));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task A_request_without_a_session_must_be_initialize()
    {
        var (status, body) = await SendAsync(Post("""{"jsonrpc":"2.0","id":5,"method":"tools/list"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("send initialize first", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unsupported_protocol_version_header_is_refused()
    {
        var request = Post(AggregateEndpointTests.InitializeBody);
        request.Headers.Add("MCP-Protocol-Version", "1999-01-01");
        var (status, body) = await SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("2025-11-25", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_client_that_does_not_accept_event_streams_gets_406()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(AggregateEndpointTests.InitializeBody, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        Assert.Equal(HttpStatusCode.NotAcceptable, (await SendAsync(request)).Status);
    }

    [Fact]
    public async Task A_tool_call_with_broken_params_gets_invalid_params_and_the_session_goes_on()
    {
        var session = await OpenSessionAsync();
        var broken = await SendForAnswerAsync(Post("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"id":1}}}""", session: session));
        Assert.Equal(7, broken.GetProperty("id").GetInt32());
        Assert.Equal(-32602, ErrorCode(broken));

        var answered = await SendForAnswerAsync(Post("""{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"tickets__get_ticket","arguments":{"id":1}}}""", session: session));
        Assert.Equal(8, answered.GetProperty("id").GetInt32());
        Assert.Contains("Printer on floor 3", answered.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    /// <summary>Sends a request and returns its answer, sent as a JSON body or as the one event of an event stream.</summary>
    private async Task<JsonElement> SendForAnswerAsync(HttpRequestMessage request)
    {
        using var response = await _gateway.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = Assert.Single(text.Split('\n'), line => line.StartsWith("data: ", StringComparison.Ordinal));
        return JsonDocument.Parse(data["data: ".Length..]).RootElement.Clone();
    }
}
