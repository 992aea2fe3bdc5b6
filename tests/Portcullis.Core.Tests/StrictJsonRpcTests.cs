using System.Buffers;
using System.Text;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.McpHttp;

namespace Portcullis.Core.Tests;

public sealed class StrictJsonRpcTests
{
    private static JsonRpcMessage? Parse(string json, out JsonRpcErrorDetail? error) =>
        StrictJsonRpc.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), out error);

    [Fact]
    public void A_well_formed_request_parses()
    {
        var message = Parse("""{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}""", out var error);
        Assert.Null(error);
        var request = Assert.IsType<JsonRpcRequest>(message);
        Assert.Equal("tools/list", request.Method);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}""", "duplicate")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"Method":"tools/list"}""", "case-sensitive")]
    [InlineData("""{"JSONRPC":"2.0","id":1,"method":"tools/list"}""", "case-sensitive")]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"tools/list"}""", "2.0")]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""", "batches")]
    [InlineData("""{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}""", "id")]
    [InlineData("42", "object")]
    public void Ambiguous_or_wrong_messages_are_invalid_requests(string json, string reason)
    {
        Assert.Null(Parse(json, out var error));
        Assert.Equal((int)McpErrorCode.InvalidRequest, error!.Code);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,""")]
    [InlineData("not json")]
    [InlineData("")]
    public void Malformed_json_is_a_parse_error(string json)
    {
        Assert.Null(Parse(json, out var error));
        Assert.Equal((int)McpErrorCode.ParseError, error!.Code);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get","arguments":{"id":"T-1","n":[1,2.50,null]},"_meta":{"progressToken":"p"}}}""")]
    [InlineData("""{"id":"abc","method":"ping","jsonrpc":"2.0"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/list","params":{}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"é \"q\" \ud83d\ude80"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"odd","params":[1,2]}""")]
    [InlineData("""{"jsonrpc":"2.0","method":"notifications/initialized"}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{}}""")]
    public void Messages_read_as_the_SDK_reads_them(string json)
    {
        var message = Parse(json, out var error);
        Assert.Null(error);
        var sdk = System.Text.Json.JsonSerializer.Deserialize<JsonRpcMessage>(json, McpJsonUtilities.DefaultOptions)!;
        Assert.IsType(sdk.GetType(), message);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(sdk, McpJsonUtilities.DefaultOptions),
            System.Text.Json.JsonSerializer.Serialize(message, McpJsonUtilities.DefaultOptions));
    }

    [Fact]
    public void A_request_id_that_is_not_a_whole_number_is_an_invalid_request()
    {
        Assert.Null(Parse("""{"jsonrpc":"2.0","id":1.5,"method":"ping"}""", out var error));
        Assert.Equal((int)McpErrorCode.InvalidRequest, error!.Code);
    }
}
