using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>Creates the MCP server that answers a new session opened on an endpoint.</summary>
/// <param name="context">The request opening the session.</param>
/// <param name="sessionId">The session's id.</param>
/// <param name="transport">The SDK transport carrying the session.</param>
public delegate McpServer McpServerFactory(HttpContext context, string sessionId, ITransport transport);
