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
}
