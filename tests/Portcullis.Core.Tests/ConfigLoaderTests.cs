using Portcullis.Configuration;

namespace Portcullis.Core.Tests;

public sealed class ConfigLoaderTests
{
    private const string Valid = """
        gateway:
          listen: http://127.0.0.1:9000
          maxRequestBodyBytes: 1048576
        servers:
          - id: tickets
            command: dotnet
            args: [tickets.dll]
            env: { TICKETS_MODE: demo }
            timeout: 45s
          - id: docs
            transport: http
            url: https://docs.example.com/mcp
            headers: { X-Api-Key: k }
        virtualServers:
          - id: support
            tools: [tickets__list_*, docs__search]
        """;

    [Fact]
    public void A_valid_file_maps_every_setting()
    {
        var config = ConfigLoader.Parse(Valid);

        Assert.Equal("http://127.0.0.1:9000", config.Gateway.Listen);
        Assert.Equal(1048576, config.Gateway.MaxRequestBodyBytes);
        Assert.Equal(2, config.Servers.Count);
        var tickets = config.Servers[0];
        Assert.Equal(ServerTransport.Stdio, tickets.Transport);
        Assert.Equal(["tickets.dll"], tickets.Args);
        Assert.Equal("demo", tickets.Env["TICKETS_MODE"]);
        Assert.Equal(TimeSpan.FromSeconds(45), tickets.RequestTimeout);
        Assert.Equal(new Uri("https://docs.example.com/mcp"), config.Servers[1].Url);
        Assert.Equal("k", config.Servers[1].Headers["X-Api-Key"]);
        Assert.Equal(["tickets__list_*", "docs__search"], config.VirtualServers[0].Tools);
        Assert.Equal(64, config.Version.Length);
    }

    [Fact]
    public void An_unknown_key_is_named_with_its_line()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: tickets
                command: dotnet
                enviroment: { A: b }
            """));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("servers[0].enviroment", error.Key);
        Assert.Equal(4, error.Line);
        Assert.Contains("unknown key", error.Message);
        Assert.Contains("servers[0].enviroment", ex.Message);
    }

    [Fact]
    public void A_postgres_store_is_read_with_the_variable_that_holds_its_password()
    {
        var config = ConfigLoader.Parse("""
            storage:
              postgres:
                connectionString: "Host=db.internal;Database=portcullis;Username=gateway"
                passwordEnv: PORTCULLIS_DB_PASSWORD
            """);

        Assert.Equal("Host=db.internal;Database=portcullis;Username=gateway", config.Storage.Postgres?.ConnectionString);
        Assert.Equal("PORTCULLIS_DB_PASSWORD", config.Storage.Postgres?.PasswordEnv);
    }

    [Theory]
    [InlineData("Host=db;Username=gateway;Password=hunter2", "storage.postgres.connectionString", "must not hold the password")]
    [InlineData("Host=db; pwd = hunter2", "storage.postgres.connectionString", "must not hold the password")]
    [InlineData("", "storage.postgres", "connectionString is required")]
    public void A_postgres_store_with_a_password_in_the_file_or_no_connection_string_is_refused(string connectionString, string key, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"storage:\n  postgres:\n    connectionString: \"{connectionString}\"\n"));
        Assert.Contains(ex.Errors, e => e.Key == key && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_in_the_wrong_case_gets_a_hint()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("servers:\n  - id: a\n    Command: x\n"));
        Assert.Contains(ex.Errors, e => e.Key == "servers[0].Command" && e.Message.Contains("did you mean 'command'"));
    }

    [Fact]
    public void A_bad_value_says_what_is_accepted()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: tickets
                transport: ftp
                url: https://x.example/mcp
                timeout: soon
            """));

        Assert.Contains(ex.Errors, e => e.Key == "servers[0].transport" && e.Line == 3 && e.Message.Contains("stdio, http, sse"));
        Assert.Contains(ex.Errors, e => e.Key == "servers[0].timeout" && e.Line == 5 && e.Message.Contains("duration"));
    }

    [Fact]
    public void A_duplicate_server_id_is_refused_at_the_second_declaration()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: tickets
                command: a
              - id: tickets
                command: b
            """));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("servers[1].id", error.Key);
        Assert.Equal(4, error.Line);
        Assert.Contains("duplicate server id 'tickets'", error.Message);
    }

    [Theory]
    [InlineData("Tickets")]
    [InlineData("a__b")]
    [InlineData("has space")]
    [InlineData("-leading")]
    public void Server_ids_that_would_break_tool_names_are_refused(string id)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"servers:\n  - id: \"{id}\"\n    command: x\n"));
        Assert.Contains(ex.Errors, e => e.Key == "servers[0].id" && e.Message.Contains("not a valid id"));
    }

    [Fact]
    public void Transport_settings_must_match_the_transport()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: a
                transport: stdio
                url: http://127.0.0.1:1/mcp
              - id: b
                transport: http
                command: node
            """));

        Assert.Contains(ex.Errors, e => e.Key == "servers[0].command" && e.Message.Contains("needs a command"));
        Assert.Contains(ex.Errors, e => e.Key == "servers[0].url");
        Assert.Contains(ex.Errors, e => e.Key == "servers[1].url" && e.Message.Contains("needs a url"));
        Assert.Contains(ex.Errors, e => e.Key == "servers[1].command" && e.Message.Contains("stdio servers only"));
    }

    [Fact]
    public void A_virtual_server_may_only_name_declared_servers()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: tickets
                command: x
            virtualServers:
              - id: support
                tools: [tickets__get_ticket, github__create_issue, nonsense]
            """));

        Assert.Contains(ex.Errors, e => e.Key == "virtualServers[0].tools[1]" && e.Message.Contains("'github'"));
        Assert.Contains(ex.Errors, e => e.Key == "virtualServers[0].tools[2]" && e.Message.Contains("server__tool"));
        Assert.DoesNotContain(ex.Errors, e => e.Key == "virtualServers[0].tools[0]");
    }

    [Fact]
    public void Listening_beyond_loopback_is_refused_when_anonymous_use_is_allowed()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("gateway:\n  listen: http://0.0.0.0:8080\nauth:\n  allowAnonymous: true\n"));
        Assert.Contains(ex.Errors, e => e.Key == "gateway.listen" && e.Line == 2 && e.Message.Contains("loopback"));

        // With authentication required (the default) any address may be bound.
        Assert.Equal("http://0.0.0.0:8080", ConfigLoader.Parse("gateway:\n  listen: http://0.0.0.0:8080\n").Gateway.Listen);
    }

    [Fact]
    public void Auth_settings_map_and_plain_http_issuers_are_loopback_only()
    {
        var config = ConfigLoader.Parse("""
            gateway:
              publicUrl: https://mcp.example.com
            auth:
              scopes: [mcp:tools]
              issuers:
                - issuer: https://login.example.com/tenant
                  rolesClaim: groups
                  agentClaim: client_id
            """);
        Assert.Equal(new Uri("https://mcp.example.com"), config.Gateway.PublicUrl);
        Assert.Equal("groups", config.Auth.Issuers[0].RolesClaim);
        Assert.Equal(["mcp:tools"], config.Auth.Scopes);

        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("auth:\n  issuers:\n    - issuer: http://idp.example.com\n"));
        Assert.Contains(ex.Errors, e => e.Key == "auth.issuers[0].issuer" && e.Message.Contains("https"));
        Assert.Equal(new Uri("http://127.0.0.1:9999/"), ConfigLoader.Parse("auth:\n  issuers:\n    - issuer: http://127.0.0.1:9999/\n").Auth.Issuers[0].Issuer);
    }

    [Fact]
    public void Malformed_yaml_reports_its_position()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("servers:\n  - id: [unclosed\n"));
        Assert.True(Assert.Single(ex.Errors).Line > 0);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("gateway:\n  bogus: 1\n  maxRequestBodyBytes: -5\nstorage:\n  other: x\n"));
        Assert.Equal(3, ex.Errors.Count);
    }

    [Fact]
    public void Audit_commits_are_flushed_to_disk_only_when_asked()
    {
        Assert.False(ConfigLoader.Parse("servers: []\n").Audit.Fsync);
        Assert.True(ConfigLoader.Parse("audit:\n  fsync: true\n").Audit.Fsync);
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("audit:\n  fsync: always\n"));
        Assert.Equal("audit.fsync", Assert.Single(ex.Errors).Key);
    }

    [Fact]
    public void The_connection_fingerprint_ignores_nothing_that_matters()
    {
        var a = ConfigLoader.Parse("servers:\n  - id: a\n    command: x\n    env: { K: v1 }\n").Servers[0];
        var same = ConfigLoader.Parse("# comment\nservers:\n  - id: a\n    command: x\n    env: { K: v1 }\n    description: changed text\n").Servers[0];
        var changed = ConfigLoader.Parse("servers:\n  - id: a\n    command: x\n    env: { K: v2 }\n").Servers[0];

        Assert.Equal(a.ConnectionFingerprint(), same.ConnectionFingerprint());
        Assert.NotEqual(a.ConnectionFingerprint(), changed.ConnectionFingerprint());
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("2", 2_000)]
    [InlineData("1.5h", 5_400_000)]
    public void Durations_parse(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(milliseconds, duration.TotalMilliseconds);
    }

    [Fact]
    public void Isolation_settings_map_and_a_change_restarts_the_server()
    {
        var server = ConfigLoader.Parse("servers:\n  - id: a\n    command: x\n    isolation: { memory: 512MiB, cpuTime: 2m, openFiles: 256, processes: 32, network: false, filesystem: readonly }\n").Servers[0];
        Assert.Equal(512L << 20, server.Isolation.MemoryBytes);
        Assert.Equal(TimeSpan.FromMinutes(2), server.Isolation.CpuTime);
        Assert.Equal(256, server.Isolation.OpenFiles);
        Assert.Equal(32, server.Isolation.Processes);
        Assert.False(server.Isolation.Network);
        Assert.True(server.Isolation.ReadOnlyFilesystem);
        Assert.True(server.Isolation.NeedsSandbox);

        var unconfined = ConfigLoader.Parse("servers:\n  - id: a\n    command: x\n").Servers[0];
        Assert.False(unconfined.Isolation.NeedsSandbox || unconfined.Isolation.HasLimits);
        Assert.NotEqual(server.ConnectionFingerprint(), unconfined.ConnectionFingerprint());
    }

    [Theory]
    [InlineData("memory: lots", "servers[0].isolation.memory", "expected a size such as 512MiB")]
    [InlineData("memory: 5TB", "servers[0].isolation.memory", "expected a size such as 512MiB")]
    [InlineData("filesystem: none", "servers[0].isolation.filesystem", "expected one of full, readonly")]
    [InlineData("openFiles: 3", "servers[0].isolation.openFiles", "at least 16")]
    [InlineData("netwrok: false", "servers[0].isolation.netwrok", "unknown key")]
    public void Bad_isolation_settings_are_named(string setting, string path, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"servers:\n  - id: a\n    command: x\n    isolation: {{ {setting} }}\n"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Key);
        Assert.Contains(message, error.Message);
    }
}
