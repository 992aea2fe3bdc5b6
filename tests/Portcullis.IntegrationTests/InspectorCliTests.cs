using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>The official MCP inspector's CLI, a real client, against the gateway.</summary>
public sealed class InspectorCliTests
{
    private static string Inspector => Repo.Peer("@modelcontextprotocol/inspector", "clients/launcher/build/index.js");

    [Fact]
    public async Task The_inspector_lists_and_calls_governed_tools()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", ct);

        var (listExit, list) = await NodeTool.RunAsync(Inspector, ["--cli", gateway.Url + "/mcp", "--transport", "http", "--header", "Authorization: Bearer " + gateway.Token, "--method", "tools/list"], TimeSpan.FromSeconds(90), ct);
        Assert.True(listExit == 0, list);
        Assert.Contains("\"tickets__create_ticket\"", list);

        var (callExit, call) = await NodeTool.RunAsync(Inspector, ["--cli", gateway.Url + "/mcp", "--transport", "http", "--header", "Authorization: Bearer " + gateway.Token, "--method", "tools/call", "--tool-name", "tickets__get_ticket", "--tool-arg", "id=2"], TimeSpan.FromSeconds(90), ct);
        Assert.True(callExit == 0, call);
        Assert.Contains("VPN drops every hour", call);
    }

    [Fact]
    public async Task The_inspector_sees_an_unknown_tool_refused_by_name()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", ct);

        var (exit, output) = await NodeTool.RunAsync(Inspector, ["--cli", gateway.Url + "/mcp", "--transport", "http", "--header", "Authorization: Bearer " + gateway.Token, "--method", "tools/call", "--tool-name", "tickets__format_disk"], TimeSpan.FromSeconds(90), ct);
        Assert.NotEqual(0, exit);
        Assert.Contains("tickets__format_disk", output);
    }
}
