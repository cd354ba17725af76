// STAND-IN for OpenCode 2's local server (the background service), for tests only.
// OpenCode 2 cannot be installed from the registries reachable here, so this fake implements
// only what aigate uses, as OpenCode 2's sources describe it (anomalyco/opencode):
//   - discovery file $XDG_STATE_HOME/opencode/service.json {id, version, url, pid, password},
//     mode 0600; HTTP Basic "opencode:<password>" (reference/opencode-v2.md §3);
//   - GET  /api/health -> {healthy: true, version, pid}       (packages/protocol/src/groups/health.ts @7c3c912e)
//   - GET  /api/integration/:id -> {location, data: {id, name, methods, connections}}
//   - POST /api/integration/:id/connect/key {key, label?, answer?} -> 204; creating a
//     credential for an integration replaces the existing one   (groups/integration.ts @1652328e)
//   - DELETE /api/credential/:id -> 204                        (groups/credential.ts @1652328e)
// Its "opencode.db" is a JSON file next to the discovery file (fake-opencode-db.json), so
// tests can see what the server holds. If a file "fail-connect" exists in the state dir,
// connect/key answers 400 (to prove a failed rotation changes nothing).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

const stateHome = process.env.XDG_STATE_HOME || path.join(process.env.HOME, ".local", "state");
const stateDir = path.join(stateHome, "opencode");
fs.mkdirSync(stateDir, { recursive: true });
const dbFile = path.join(stateDir, "fake-opencode-db.json");
const logFile = path.join(stateDir, "fake-opencode-requests.jsonl");
const password = crypto.randomBytes(16).toString("hex");
const version = process.env.FAKE_OPENCODE_VERSION || "2.0.9";

const readDb = () => (fs.existsSync(dbFile) ? JSON.parse(fs.readFileSync(dbFile, "utf8")) : { credentials: [] });
const writeDb = (db) => fs.writeFileSync(dbFile, JSON.stringify(db, null, 2), { mode: 0o600 });

const send = (res, status, body) => {
  if (body === undefined) {
    res.writeHead(status);
    return res.end();
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  let raw = "";
  req.on("data", (c) => (raw += c));
  req.on("end", () => {
    const auth = req.headers.authorization || "";
    const okAuth = auth === "Basic " + Buffer.from("opencode:" + password).toString("base64");
    // The log keeps no body: it records what the request looked like, never the key.
    fs.appendFileSync(
      logFile,
      JSON.stringify({ method: req.method, url: req.url, basic_auth_ok: okAuth, body_keys: raw ? Object.keys(JSON.parse(raw)) : [] }) + "\n",
    );
    if (!okAuth) return send(res, 401, { error: "unauthorized" });
    const url = new URL(req.url, "http://x");
    const parts = url.pathname.split("/").filter(Boolean);
    const location = { directory: process.cwd(), project: { id: "global", directory: process.cwd() } };
    if (req.method === "GET" && url.pathname === "/api/health") {
      return send(res, 200, { healthy: true, version, pid: process.pid });
    }
    if (parts[0] === "api" && parts[1] === "integration" && parts.length === 3 && req.method === "GET") {
      const db = readDb();
      const connections = db.credentials
        .filter((c) => c.integration_id === parts[2])
        .map((c) => ({ type: "credential", id: c.id, label: c.label, method: "key" }));
      return send(res, 200, {
        location,
        data: { id: parts[2], name: "Cloudflare AI Gateway", methods: [{ type: "key" }], connections },
      });
    }
    if (parts[0] === "api" && parts[1] === "integration" && parts[3] === "connect" && parts[4] === "key" && req.method === "POST") {
      if (fs.existsSync(path.join(stateDir, "fail-connect"))) {
        return send(res, 400, { _tag: "InvalidRequestError", message: "stand-in told to refuse" });
      }
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { _tag: "InvalidRequestError", message: "body is not JSON" });
      }
      if (typeof body.key !== "string" || !body.key) {
        return send(res, 400, { _tag: "InvalidRequestError", message: "key is required" });
      }
      const db = readDb();
      db.credentials = db.credentials.filter((c) => c.integration_id !== parts[2]);
      db.credentials.push({
        id: "cred_" + crypto.randomBytes(6).toString("hex"),
        integration_id: parts[2],
        label: body.label || "default",
        value: { type: "key", key: body.key, metadata: body.answer || {} },
      });
      writeDb(db);
      return send(res, 204);
    }
    if (parts[0] === "api" && parts[1] === "credential" && parts.length === 3 && req.method === "DELETE") {
      const db = readDb();
      db.credentials = db.credentials.filter((c) => c.id !== parts[2]);
      writeDb(db);
      return send(res, 204);
    }
    return send(res, 404, { error: "not found" });
  });
});

server.listen(0, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  const file = path.join(stateDir, "service.json");
  fs.writeFileSync(file, JSON.stringify({ id: "svc_fake", version, url, pid: process.pid, password }), { mode: 0o600 });
  if (process.env.FAKE_OPENCODE_READY) fs.writeFileSync(process.env.FAKE_OPENCODE_READY, url);
});
