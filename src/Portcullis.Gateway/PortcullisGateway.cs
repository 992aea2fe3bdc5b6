using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using Portcullis.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portcullis.Audit;
using Portcullis.Gateway.Admin;
using Portcullis.Gateway.FrontDoor;
using Portcullis.Gateway.Identity;
using Portcullis.Identity;
using Portcullis.Limits;
using Portcullis.Gateway.Hosting;
using Portcullis.McpHttp;
using Portcullis.Pipeline;
using Portcullis.Pipeline.Stages;
using Portcullis.Registry;
using Portcullis.Routing;
using Portcullis.Sessions;
using Portcullis.Storage;
using Portcullis.Storage.Sqlite;
using Portcullis.Upstreams;

namespace Portcullis.Gateway;

/// <summary>Builds the gateway web application from a validated configuration.</summary>
public static class PortcullisGateway
{
    /// <summary>Creates the application; <c>StartAsync</c>/<c>RunAsync</c> it.</summary>
    public static WebApplication Create(GatewayConfig config, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(config.Gateway.Listen);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = config.Gateway.MaxRequestBodyBytes);
        if (config.Gateway.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("ModelContextProtocol", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.Services.AddPortcullisGateway(config);

        var app = builder.Build();
        app.MapPortcullisGateway();
        return app;
    }

    /// <summary>Registers the gateway's services for <paramref name="config"/>.</summary>
    public static IServiceCollection AddPortcullisGateway(this IServiceCollection services, GatewayConfig config)
    {
        services.AddSingleton(new GatewayConfigProvider(config));
        services.AddMcpHttp(o =>
        {
            o.MaxRequestBodyBytes = config.Gateway.MaxRequestBodyBytes;
            o.SessionIdleTimeout = config.Gateway.SessionIdleTimeout;
            o.SessionAbsoluteLifetime = config.Auth.SessionAbsoluteLifetime;
            o.SessionOwner = context => Principal.From(context.User)?.SessionOwnerKey;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddPortcullisStorage(config);
        services.AddSingleton<MemberTokens>();
        services.AddSingleton<KillSwitches>();
        services.AddSingleton<LimitState>();
        services.AddSingleton<ServerRegistry>();
        services.AddSingleton<SubmittedServers>();
        services.AddSingleton(_ => AuditSigner.LoadOrCreate(config.PathFromConfig(config.Audit.SigningKey)));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<Portcullis.Approvals.ApprovalService>();
        services.AddHttpClient("webhooks", c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton(sp => new Portcullis.Approvals.ApprovalWebhooks(
            sp.GetRequiredService<GatewayConfigProvider>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("webhooks"),
            sp.GetRequiredService<ILogger<Portcullis.Approvals.ApprovalWebhooks>>()));
        services.AddMetrics();
        services.AddSingleton(sp => new Portcullis.Telemetry.GatewayTelemetry(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<UpstreamPool>(),
            () => sp.GetRequiredService<McpHttpSessions>().Count,
            () => sp.GetRequiredService<AuditLog>().Committed,
            () => sp.GetRequiredService<AuditLog>().Pending));
        services.AddSingleton<PrometheusText>();
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        services.AddHostedService<BudgetRetention>();
        services.AddOtlpExport(config.Telemetry);
        services.AddSingleton<BootstrapAdmin>();
        services.AddHttpClient("jwks", c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<OidcTokenValidator>();
        services.AddAuthentication(PortcullisAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, PortcullisAuthenticationHandler>(PortcullisAuthenticationHandler.SchemeName, null);
        services.AddSingleton<SessionHub>();
        services.AddSingleton<Portcullis.Secrets.SecretReferences>();
        services.AddSingleton<SecretRotation>();
        services.AddHostedService(sp => sp.GetRequiredService<SecretRotation>());
        services.AddSingleton<UpstreamPool>(sp => new UpstreamPool(sp.GetRequiredService<SessionHub>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<Portcullis.Secrets.SecretReferences>()));
        services.AddSingleton(sp =>
        {
            var catalog = new EndpointCatalog(sp.GetRequiredService<GatewayConfigProvider>(), sp.GetRequiredService<UpstreamPool>());
            sp.GetRequiredService<SessionHub>().Bind(catalog);
            return catalog;
        });

        // The governed-call pipeline, in order. Identity, registry gate, policy, limits, approval and inspection join here.
        // (Authentication itself runs at the front door, on every HTTP request, before any of these.)
        services.AddSingleton(sp => new GovernedCallPipeline(
        [
            new RouteStage(sp.GetRequiredService<EndpointCatalog>()),
            new RegistryStage(sp.GetRequiredService<ServerRegistry>()),
            new KillSwitchStage(sp.GetRequiredService<KillSwitches>()),
            new IdentityStage(),
            new PolicyStage(sp.GetRequiredService<GatewayConfigProvider>()),
            new ApprovalStage(sp.GetRequiredService<Portcullis.Approvals.ApprovalService>(), sp.GetRequiredService<GatewayConfigProvider>()),
            new IdempotencyStage(sp.GetRequiredService<GatewayConfigProvider>(), sp.GetRequiredService<TimeProvider>()),
            new LimitsStage(sp.GetRequiredService<GatewayConfigProvider>(), sp.GetRequiredService<LimitState>(), sp.GetRequiredService<IBudgetStore>(), sp.GetRequiredService<TimeProvider>()),
            new AuditIntentStage(sp.GetRequiredService<AuditLog>()),
            new UpstreamStage(sp.GetRequiredService<KillSwitches>()),
            new InspectStage(sp.GetRequiredService<Portcullis.Secrets.SecretReferences>()),
        ]));
        services.AddSingleton<DownstreamServerFactory>();
        services.AddHostedService<GatewayLifecycle>();
        services.AddSingleton<ConfigReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigReloader>());
        return services;
    }

    /// <summary>Maps the MCP endpoints and health probes.</summary>
    public static WebApplication MapPortcullisGateway(this WebApplication app)
    {
        // Created now so every instrument exists from the first scrape of /metrics.
        app.Services.GetRequiredService<Portcullis.Telemetry.GatewayTelemetry>();
        app.Services.GetRequiredService<PrometheusText>();
        app.Services.StartOtlpExport();
        var webhooks = app.Services.GetRequiredService<Portcullis.Approvals.ApprovalWebhooks>();
        webhooks.Start();
        app.Services.GetRequiredService<Portcullis.Approvals.ApprovalService>().Changed += webhooks.Enqueue;
        app.UseMiddleware<OriginGuardMiddleware>();
        app.UseAuthentication();
        var sessions = app.Services.GetRequiredService<McpHttpSessions>();
        var hub = app.Services.GetRequiredService<SessionHub>();
        sessions.Closed += hub.Remove;
        // A member switched off loses their open sessions at once, not just their next call.
        app.Services.GetRequiredService<KillSwitches>().MemberKilled += subject =>
            sessions.CloseWhereAsync(owner => owner is not null && owner.EndsWith("|" + subject, StringComparison.Ordinal)).AsTask();

        MapEndpoint(app, "", _ => EndpointView.Aggregate.Instance);
        Func<HttpContext, EndpointView> server = c => new EndpointView.Server((string)c.GetRouteValue("id")!);
        MapEndpoint(app, "/servers/{id}", server).AddEndpointFilter(RequireEndpoint(server));
        Func<HttpContext, EndpointView> virtualServer = c => new EndpointView.Virtual((string)c.GetRouteValue("id")!);
        MapEndpoint(app, "/v/{id}", virtualServer).AddEndpointFilter(RequireEndpoint(virtualServer));
        app.MapProtectedResourceMetadata();
        var admin = app.MapGroup("/admin/api").AddEndpointFilter(McpAccess.RequireAdmin).AddEndpointFilter(AuditApi.RecordChanges);
        admin.MapTokenApi();
        admin.MapPolicyApi();
        admin.MapKillApi();
        admin.MapBudgetApi();
        admin.MapServerApi();
        admin.MapAuditApi();
        admin.MapSecretApi();
        app.MapApprovalApi();
        app.MapMemberCredentialApi();

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", (UpstreamPool pool, AuditLog audit) =>
        {
            var servers = pool.All.ToDictionary(c => c.Id, c => new { state = c.State.ToString().ToLowerInvariant(), tools = c.Catalog.Tools.Count, restarts = c.Restarts, reason = c.State == UpstreamState.Ready ? null : c.DownReason });
            var ready = audit.Healthy && pool.All.All(c => c.State == UpstreamState.Ready);
            return Results.Json(new { ready, audit = audit.Healthy ? "ok" : "failing: governed calls are refused", servers }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        // Operational counters only (no arguments, no identities beyond server ids), like /readyz: not behind admin auth.
        app.MapGet("/metrics", (PrometheusText metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4"));
        return app;
    }

    /// <summary>The admin token issued at first start on an empty store, once; null afterwards or when none was issued.</summary>
    public static string? TakeBootstrapAdminToken(this WebApplication app) => app.Services.GetRequiredService<BootstrapAdmin>().TakeToken();

    /// <summary>The address the gateway listens on, once started (resolves port 0).</summary>
    public static string ListeningAddress(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Maps one MCP endpoint of the gateway: an SDK server per session, tool calls answered directly.</summary>
    private static RouteGroupBuilder MapEndpoint(WebApplication app, string basePattern, Func<HttpContext, EndpointView> viewOf) =>
        app.MapMcpHttp(basePattern, CreateSessionFactory(app.Services, viewOf),
                new DirectToolCalls(app.Services.GetRequiredService<SessionHub>(), app.Services.GetRequiredService<DownstreamServerFactory>(), viewOf))
            .AddEndpointFilter(McpAccess.RequirePrincipal);

    private static McpServerFactory CreateSessionFactory(IServiceProvider services, Func<HttpContext, EndpointView> viewOf)
    {
        var factory = services.GetRequiredService<DownstreamServerFactory>();
        var hub = services.GetRequiredService<SessionHub>();
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        return (context, sessionId, transport) =>
        {
            var session = new DownstreamSession(sessionId, viewOf(context), Principal.From(context.User) ?? Principal.Anonymous);
            var server = McpServer.Create(transport, factory.CreateOptions(session), loggerFactory, services);
            session.Attach(server);
            hub.Add(session);
            return server;
        };
    }

    private static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> RequireEndpoint(Func<HttpContext, EndpointView> viewOf) =>
        async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var view = viewOf(context);
            if (!context.RequestServices.GetRequiredService<EndpointCatalog>().Exists(view))
            {
                await McpHttpEndpoint.WriteErrorAsync(context, StatusCodes.Status404NotFound, McpErrorCode.InvalidRequest,
                    $"No MCP endpoint at {view.Path}: no such {(view is EndpointView.Server ? "server" : "virtual server")} in the gateway's configuration.");
                return Results.Empty;
            }

            return await next(invocation);
        };
}
