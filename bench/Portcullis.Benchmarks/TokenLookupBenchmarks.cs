using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Portcullis.Identity;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Benchmarks;

/// <summary>
/// Authenticating one request with a member token against the real SQLite store holding 1,000 tokens, as the
/// gateway does on every request. Baseline: hashing the presented secret, the least any check must do.
/// </summary>
[MemoryDiagnoser]
public class TokenLookupBenchmarks
{
    private string _directory = null!;
    private MemberTokens _tokens = null!;
    private string _token = null!;
    private RevocationEpoch _revocations = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("portcullis-bench-tokens-").FullName;
        var database = new SqliteDatabase(Path.Combine(_directory, "tokens.db"));
        _tokens = new MemberTokens(new SqliteMemberTokenStore(database), TimeProvider.System);
        _revocations = new RevocationEpoch(database.Path);
        for (var i = 0; i < 1000; i++)
        {
            var (token, _) = _tokens.IssueAsync(new MemberTokenRequest { Member = $"member{i}", Roles = ["support"], Lifetime = TimeSpan.FromHours(8) }, "bench", CancellationToken.None).GetAwaiter().GetResult();
            _token = i == 500 ? token : _token;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _revocations.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public byte[] HashOnly() => SHA256.HashData(Encoding.ASCII.GetBytes(_token));

    /// <summary>The usual request: the token's record is kept in memory (no revocation since it was read).</summary>
    [Benchmark]
    public async Task<Principal?> Validate() => (await _tokens.ValidateAsync(_token, CancellationToken.None)).Principal;

    /// <summary>The first request after a revocation anywhere (as another process would advance it): read from SQLite.</summary>
    [Benchmark]
    public async Task<Principal?> ValidateAfterARevocation()
    {
        _revocations.Advance();
        return (await _tokens.ValidateAsync(_token, CancellationToken.None)).Principal;
    }
}
