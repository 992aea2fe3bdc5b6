using System.Text.RegularExpressions;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>
/// The official conformance suite (stable and 0.2.0 alpha) against our fixture server directly and through the
/// gateway's single-server endpoint: every scenario that passes directly must pass through the gateway.
/// </summary>
public sealed partial class ConformanceTests
{
    [Theory]
    [InlineData("@modelcontextprotocol/conformance")]
    [InlineData("conformance-alpha")]
    public async Task Every_scenario_that_passes_against_the_fixture_passes_through_the_gateway(string suite)
    {
        var ct = TestContext.Current.CancellationToken;
        var cli = Repo.Peer(suite, "dist/index.js");
        await using var fixture = await UpstreamProcess.StartAsync("dotnet", [Repo.ConformanceFixtureDll, "--http", "--urls", "http://127.0.0.1:0"], ct);
        // The suite's client sends no credentials, so this gateway runs in the loopback-only anonymous development mode.
        await using var gateway = await TestGateway.StartAsync($"""
            auth:
              allowAnonymous: true
            servers:
              - id: fixture
                preapproved: true
                command: dotnet
                args: ["{Repo.ConformanceFixtureDll}"]
            """, ct);

        var direct = await RunSuiteAsync(cli, fixture.Url, ct);
        var governed = await RunSuiteAsync(cli, gateway.Url + "/servers/fixture/mcp", ct);

        var report = $"{suite}: fixture directly {Count(direct, true)} passed / {Count(direct, false)} failed checks; " +
                     $"through the gateway {Count(governed, true)} passed / {Count(governed, false)} failed";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        // `make test` prints these files after the run, so the counts appear in every test log.
        var reports = Path.Combine(Repo.Root, "artifacts", "conformance");
        Directory.CreateDirectory(reports);
        await File.WriteAllTextAsync(Path.Combine(reports, suite.Replace('/', '_').Replace("@", "") + ".txt"), report + Environment.NewLine, ct);

        Assert.True(direct.Count >= 25, $"the suite ran too few scenarios to mean anything:\n{string.Join('\n', direct.Keys)}");
        foreach (var (scenario, result) in direct.Where(d => d.Value.Failed == 0))
        {
            Assert.True(governed.TryGetValue(scenario, out var through), $"{scenario} did not run through the gateway");
            Assert.True(through.Failed == 0, $"{scenario} passes against the fixture but fails through the gateway ({through.Failed} failed checks)");
        }
    }

    private static int Count(Dictionary<string, (int Passed, int Failed)> results, bool passed) =>
        results.Values.Sum(r => passed ? r.Passed : r.Failed);

    private static async Task<Dictionary<string, (int Passed, int Failed)>> RunSuiteAsync(string cli, string url, CancellationToken cancellationToken)
    {
        var (_, output) = await NodeTool.RunAsync(cli, ["server", "--url", url], TimeSpan.FromMinutes(8), cancellationToken);
        var results = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (Match match in ScenarioLine().Matches(output))
        {
            results[match.Groups[1].Value] = (int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(results.Count > 0, "the conformance suite printed no summary:\n" + output);
        return results;
    }

    [GeneratedRegex(@"^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed", RegexOptions.Multiline)]
    private static partial Regex ScenarioLine();
}
