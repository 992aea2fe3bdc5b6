using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Pipeline;
using Portcullis.Routing;
using Portcullis.Upstreams;

namespace Portcullis.Sessions;

/// <summary>
/// Builds the MCP server options of one agent session: list requests answered from the endpoint's catalog, governed
/// operations (tools/call, resources/read, prompts/get) sent through the pipeline, the rest (completion, subscriptions,
/// log level) forwarded to the server that owns the item.
/// </summary>
public sealed class DownstreamServerFactory(EndpointCatalog catalog, GovernedCallPipeline pipeline, SessionHub hub, Configuration.GatewayConfigProvider config, Limits.KillSwitches kills, Registry.ServerRegistry registry, Audit.AuditLog audit, Telemetry.GatewayTelemetry telemetry)
{
    // Read once: a sessionless request builds its options anew, and reading an assembly's name allocates.
    private static readonly string GatewayVersion = typeof(DownstreamServerFactory).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    /// <summary>Creates options bound to <paramref name="session"/>.</summary>
    public McpServerOptions CreateOptions(DownstreamSession session) => new()
    {
        ServerInfo = new Implementation { Name = "portcullis", Title = "Portcullis MCP gateway", Version = GatewayVersion },
        ServerInstructions = session.View is EndpointView.Server s ? null
            : "Tools of several servers are exposed as <server>__<tool>. Every call is governed by Portcullis.",
        Capabilities = new ServerCapabilities
        {
            Tools = new ToolsCapability { ListChanged = true },
            Resources = session.View is EndpointView.Virtual ? null : new ResourcesCapability { Subscribe = true, ListChanged = true },
            Prompts = session.View is EndpointView.Virtual ? null : new PromptsCapability { ListChanged = true },
            Logging = new LoggingCapability(),
            Completions = session.View is EndpointView.Virtual ? null : new CompletionsCapability(),
        },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = (request, cancellationToken) => AuditedListAsync(RequestMethods.ToolsList, request, session, () => ListPager.Page(catalog.ListTools(session.View, PrincipalOf(request, session), (c, t) => Visible(session, PrincipalOf(request, session), c, Policy.PolicyTarget.Tool, t.Name, t.Annotations)), request.Params?.Cursor, (items, next) => (new ListToolsResult { Tools = items, NextCursor = next }, items.Count)), cancellationToken),
            CallToolHandler = (request, cancellationToken) => CallToolAsync(session, request.Params!, request.Server, PrincipalOf(request, session), cancellationToken),
            ListPromptsHandler = (request, cancellationToken) => AuditedListAsync(RequestMethods.PromptsList, request, session, () => ListPager.Page(catalog.ListPrompts(session.View, PrincipalOf(request, session), (c, p) => Visible(session, PrincipalOf(request, session), c, Policy.PolicyTarget.Prompt, p.Name, null)), request.Params?.Cursor, (items, next) => (new ListPromptsResult { Prompts = items, NextCursor = next }, items.Count)), cancellationToken),
            GetPromptHandler = async (request, cancellationToken) => (GetPromptResult)await RunOrThrowAsync(CallKind.PromptGet, request.Params!.Name, request.Params, session, request.Server, PrincipalOf(request, session), cancellationToken).ConfigureAwait(false),
            ListResourcesHandler = (request, cancellationToken) => AuditedListAsync(RequestMethods.ResourcesList, request, session, () => ListPager.Page(catalog.ListResources(session.View, PrincipalOf(request, session), (c, r) => Visible(session, PrincipalOf(request, session), c, Policy.PolicyTarget.Resource, r.Uri, null)), request.Params?.Cursor, (items, next) => (new ListResourcesResult { Resources = items, NextCursor = next }, items.Count)), cancellationToken),
            ListResourceTemplatesHandler = (request, _) => ValueTask.FromResult(ListPager.Page(catalog.ListResourceTemplates(session.View, PrincipalOf(request, session)), request.Params?.Cursor, (items, next) => new ListResourceTemplatesResult { ResourceTemplates = items, NextCursor = next })),
            ReadResourceHandler = async (request, cancellationToken) => (ReadResourceResult)await RunOrThrowAsync(CallKind.ResourceRead, request.Params!.Uri, request.Params, session, request.Server, PrincipalOf(request, session), cancellationToken).ConfigureAwait(false),
            SubscribeToResourcesHandler = async (request, cancellationToken) =>
            {
                var uri = request.Params!.Uri;
                var upstream = ResourceOwner(session, uri);
                var client = await ClientOf(upstream, session.Opener, cancellationToken).ConfigureAwait(false);
                await client.SubscribeToResourceAsync(uri, cancellationToken: cancellationToken).ConfigureAwait(false);
                session.Subscriptions[uri] = 0;
                return new EmptyResult();
            },
            UnsubscribeFromResourcesHandler = async (request, cancellationToken) =>
            {
                var uri = request.Params!.Uri;
                session.Subscriptions.TryRemove(uri, out _);
                var upstream = ResourceOwner(session, uri);
                if (!hub.SessionsSeeing(upstream.Id).Any(s => s.Subscriptions.ContainsKey(uri)))
                {
                    var client = await ClientOf(upstream, session.Opener, cancellationToken).ConfigureAwait(false);
                    await client.UnsubscribeFromResourceAsync(uri, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                return new EmptyResult();
            },
            CompleteHandler = async (request, cancellationToken) => await CompleteAsync(session, request.Params!, cancellationToken).ConfigureAwait(false),
            SetLoggingLevelHandler = async (request, cancellationToken) =>
            {
                session.LogLevel = request.Params!.Level;
                // Upstream connections are shared, so each is set to the most verbose level any of its sessions
                // asked for; each session is then sent only what it asked for.
                foreach (var upstream in catalog.Servers(session.View, session.Opener).Where(u => u.State == UpstreamState.Ready && u.Capabilities?.Logging is not null))
                {
                    var client = await ClientOf(upstream, session.Opener, cancellationToken).ConfigureAwait(false);
                    await client.SetLoggingLevelAsync(hub.MostVerboseLevel(upstream.Id) ?? request.Params.Level, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                return new EmptyResult();
            },
        },
    };

    /// <summary>
    /// Runs a <c>tools/call</c> of <paramref name="principal"/> through the pipeline; <paramref name="agent"/> carries
    /// what must reach the agent during the call. Refusals the agent should reason about come back as tool errors,
    /// the rest as <see cref="McpProtocolException"/>.
    /// </summary>
    public async ValueTask<CallToolResult> CallToolAsync(DownstreamSession session, CallToolRequestParams parameters, McpServer agent, Identity.Principal principal, CancellationToken cancellationToken)
    {
        var call = await RunAsync(CallKind.ToolCall, parameters.Name, parameters, session, agent, principal, cancellationToken).ConfigureAwait(false);
        return call.Rejection switch
        {
            null => (CallToolResult)call.Result!,
            // Unavailability and timeouts are reported as tool errors, which agents read and reason about;
            // an unknown tool or an upstream protocol error stays a JSON-RPC error.
            { Reason: RejectionReason.Unavailable or RejectionReason.Timeout or RejectionReason.Blocked or RejectionReason.ApprovalRequired or RejectionReason.ApprovalDenied } r => new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = r.Message }] },
            var r => throw ToException(r),
        };
    }

    /// <summary>
    /// Lists show a principal only what the registry exposes (approved servers, tools matching their pins), the policy
    /// could let it use (argument rules aside) and no kill switch stops.
    /// </summary>
    private bool Visible(DownstreamSession session, Identity.Principal principal, UpstreamConnector upstream, Policy.PolicyTarget target, string name, ToolAnnotations? annotations) =>
        (target == Policy.PolicyTarget.Tool ? registry.View(upstream).Exposes(name) : registry.View(upstream).State == Registry.ServerState.Approved)
        && kills.Stopping(upstream.Id, string.Concat(upstream.Id, "__", name), principal) is null
        && config.Policy.IsVisible(new Policy.PolicyRequest
        {
            Principal = principal,
            Target = target,
            ServerId = upstream.Id,
            Name = name,
            VirtualServer = (session.View as EndpointView.Virtual)?.VirtualServerId,
            Environment = upstream.Config.Environment,
            Annotations = annotations,
        });

    /// <summary>The principal of this very request; the session's opener when the transport carries none (stdio).</summary>
    private static Identity.Principal PrincipalOf(MessageContext request, DownstreamSession session) =>
        Identity.Principal.From(request.User) ?? session.Opener;

    /// <summary>
    /// Runs the pipeline, then makes the call's audit record durable before anything is returned: an answer the
    /// evidence cannot vouch for is withheld (fail closed).
    /// </summary>
    private async ValueTask<GovernedCall> RunAsync(CallKind kind, string target, RequestParams parameters, DownstreamSession session, McpServer agent, Identity.Principal principal, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var span = Telemetry.GatewayTelemetry.Source.StartActivity(kind == CallKind.ToolCall ? "tools/call " + target : kind == CallKind.ResourceRead ? "resources/read" : "prompts/get " + target, System.Diagnostics.ActivityKind.Server);
        var call = new GovernedCall { Kind = kind, Target = target, Params = parameters, Session = session, Agent = agent, Principal = principal };
        await pipeline.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        telemetry.Record(call, elapsed);
        span?.SetTag("portcullis.subject", principal.Subject).SetTag("portcullis.server", call.Upstream?.Id).SetTag("portcullis.outcome", call.Rejection?.Reason.ToString() ?? "success");
        await AppendOrFailClosedAsync(Audit.AuditRecords.FromCall(call, elapsed)).ConfigureAwait(false);
        return call;
    }

    private async ValueTask<TResult> AuditedListAsync<TParams, TResult>(string method, RequestContext<TParams> request, DownstreamSession session, Func<(TResult Result, int Count)> list, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (result, count) = list();
        await AppendOrFailClosedAsync(Audit.AuditRecords.FromList(method, PrincipalOf(request, session), session.Id, count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds)).ConfigureAwait(false);
        return result;
    }

    private async ValueTask AppendOrFailClosedAsync(Audit.AuditRecord record)
    {
        try
        {
            // Not tied to the agent's cancellation: once the pipeline has acted, its record is written regardless.
            await audit.AppendAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Audit.AuditUnavailableException ex)
        {
            throw new McpProtocolException(ex.Message, McpErrorCode.InternalError);
        }
    }

    private async ValueTask<Result> RunOrThrowAsync(CallKind kind, string target, RequestParams parameters, DownstreamSession session, McpServer agent, Identity.Principal principal, CancellationToken cancellationToken)
    {
        var call = await RunAsync(kind, target, parameters, session, agent, principal, cancellationToken).ConfigureAwait(false);
        return call.Rejection is { } rejection ? throw ToException(rejection) : call.Result!;
    }

    private static McpProtocolException ToException(CallRejection rejection) => rejection.Reason switch
    {
        RejectionReason.UnknownTarget => new McpProtocolException(rejection.Message, McpErrorCode.InvalidParams),
        RejectionReason.Forbidden or RejectionReason.ApprovalRequired or RejectionReason.ApprovalDenied or RejectionReason.Killed or RejectionReason.Limited or RejectionReason.Blocked => new McpProtocolException(rejection.Message, McpErrorCode.InvalidRequest),
        RejectionReason.UpstreamError => new McpProtocolException(rejection.Message, (McpErrorCode)rejection.ErrorCode),
        _ => new McpProtocolException(rejection.Message, McpErrorCode.InternalError),
    };

    private UpstreamConnector ResourceOwner(DownstreamSession session, string uri) =>
        catalog.ResolveResource(session.View, uri) is { } owner && session.Opener.MayReach(owner.Id)
            ? owner
            : throw new McpProtocolException($"No server behind {session.View.Path} offers the resource '{uri}'.", McpErrorCode.ResourceNotFound);

    private static async ValueTask<ModelContextProtocol.Client.McpClient> ClientOf(UpstreamConnector upstream, Identity.Principal principal, CancellationToken cancellationToken)
    {
        try
        {
            return await (await upstream.ForPrincipalAsync(principal, cancellationToken).ConfigureAwait(false)).GetClientAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UpstreamUnavailableException ex)
        {
            throw new McpProtocolException(ex.Message, McpErrorCode.InternalError);
        }
    }

    private async ValueTask<CompleteResult> CompleteAsync(DownstreamSession session, CompleteRequestParams request, CancellationToken cancellationToken)
    {
        UpstreamConnector upstream;
        Reference reference;
        switch (request.Ref)
        {
            case PromptReference prompt:
                if (!catalog.TryResolveName(session.View, prompt.Name, out var connector, out var upstreamName) || !session.Opener.MayReach(connector!.Id))
                {
                    throw new McpProtocolException($"Unknown prompt '{prompt.Name}' on {session.View.Path}.", McpErrorCode.InvalidParams);
                }

                upstream = connector!;
                reference = new PromptReference { Name = upstreamName };
                break;
            case ResourceTemplateReference template:
                upstream = ResourceOwner(session, template.Uri ?? "");
                reference = template;
                break;
            default:
                throw new McpProtocolException("completion/complete needs a ref of type ref/prompt or ref/resource.", McpErrorCode.InvalidParams);
        }

        var client = await ClientOf(upstream, session.Opener, cancellationToken).ConfigureAwait(false);
        return await client.CompleteAsync(new CompleteRequestParams { Ref = reference, Argument = request.Argument, Context = request.Context, Meta = request.Meta }, cancellationToken).ConfigureAwait(false);
    }
}
