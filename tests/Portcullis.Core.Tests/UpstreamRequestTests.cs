using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.Pipeline.Stages;

namespace Portcullis.Core.Tests;

public class UpstreamRequestTests
{
    [Theory]
    [InlineData("""{"name":"get_ticket","arguments":{"id":"T-1","fields":["a",null,2.50],"options":{"deep":{"x":true}},"none":null,"text":"é \"q\" \ud83d\ude80"}}""")]
    [InlineData("""{"name":"list_tickets","arguments":{}}""")]
    [InlineData("""{"name":"ping"}""")]
    public void The_upstream_gets_the_agents_arguments_as_the_typed_params_would_carry_them(string agentParams)
    {
        var typed = JsonSerializer.Deserialize<CallToolRequestParams>(agentParams, McpJsonUtilities.DefaultOptions)!;
        JsonObject Meta() => new() { ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };

        var built = UpstreamStage.ToolCallParams("tickets_get", typed.Arguments, Meta());
        var serialized = JsonSerializer.SerializeToNode(new CallToolRequestParams { Name = "tickets_get", Arguments = typed.Arguments, Meta = Meta() }, McpJsonUtilities.DefaultOptions);

        Assert.True(JsonNode.DeepEquals(serialized, JsonNode.Parse(built.ToJsonString())), built.ToJsonString());
        Assert.Equal("tickets_get", built["name"]!.GetValue<string>());
    }
}
