// A stdio MCP server for the isolation tests: one tool, "probe", reports what the process can reach
// (working directory, resource limits, network, files, memory) so tests can check the sandbox from inside.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import fs from "node:fs";
import net from "node:net";

const server = new Server({ name: "probe", version: "1.0.0" }, { capabilities: { tools: {} } });

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{
    name: "probe",
    description: "Reports the process's working directory and limits, and tries what the arguments ask.",
    inputSchema: {
      type: "object",
      properties: {
        connect: { type: "string", description: "host:port to open a TCP connection to" },
        write: { type: "string", description: "file to write" },
        read: { type: "string", description: "file to read" },
        allocateMiB: { type: "number", description: "memory to allocate and touch" },
      },
    },
  }],
}));

function tryConnect(target) {
  const [host, port] = target.split(":");
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    const timer = setTimeout(() => { socket.destroy(); resolve("timeout"); }, 3000);
    socket.on("connect", () => { clearTimeout(timer); socket.end(); resolve("connected"); });
    socket.on("error", (e) => { clearTimeout(timer); resolve(e.code || e.message); });
  });
}

function attempt(action) {
  try { return action(); } catch (e) { return e.code || e.message; }
}

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const args = request.params.arguments ?? {};
  const report = { cwd: process.cwd(), limits: {} };
  for (const line of fs.readFileSync("/proc/self/limits", "utf8").split("\n").slice(1)) {
    const match = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (match) report.limits[match[1]] = match[2];
  }
  if (args.connect) report.connect = await tryConnect(args.connect);
  if (args.write) report.write = attempt(() => { fs.writeFileSync(args.write, "probe"); return "written"; });
  if (args.read) report.read = attempt(() => `read ${fs.readFileSync(args.read).length} bytes`);
  if (args.allocateMiB) {
    report.allocate = attempt(() => {
      const chunks = [];
      for (let i = 0; i < args.allocateMiB; i++) chunks.push(Buffer.alloc(1024 * 1024, 1));
      return `allocated ${chunks.length} MiB`;
    });
  }
  return { content: [{ type: "text", text: JSON.stringify(report) }] };
});

await server.connect(new StdioServerTransport());
