using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Policy;

namespace Portcullis.Benchmarks;

/// <summary>
/// One policy decision against 1,000 rules (50 servers × 20 rules, patterns, argument constraints, a deny rule per
/// server), for an allowed call with arguments and for a denied one. Baseline: the same decision against one rule.
/// </summary>
[MemoryDiagnoser]
public class PolicyDecisionBenchmarks
{
    private PolicyEngine _thousand = null!;
    private PolicyEngine _one = null!;
    private PolicyEngine _crowded = null!;
    private PolicyRequest _allowed = null!;
    private PolicyRequest _denied = null!;

    [GlobalSetup]
    public void Setup()
    {
        var yaml = new StringBuilder("servers:\n");
        for (var s = 0; s < 50; s++)
        {
            yaml.Append($"  - id: server{s}\n    command: x\n");
        }

        yaml.Append("policy:\n  rules:\n");
        for (var s = 0; s < 50; s++)
        {
            for (var r = 0; r < 19; r++)
            {
                yaml.Append($"    - id: r{s}-{r}\n      roles: [role{r % 7}, team{s % 5}]\n      tools: [server{s}__op{r}_*, server{s}__get_{r}]\n");
                if (r % 3 == 0)
                {
                    yaml.Append("      arguments:\n        repo: { prefix: \"acme/\" }\n        count: { min: 1, max: 100 }\n");
                }
            }

            yaml.Append($"    - id: deny{s}\n      roles: [\"*\"]\n      tools: [server{s}__delete_*]\n      effect: deny\n");
        }

        var config = ConfigLoader.Parse(yaml.ToString());
        _thousand = new PolicyEngine(config.Policy, "bench");
        _one = new PolicyEngine(config.Policy with { Rules = [config.Policy.Rules.First(r => r.Id == "r25-3")] }, "bench");
        // 999 rules naming the very tool for other teams, then the one for the caller's role.
        var crowded = new StringBuilder("servers:\n  - id: server25\n    command: x\npolicy:\n  rules:\n");
        for (var i = 0; i < 999; i++)
        {
            crowded.Append($"    - id: other{i}\n      roles: [other{i % 37}]\n      tools: [server25__op3_*]\n");
        }

        crowded.Append("    - id: r25-3\n      roles: [role3]\n      tools: [server25__op3_*]\n");
        _crowded = new PolicyEngine(ConfigLoader.Parse(crowded.ToString()).Policy, "bench");
        var principal = new Principal { Subject = "alice", Roles = ["role3", "team0"], Method = AuthenticationMethod.MemberToken, Issuer = "portcullis" };
        var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"repo":"acme/portal","count":7}""")!;
        _allowed = new PolicyRequest { Principal = principal, ServerId = "server25", Name = "op3_list", Arguments = arguments };
        _denied = new PolicyRequest { Principal = principal, ServerId = "server25", Name = "delete_repo", Arguments = arguments };
        if (_thousand.Decide(_allowed).Effect != PolicyEffect.Allow || _thousand.Decide(_denied).Effect != PolicyEffect.Deny || _thousand.Decide(_allowed).RuleId != "r25-3" || _crowded.Decide(_allowed).RuleId != "r25-3")
        {
            throw new InvalidOperationException("the benchmark policy does not decide as intended");
        }
    }

    [Benchmark(Baseline = true)]
    public PolicyDecision AllowedOneRule() => _one.Decide(_allowed);

    [Benchmark]
    public PolicyDecision AllowedThousandRules() => _thousand.Decide(_allowed);

    [Benchmark]
    public PolicyDecision DeniedThousandRules() => _thousand.Decide(_denied);

    /// <summary>1,000 rules whose patterns all match the tool, 999 of them for roles the caller lacks.</summary>
    [Benchmark]
    public PolicyDecision AllowedThousandRulesOnTheSameTool() => _crowded.Decide(_allowed);
}
