using Portcullis.Audit;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Limits;
using Portcullis.Registry;
using Portcullis.Storage;
using Portcullis.Storage.Postgres;
using Portcullis.Storage.Sqlite;

namespace Portcullis.IntegrationTests;

/// <summary>
/// Both store providers keep the same contract: each test runs on the embedded SQLite file and on a real PostgreSQL
/// server, so a gateway behaves the same whichever it is configured with.
/// </summary>
public sealed class StoreContractTests
{
    /// <summary>One provider's stores on a fresh database.</summary>
    private sealed class Stores : IDisposable
    {
        private readonly List<IDisposable> _owned = [];

        public required IMemberTokenStore Tokens { get; init; }
        public required IKillSwitchStore Kills { get; init; }
        public required IRegistryStore Registry { get; init; }
        public required ISubmittedServerStore Submitted { get; init; }
        public required IAuditStore Audit { get; init; }
        public required IConfigHistoryStore History { get; init; }
        public required IBudgetStore Budgets { get; init; }

        public static async Task<Stores> OpenAsync(string provider, CancellationToken ct)
        {
            if (provider == "postgres")
            {
                var server = await PostgresServer.GetAsync();
                var database = new PostgresDatabase(new PostgresConfig { ConnectionString = server.ConnectionString(await server.CreateDatabaseAsync(ct)) });
                var stores = new Stores
                {
                    Tokens = new PostgresMemberTokenStore(database),
                    Kills = new PostgresKillSwitchStore(database),
                    Registry = new PostgresRegistryStore(database),
                    Submitted = new PostgresSubmittedServerStore(database),
                    Audit = new PostgresAuditStore(database),
                    History = new PostgresConfigHistoryStore(database),
                    Budgets = new PostgresBudgetStore(database),
                };
                stores._owned.AddRange([(IDisposable)stores.Audit, (IDisposable)stores.Budgets, database]);
                return stores;
            }

            var folder = new TempDirectory("portcullis-store-");
            var file = new SqliteDatabase(Path.Combine(folder.Path, "store.db"));
            var sqlite = new Stores
            {
                Tokens = new SqliteMemberTokenStore(file),
                Kills = new SqliteKillSwitchStore(file),
                Registry = new SqliteRegistryStore(file),
                Submitted = new SqliteSubmittedServerStore(file),
                Audit = new SqliteAuditStore(file),
                History = new SqliteConfigHistoryStore(file),
                Budgets = new SqliteBudgetStore(file),
            };
            sqlite._owned.AddRange([(IDisposable)sqlite.Tokens, (IDisposable)sqlite.Audit, folder]);
            return sqlite;
        }

        public void Dispose()
        {
            if (Budgets is IAsyncDisposable writer)
            {
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }
        }
    }

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Member_tokens_are_found_listed_newest_first_and_revoked(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        var older = new MemberToken { Id = "t1", Member = "sam", Roles = ["reader", "support"], Servers = ["kb"], Agent = "cursor", Tenant = "acme", SecretHash = [1, 2, 3], CreatedAt = T0, ExpiresAt = T0.AddDays(30), CreatedBy = "admin" };
        var newer = new MemberToken { Id = "t2", Member = "ops", Kind = SubjectKind.Service, Roles = ["admin"], SecretHash = [4], CreatedAt = T0.AddMinutes(1), ExpiresAt = T0.AddDays(1), CreatedBy = "admin" };
        await stores.Tokens.AddAsync(older, ct);
        await stores.Tokens.AddAsync(newer, ct);

        var found = await stores.Tokens.FindAsync("t1", ct);
        Assert.NotNull(found);
        Assert.Equal((older.Member, older.Agent, older.Tenant, older.CreatedAt, older.ExpiresAt), (found.Member, found.Agent, found.Tenant, found.CreatedAt, found.ExpiresAt));
        Assert.Equal(older.Roles, found.Roles);
        Assert.Equal(older.Servers, found.Servers);
        Assert.Equal(older.SecretHash, found.SecretHash);
        Assert.Equal(SubjectKind.Service, (await stores.Tokens.FindAsync("t2", ct))!.Kind);
        Assert.Null((await stores.Tokens.FindAsync("t2", ct))!.Servers);
        Assert.Null(await stores.Tokens.FindAsync("nope", ct));
        Assert.Equal(["t2", "t1"], (await stores.Tokens.ListAsync(ct)).Select(t => t.Id));

        Assert.True(await stores.Tokens.AnyActiveWithRoleAsync("admin", T0.AddHours(1), ct));
        Assert.False(await stores.Tokens.AnyActiveWithRoleAsync("admin", T0.AddDays(2), ct));
        Assert.True(await stores.Tokens.AnyActiveWithRoleAsync("support", T0.AddHours(1), ct));
        Assert.True(await stores.Tokens.RevokeAsync("t2", T0.AddHours(2), ct));
        Assert.True(await stores.Tokens.RevokeAsync("t2", T0.AddHours(3), ct));
        Assert.Equal(T0.AddHours(2), (await stores.Tokens.FindAsync("t2", ct))!.RevokedAt);
        Assert.False(await stores.Tokens.AnyActiveWithRoleAsync("admin", T0.AddHours(1), ct));
        Assert.False(await stores.Tokens.RevokeAsync("nope", T0, ct));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Kill_switches_are_engaged_again_over_themselves_and_released_once(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        await stores.Kills.EngageAsync(new KillSwitch(KillTarget.Server, "kb", T0, "ops", null), ct);
        await stores.Kills.EngageAsync(new KillSwitch(KillTarget.Tool, "kb__lookup", T0.AddMinutes(1), "ops", "first"), ct);
        await stores.Kills.EngageAsync(new KillSwitch(KillTarget.Tool, "kb__lookup", T0.AddMinutes(2), "lead", "second"), ct);

        Assert.Equal(
            [new KillSwitch(KillTarget.Server, "kb", T0, "ops", null), new KillSwitch(KillTarget.Tool, "kb__lookup", T0.AddMinutes(2), "lead", "second")],
            await stores.Kills.ListAsync(ct));
        Assert.True(await stores.Kills.ReleaseAsync(KillTarget.Tool, "kb__lookup", ct));
        Assert.False(await stores.Kills.ReleaseAsync(KillTarget.Tool, "kb__lookup", ct));
        Assert.Equal(["kb"], (await stores.Kills.ListAsync(ct)).Select(k => k.Id));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task An_approval_replaces_a_servers_pins_and_its_record(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        await stores.Registry.SaveServerAsync(new ServerRecord("kb", ServerState.Proposed, null, null, null, T0), ct);
        var approved = new ServerRecord("kb", ServerState.Approved, "lead", T0.AddMinutes(5), "reviewed", T0.AddMinutes(5));
        await stores.Registry.ApproveAsync(approved, [new Pin("tool", "lookup", "h1", "{}"), new Pin("tool", "status", "h2", "{}")], "+ lookup\n+ status", ct);
        await stores.Registry.ApproveAsync(approved, [new Pin("tool", "lookup", "h3", "{\"a\":1}")], "~ lookup", ct);
        await stores.Registry.SaveServerAsync(new ServerRecord("docs", ServerState.Suspended, null, null, null, T0), ct);

        Assert.Equal([approved, new ServerRecord("docs", ServerState.Suspended, null, null, null, T0)], (await stores.Registry.ListServersAsync(ct)).OrderByDescending(r => r.Id));
        var pins = await stores.Registry.ListPinsAsync(ct);
        Assert.Equal([new Pin("tool", "lookup", "h3", "{\"a\":1}")], pins["kb"]);
        Assert.False(pins.ContainsKey("docs"));

        await stores.Submitted.AddAsync(new ServerConfig { Id = "crm", Transport = ServerTransport.Http, Url = new Uri("https://crm.example.com/mcp") }, "sam", ct);
        Assert.Equal(new Uri("https://crm.example.com/mcp"), Assert.Single(await stores.Submitted.ListAsync(ct)).Url);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_audit_chain_is_queried_pruned_and_checkpointed_alike(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        Assert.Null(await stores.Audit.HeadAsync(ct));
        (string Kind, string Subject, string Target, string Outcome)[] rows =
        [
            ("tools/call", "sam", "kb__lookup", "success"),
            ("tools/call", "sam", "kb__status", "denied"),
            ("tools/list", "ops", "kb", "success"),
            ("tools/call", "ops", "kb_lookup", "limited"),
            ("admin:kill", "lead", "kb%lookup", "success"),
        ];
        var hash = AuditChain.Genesis;
        var linked = new List<LinkedAuditRecord>();
        for (var i = 0; i < rows.Length; i++)
        {
            var record = new AuditRecord { Time = T0.AddMinutes(i), Kind = rows[i].Kind, Subject = rows[i].Subject, Target = rows[i].Target, Outcome = rows[i].Outcome };
            linked.Add(AuditChain.LinkForStorage(record, i + 1, hash));
            hash = linked[^1].Record.Hash;
        }

        await stores.Audit.AppendAsync(linked[..2], ct);
        await stores.Audit.AppendAsync(linked[2..], ct);
        async Task<long[]> Seqs(AuditQuery query) => (await stores.Audit.QueryAsync(query, ct)).Select(r => r.Seq).ToArray();

        Assert.Equal(new long[] { 1, 2 }, await Seqs(new AuditQuery { Subject = "sam" }));
        Assert.Equal(new long[] { 1, 2, 4 }, await Seqs(new AuditQuery { Kind = "tools/c*" }));
        Assert.Equal(new long[] { 1 }, await Seqs(new AuditQuery { Target = "kb__l?okup" }));
        Assert.Equal(new long[] { 5 }, await Seqs(new AuditQuery { Target = "kb%lookup" }));
        Assert.Equal(new long[] { 2, 4 }, await Seqs(new AuditQuery { Outcome = "denied" }));
        Assert.Equal(new long[] { 4, 5 }, await Seqs(new AuditQuery { Since = T0.AddMinutes(3) }));
        Assert.Equal(new long[] { 3, 4 }, await Seqs(new AuditQuery { AfterSeq = 2, Limit = 2 }));
        Assert.Equal(new long[] { 4, 5 }, await Seqs(new AuditQuery { Newest = true, Limit = 2 }));
        Assert.Equal(linked[4].Record.Hash, (await stores.Audit.HeadAsync(ct))?.Hash);
        Assert.Equal(linked.Select(l => l.Record.Hash), (await ToListAsync(stores.Audit.ReadAllAsync(ct))).Select(r => r.Hash));

        await stores.Audit.AddCheckpointAsync(new Checkpoint(5, hash, T0.AddMinutes(10), "key-1", "sig"), ct);
        await stores.Audit.PruneAsync(2, ct);
        Assert.Equal([3L, 4, 5], (await ToListAsync(stores.Audit.ReadAllAsync(ct))).Select(r => r.Seq));
        Assert.Equal([new Checkpoint(5, hash, T0.AddMinutes(10), "key-1", "sig")], await stores.Audit.ListCheckpointsAsync(ct));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Configuration_history_lists_the_newest_first(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        await stores.History.RecordAsync(new ConfigHistoryEntry("v1", "a.yaml", T0, true, "started"), ct);
        await stores.History.RecordAsync(new ConfigHistoryEntry("v2", "a.yaml", T0.AddMinutes(1), false, "line 3: unknown key"), ct);
        await stores.History.RecordAsync(new ConfigHistoryEntry("v3", "a.yaml", T0.AddMinutes(2), true, "reloaded"), ct);

        Assert.Equal(
            [new ConfigHistoryEntry("v3", "a.yaml", T0.AddMinutes(2), true, "reloaded"), new ConfigHistoryEntry("v2", "a.yaml", T0.AddMinutes(1), false, "line 3: unknown key")],
            await stores.History.ListAsync(2, ct));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_budget_is_charged_up_to_its_limit_per_day_and_concurrent_charges_never_exceed_it(string provider)
    {
        var ct = TestContext.Current.CancellationToken;
        using var stores = await Stores.OpenAsync(provider, ct);
        var today = new DateOnly(2026, 12, 2);

        Assert.Equal(3, await stores.Budgets.TryChargeAsync("alice", today, 3, 10, ct));
        Assert.Equal(10, await stores.Budgets.TryChargeAsync("alice", today, 7, 10, ct));
        Assert.Null(await stores.Budgets.TryChargeAsync("alice", today, 1, 10, ct));
        Assert.Null(await stores.Budgets.TryChargeAsync("bob", today, 11, 10, ct)); // more than a whole day's budget
        Assert.Equal(10, await stores.Budgets.SpentAsync("alice", today, ct));
        Assert.Equal(0, await stores.Budgets.SpentAsync("bob", today, ct));
        Assert.Equal(1, await stores.Budgets.TryChargeAsync("alice", today.AddDays(1), 1, 10, ct)); // a new day

        // 40 charges of 1 at once against a budget of 25: exactly 25 are granted, whatever order they land in.
        var charges = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => stores.Budgets.TryChargeAsync("carol", today, 1, 25, ct).AsTask(), ct)));
        Assert.Equal(25, charges.Count(c => c is not null));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long?)i), charges.Where(c => c is not null).Order());
        Assert.Equal(25, await stores.Budgets.SpentAsync("carol", today, ct));

        // 30 charges of 2 at once that all fit: each is granted once, and each sees the total its own charge made.
        var fitting = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Task.Run(() => stores.Budgets.TryChargeAsync("dave", today, 2, 100, ct).AsTask(), ct)));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long?)(2 * i)), fitting.Order());
        Assert.Equal(60, await stores.Budgets.SpentAsync("dave", today, ct));

        Assert.Equal([new BudgetSpent("dave", 60), new BudgetSpent("carol", 25), new BudgetSpent("alice", 10)], await stores.Budgets.ListAsync(today, ct));
        Assert.Equal(3, await stores.Budgets.PruneAsync(today.AddDays(1), ct));
        Assert.Empty(await stores.Budgets.ListAsync(today, ct));
        Assert.Equal([new BudgetSpent("alice", 1)], await stores.Budgets.ListAsync(today.AddDays(1), ct));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
